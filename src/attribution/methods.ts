/**
 * The built-in methods, each a few lines over the public pieces (paths, integrators, evaluate).
 * A method gets the explain context and its options, and records GPU work that ends in an
 * attribution tensor shaped like the input [N, ...]; nothing is read back (except by a CPU
 * function's own evaluations).
 */
import { mul } from '../ops/arithmetic.js';
import { straightPathPoints } from './path-points.js';
import { fail } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';
import { evaluateGradients } from './evaluate.js';
import { idgiIntegrator, inImageGroups, integratePath, weightedGradientIntegrator, type IntegrationResult } from './integrators.js';
import { straightLinePath } from './paths.js';
import { quadrature, type IntegrationRule } from './quadrature.js';

export interface MethodOptions {
  steps: number;
  rule: IntegrationRule;
  seed: number;
  /** method-specific options, e.g. { fraction, maxDist } for Guided IG */
  [key: string]: unknown;
}

export interface MethodResult extends IntegrationResult {
  /**
   * f at the start of the path per image [N], when it is not the baseline (IG2 starts from
   * counterfactuals); completeness is then measured against it.
   */
  fStart?: Tensor;
}

export interface MethodInfo {
  run: (ctx: ExplainContext, options: MethodOptions) => MethodResult | Promise<MethodResult>;
  /** default number of steps (METHODS.md) */
  defaultSteps: number;
  /** Σ attr ≈ f(x) − f(start) is promised */
  complete: boolean;
  /** set when the path has its own start: explain() refuses a baseline with this message */
  ownStart?: string;
  description: string;
}

const registry = new Map<string, MethodInfo>();

/** Add a method (built-in or a researcher's own); its name becomes usable in explain() and the CLI. */
export function registerMethod(name: string, info: MethodInfo): void {
  registry.set(name, info);
}

export function getMethod(name: string): MethodInfo {
  const m = registry.get(name);
  if (!m) fail(`unknown method '${name}' (available: ${[...registry.keys()].join(', ')})`);
  return m;
}

export function methodNames(): string[] {
  return [...registry.keys()];
}

/** ∇f at the input itself (⊙ x for gradient × input), in groups of images that fit the row budget. */
function inputGradient(ctx: ExplainContext, timesInput: boolean): Promise<IntegrationResult> {
  return inImageGroups(ctx, ctx.maxRows, async (sub) => {
    const x = straightPathPoints(sub.x, sub.baseline, [1]);
    try {
      const { f, grad } = await evaluateGradients(sub, x, 1);
      f.dispose();
      if (!timesInput) return { attribution: grad };
      const attribution = mul(grad, sub.x);
      grad.dispose();
      return { attribution };
    } finally {
      x.dispose();
    }
  });
}

for (const [name, timesInput, description] of [['grad', false, 'vanilla gradient ∇f(x)'], ['gradxinput', true, 'gradient × input']] as const) {
  registerMethod(name, { run: (ctx) => inputGradient(ctx, timesInput), defaultSteps: 1, complete: false, description });
}

registerMethod('ig', {
  run: (ctx, o) => {
    const q = quadrature(o.rule, o.steps);
    return integratePath(ctx, straightLinePath(q.alphas, q.weights), weightedGradientIntegrator());
  },
  defaultSteps: 64,
  complete: true,
  description: 'Integrated Gradients on the straight line, Riemann or Gauss–Legendre rule',
});

registerMethod('idgi', {
  // m + 1 points α_k = k/m: f at every point, ∇f at k < m
  run: (ctx, { steps: m }) => integratePath(ctx, straightLinePath(quadrature('trapezoid', m).alphas, new Float64Array(m + 1)), idgiIntegrator()),
  defaultSteps: 64,
  complete: true,
  description: 'IDGI (Yang et al. 2023) applied to the IG straight-line path',
});
