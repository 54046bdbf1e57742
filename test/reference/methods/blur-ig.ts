/**
 * Blur IG (Xu et al. 2020), following PAIR's blur_ig.py with batch size 1 (so its sqrt+batch bug
 * cannot occur). PAIR walks σ upward from the input and negates the sum; `path` is returned in
 * baseline → input order (σ_m … σ_0 = 0) so IDGI can be applied to it (`blurig-idgi`).
 */
import { gaussianBlur } from './blur.js';
import { checkInput, explained, type RefModel, type TargetOptions } from './model.js';
import { sum } from './vec.js';
import type { PathAttribution } from './ig.js';

export interface BlurIgOptions extends TargetOptions {
  maxSigma?: number; // default 50
  steps?: number; // default 100
  gradStep?: number; // default 0.01: forward-difference step of ∂blur/∂σ
  /** σ_i = √(i·maxSigma/m): the path then ends at σ = √maxSigma, as in PAIR. */
  sqrt?: boolean;
}

/** `fBaseline` is f at the most blurred point blur(x, σ_m). */
export interface BlurIgResult extends PathAttribution {
  /** σ_0 = 0 … σ_m. */
  sigmas: Float64Array;
  /** blur(x, σ_m), …, blur(x, σ_0) = x: baseline → input, m + 1 points. */
  path: Float64Array[];
}

export function blurSigmas(maxSigma: number, steps: number, sqrt: boolean): Float64Array {
  const sigmas = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) {
    const s = (i * maxSigma) / steps;
    sigmas[i] = sqrt ? Math.sqrt(s) : s;
  }
  return sigmas;
}

/** blur(x, σ_m), …, blur(x, σ_0) = x: the Blur IG path in baseline → input order. */
export function blurPath(
  x: Float64Array,
  shape: readonly [number, number, number],
  opts: Omit<BlurIgOptions, 'target'>,
): Float64Array[] {
  const sigmas = blurSigmas(opts.maxSigma ?? 50, opts.steps ?? 100, opts.sqrt ?? false);
  return Array.from(sigmas, (s) => gaussianBlur(x, shape, s)).reverse();
}

export function blurIntegratedGradients(model: RefModel, x: Float64Array, opts: BlurIgOptions): BlurIgResult {
  checkInput(model, x, 'blurIG x');
  const output = opts.output ?? 'logit';
  const steps = opts.steps ?? 100;
  const gradStep = opts.gradStep ?? 0.01;
  const sigmas = blurSigmas(opts.maxSigma ?? 50, steps, opts.sqrt ?? false);
  const shape = model.shape;
  const blurred = Array.from(sigmas, (s) => gaussianBlur(x, shape, s));
  const acc = new Float64Array(x.length);
  for (let i = 0; i < steps; i++) {
    const xi = blurred[i]!;
    const ahead = gaussianBlur(x, shape, sigmas[i]! + gradStep);
    const g = model.grad(xi, opts.target, output);
    const dSigma = sigmas[i + 1]! - sigmas[i]!;
    for (let k = 0; k < acc.length; k++) acc[k]! += dSigma * ((ahead[k]! - xi[k]!) / gradStep) * g[k]!;
  }
  const attribution = acc.map((v) => -v);
  const fx = explained(model, x, opts.target, output);
  const fBaseline = explained(model, blurred[steps]!, opts.target, output);
  const total = sum(attribution);
  return {
    attribution,
    fx,
    fBaseline,
    sum: total,
    delta: total - (fx - fBaseline),
    gradientEvaluations: steps,
    sigmas,
    path: blurred.slice().reverse(),
  };
}
