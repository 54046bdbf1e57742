/**
 * Integrators turn evaluated path chunks into an attribution, on the GPU:
 * - weightedGradient: attr = [dir ⊙] Σ_k w_k g_k (⊙ dir_k when the path gives per-point directions)
 *   — IG's Riemann / Gauss–Legendre sums and Blur IG's Σ Δσ ∂x/∂σ ⊙ g.
 * - idgi: attr = Σ_k g_k² / ‖g_k‖² · (f_{k+1} − f_k) (Yang et al. 2023), which needs f at the next
 *   point, so consecutive chunks overlap by one point.
 */
import { accumulateGradients } from './accumulate-gradients.js';
import { idgiStep } from './idgi-step.js';
import { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';
import { evaluateGradients, type PointEvaluation } from './evaluate.js';
import type { PathPoints, SampledPath } from './paths.js';

export interface IntegrationResult {
  attribution: Tensor;
  /** [N] Δf of skipped zero-gradient steps (IDGI) */
  dropped?: Tensor;
}

export interface Integrator {
  readonly name: string;
  /** points shared by consecutive chunks */
  readonly overlap: number;
  start(ctx: ExplainContext, path: SampledPath): void;
  add(ctx: ExplainContext, path: SampledPath, first: number, count: number, pts: PathPoints, ev: PointEvaluation): void;
  finish(ctx: ExplainContext, path: SampledPath): IntegrationResult;
  /** release what start() allocated when the walk fails part-way */
  abandon?(): void;
}

export function weightedGradientIntegrator(): Integrator {
  let acc: Tensor | null = null;
  return {
    name: 'weighted-gradient',
    overlap: 0,
    start(ctx) {
      acc = Tensor.zeros(ctx.engine, ctx.x.shape, 'attribution');
    },
    add(ctx, path, first, count, pts, ev) {
      // the last chunk also multiplies the sum by the path's constant direction
      const times = first + count >= path.length ? path.constantDirection?.(ctx) : undefined;
      accumulateGradients(acc!, ev.grad, path.weights.subarray(first, first + count), { dir: pts.direction, times });
    },
    finish() {
      const attribution = acc!;
      acc = null;
      return { attribution };
    },
    abandon() {
      acc?.dispose();
      acc = null;
    },
  };
}

export function idgiIntegrator(): Integrator {
  let attr: Tensor | null = null;
  let dropped: Tensor | null = null;
  return {
    name: 'idgi',
    overlap: 1,
    start(ctx) {
      attr = Tensor.zeros(ctx.engine, ctx.x.shape, 'attribution');
      dropped = Tensor.zeros(ctx.engine, [ctx.x.shape[0]!], 'idgi dropped');
    },
    add(_ctx, _path, _first, count, _pts, ev) {
      idgiStep(attr!, dropped!, ev.grad, ev.f, count);
    },
    finish() {
      const r = { attribution: attr!, dropped: dropped! };
      attr = dropped = null;
      return r;
    },
    abandon() {
      attr?.dispose();
      dropped?.dispose();
      attr = dropped = null;
    },
  };
}

/**
 * Walk a sampled path in chunks that fit the row budget: generate points, evaluate f and ∇f,
 * integrate — all recorded on the GPU with no readback (a CPU function reads its points back).
 */
export async function integratePath(ctx: ExplainContext, path: SampledPath, integrator: Integrator): Promise<IntegrationResult> {
  const n = ctx.x.shape[0]!;
  const overlap = integrator.overlap;
  const perChunk = Math.max(overlap + 1, Math.min(path.length, Math.floor(ctx.maxRows / n)));
  integrator.start(ctx, path);
  let done = false;
  try {
    for (let first = 0; ; first += perChunk - overlap) {
      const count = Math.min(perChunk, path.length - first);
      if (count <= overlap) break;
      const pts = path.points(ctx, first, count);
      try {
        const ev = await evaluateGradients(ctx, pts.points, count);
        integrator.add(ctx, path, first, count, pts, ev);
        ev.f.dispose();
        ev.grad.dispose();
      } finally {
        pts.points.dispose();
        pts.direction?.dispose();
      }
      if (first + count >= path.length) break;
    }
    const result = integrator.finish(ctx, path);
    done = true;
    return result;
  } finally {
    if (!done) integrator.abandon?.();
  }
}
