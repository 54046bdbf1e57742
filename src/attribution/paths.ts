/**
 * Paths whose points can be generated ahead of the gradients (straight line, blur), sampled at
 * `length` positions from the start (index 0) to the input (index length − 1, when the path
 * includes its end). Adaptive paths that need gradients to move (Guided IG, IG2's GradPath) are
 * steppers instead (see guided-ig.ts, ig2.ts).
 */
import { straightPathPoints } from './kernels/path-points.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';

export interface PathPoints {
  /** [N·count, C, H, W], image-major */
  points: Tensor;
  /** per-point direction ∂γ/∂t · Δt for direction-weighted integration; absent when it is constant per image */
  direction?: Tensor;
}

export interface SampledPath {
  /** number of sampled points */
  readonly length: number;
  /** Riemann weight of each point (for the weighted-gradient integrator) */
  readonly weights: Float64Array;
  points(ctx: ExplainContext, first: number, count: number): PathPoints;
  /**
   * A constant direction end − start multiplied in at the end (x − x' for the straight line),
   * fused into the last accumulation. The tensors are shaped like the input; the path keeps them.
   */
  constantDirection?(ctx: ExplainContext): { start: Tensor; end: Tensor };
}

/** x' + α_k (x − x') at the given positions α_k, with Riemann weights w_k. */
export function straightLinePath(alphas: Float64Array, weights: Float64Array): SampledPath {
  return {
    length: alphas.length,
    weights,
    points: (ctx, first, count) => ({
      points: straightPathPoints(ctx.x, ctx.baseline, alphas.subarray(first, first + count)),
    }),
    constantDirection: (ctx) => ({ start: ctx.baseline, end: ctx.x }),
  };
}
