/** Integrated Gradients on the straight line x' → x with a chosen quadrature rule. */
import { quadrature, type QuadratureRule } from './integrators.js';
import { checkInput, explained, type RefModel, type TargetOptions } from './model.js';
import { pointOnLine } from './paths.js';
import { sub, sum } from './vec.js';

export interface IgOptions extends TargetOptions {
  /** Riemann intervals m (trapezoid evaluates m + 1 points) or Gauss–Legendre nodes n. */
  steps: number;
  rule: QuadratureRule;
}

export interface PathAttribution {
  attribution: Float64Array;
  /** f at the input and at the path's start (baseline, blurred image, GradCF …). */
  fx: number;
  fBaseline: number;
  /** Σ attribution. */
  sum: number;
  /** Σ attribution − (fx − fBaseline): signed completeness gap. */
  delta: number;
  gradientEvaluations: number;
}

export interface IgResult extends PathAttribution {
  alphas: Float64Array;
  weights: Float64Array;
}

export function integratedGradients(
  model: RefModel,
  x: Float64Array,
  baseline: Float64Array,
  opts: IgOptions,
): IgResult {
  checkInput(model, x, 'integratedGradients x');
  checkInput(model, baseline, 'integratedGradients baseline');
  const output = opts.output ?? 'logit';
  const { alphas, weights } = quadrature(opts.rule, opts.steps);
  const diff = sub(x, baseline);
  const meanGrad = new Float64Array(x.length);
  for (let k = 0; k < alphas.length; k++) {
    const g = model.grad(pointOnLine(baseline, x, alphas[k]!), opts.target, output);
    for (let i = 0; i < g.length; i++) meanGrad[i]! += weights[k]! * g[i]!;
  }
  const attribution = meanGrad.map((g, i) => g * diff[i]!);
  const fx = explained(model, x, opts.target, output);
  const fBaseline = explained(model, baseline, opts.target, output);
  const total = sum(attribution);
  return {
    attribution,
    fx,
    fBaseline,
    sum: total,
    delta: total - (fx - fBaseline),
    gradientEvaluations: alphas.length,
    alphas,
    weights,
  };
}
