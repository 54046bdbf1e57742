/** Vanilla gradient and gradient × input (single-point methods). */
import { checkInput, explained, type RefModel, type TargetOptions } from './model.js';
import { mul } from './vec.js';

export interface GradientResult {
  attribution: Float64Array;
  fx: number;
  gradientEvaluations: number;
}

/** Signed ∇f(x) (PAIR's GradientSaliency; Captum's Saliency would take |·|). */
export function vanillaGradient(model: RefModel, x: Float64Array, opts: TargetOptions): GradientResult {
  checkInput(model, x, 'vanillaGradient');
  const output = opts.output ?? 'logit';
  return {
    attribution: model.grad(x, opts.target, output),
    fx: explained(model, x, opts.target, output),
    gradientEvaluations: 1,
  };
}

/** x ⊙ ∇f(x): a one-point IG with a zero baseline. */
export function gradientTimesInput(model: RefModel, x: Float64Array, opts: TargetOptions): GradientResult {
  const g = vanillaGradient(model, x, opts);
  return { ...g, attribution: mul(x, g.attribution) };
}
