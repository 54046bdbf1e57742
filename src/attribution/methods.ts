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

/**
 * What Σ attr is held to (explain() reports it per image):
 * - 'complete': Σ attr = f(x) − f(start of the method's own path), up to the quadrature error;
 * - 'approximate': the same gap is reported, not promised (IG2's fixed-length steps end near its counterfactual);
 * - 'none': no promise (gradients, SmoothGrad).
 */
export type AttributionCheck = 'complete' | 'approximate' | 'none';
const CHECKS: readonly AttributionCheck[] = ['complete', 'approximate', 'none'];

export interface MethodInfo {
  run: (ctx: ExplainContext, options: MethodOptions) => MethodResult | Promise<MethodResult>;
  /** default number of steps (METHODS.md) */
  defaultSteps: number;
  /** the check that fits the method; default: 'complete' (a path from its start to x), or 'none' where `complete` is false */
  check?: AttributionCheck;
  /** the older form of `check`: true = 'complete', false = 'none' */
  complete?: boolean;
  /** what f is taken at where the path starts, for reports (default 'f(baseline)') */
  start?: string;
  /** set when the path has its own start (or none): explain() refuses a baseline with this message */
  ownStart?: string;
  description: string;
}

const registry = new Map<string, MethodInfo>();

/** Add a method (built-in or a researcher's own); its name becomes usable in explain() and the CLI. */
export function registerMethod(name: string, info: MethodInfo): void {
  if (info.check !== undefined && !CHECKS.includes(info.check)) fail(`registerMethod ${name}: check must be one of ${CHECKS.join(', ')}, got ${String(info.check)}`);
  registry.set(name, info);
}

/** The check a method declares (see MethodInfo.check). */
export function methodCheck(info: MethodInfo): AttributionCheck {
  return info.check ?? (info.complete === false ? 'none' : 'complete');
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
  const ownStart = `${name}: the ${description} is taken at x alone and has no baseline; drop the baseline option (or use ig for a path from it)`;
  registerMethod(name, { run: (ctx) => inputGradient(ctx, timesInput), defaultSteps: 1, check: 'none', ownStart, description });
}

registerMethod('ig', {
  run: (ctx, o) => {
    const q = quadrature(o.rule, o.steps);
    return integratePath(ctx, straightLinePath(q.alphas, q.weights), weightedGradientIntegrator());
  },
  defaultSteps: 64,
  check: 'complete',
  description: 'Integrated Gradients on the straight line, Riemann or Gauss–Legendre rule',
});

registerMethod('idgi', {
  // m + 1 points α_k = k/m: f at every point, ∇f at k < m
  run: (ctx, { steps: m }) => integratePath(ctx, straightLinePath(quadrature('trapezoid', m).alphas, new Float64Array(m + 1)), idgiIntegrator()),
  defaultSteps: 64,
  check: 'complete',
  description: 'IDGI (Yang et al. 2023) applied to the IG straight-line path',
});
