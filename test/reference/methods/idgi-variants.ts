/** IDGI applied to the three base paths: `ig-idgi`, `gig-idgi`, `blurig-idgi`. */
import { blurPath, type BlurIgOptions } from './blur-ig.js';
import { guidedIntegratedGradients, type GuidedIgOptions } from './guided-ig.js';
import { idgi, idgiFromEvaluations, type IdgiResult } from './idgi.js';
import { explained, type RefModel, type TargetOptions } from './model.js';
import { straightPath } from './paths.js';

/** Straight path α_k = k/m, k = 0..m: m gradients, m + 1 forwards. */
export function idgiIG(
  model: RefModel,
  x: Float64Array,
  baseline: Float64Array,
  opts: TargetOptions & { steps: number },
): IdgiResult {
  return idgi(model, straightPath(baseline, x, opts.steps), opts);
}

/** Guided IG's path points z_0 … z_m = x, reusing the gradients Guided IG already took. */
export function idgiGuidedIG(
  model: RefModel,
  x: Float64Array,
  baseline: Float64Array,
  opts: GuidedIgOptions,
): IdgiResult {
  const output = opts.output ?? 'logit';
  const gig = guidedIntegratedGradients(model, x, baseline, opts);
  const values = gig.path.map((p) => explained(model, p, opts.target, output));
  return {
    ...idgiFromEvaluations(gig.pathGradients, values),
    fStart: values[0]!,
    fEnd: values[values.length - 1]!,
    gradientEvaluations: gig.pathGradients.length,
    forwardEvaluations: values.length,
  };
}

/**
 * Blur path ordered baseline → input (σ_m … 0), gradient at the more blurred end of each step
 * (the official reading; the TMLR reproduction instead walks σ upward and negates).
 */
export function idgiBlurIG(model: RefModel, x: Float64Array, opts: BlurIgOptions): IdgiResult {
  return idgi(model, blurPath(x, model.shape, opts), opts);
}
