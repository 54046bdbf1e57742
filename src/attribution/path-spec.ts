/**
 * The public path spec: the pieces a path method is written with (methods/expected-gradients.ts,
 * split-ig.ts, idg.ts use nothing else).
 * - A path given as points and Δ: `pathOfPoints`, with `straightPointsAt` for straight-line points
 *   at α per image and point; integratePath() sums w_k · g_k ⊙ Δ_k.
 * - A weighted step schedule, adaptive in two passes: `valuesAlong` (pass 1, f only, read back
 *   once) feeds the schedule that `integrateWithHook` walks (pass 2).
 * - A per-step hook that sees g, F(α) and dF/dα: `integrateWithHook`.
 * - A weighted, seeded baseline set: baseline-set.ts (explain()'s `baseline: { set, … }`).
 * - A layer tap: a key of the subject's evaluate() (subject.ts), for layer methods.
 * The hook and pass 1 read f back per chunk (to the CPU); the gradients stay on the GPU.
 */
import { Tensor } from '../tensor/tensor.js';
import { add } from '../ops/add.js';
import { sub } from '../ops/arithmetic.js';
import { binary } from '../ops/broadcast.js';
import { seededRandom } from '../nn/init.js';
import { straightPathPoints } from './kernels/path-points.js';
import { accumulateGradients } from './kernels/accumulate-gradients.js';
import type { ExplainContext } from './context.js';
import { evaluateGradients, evaluateValues } from './evaluate.js';
import { inImageGroups, type IntegrationResult } from './integrators.js';
import type { PathPoints, SampledPath } from './paths.js';
import type { Quadrature } from './quadrature.js';

/** A path given as points and Δ: `length` points per image, weights w_k; the attribution is Σ_k w_k g_k ⊙ Δ_k. */
export function pathOfPoints(
  length: number,
  weights: Float64Array,
  at: (ctx: ExplainContext, first: number, count: number) => PathPoints,
): SampledPath {
  return { length, weights, points: at };
}

/** x'_i + α(i, k)(x_i − x'_i) for points k = first … first + count − 1 of every image i, with Δ = x_i − x'_i. */
export function straightPointsAt(
  ctx: ExplainContext,
  alpha: (image: number, k: number) => number,
  first: number,
  count: number,
): PathPoints {
  const n = ctx.x.shape[0]!;
  const start = straightPathPoints(ctx.x, ctx.baseline, new Float64Array(count));
  const end = straightPathPoints(ctx.x, ctx.baseline, new Float64Array(count).fill(1));
  const direction = sub(end, start);
  const alphas = Float32Array.from({ length: n * count }, (_, r) => alpha(Math.floor(r / count), first + (r % count)));
  const a = Tensor.from(ctx.engine, alphas, [n * count, ...ctx.x.shape.slice(1).map(() => 1)], { label: 'alphas' });
  const moved = binary('mul', a, direction);
  const points = add(start, moved);
  [start, end, a, moved].forEach((t) => t.dispose());
  return { points, direction };
}

/** A uniform number in [0, 1) for (seed, i, k), the same wherever it is asked (batched or not): seeded sampling of α. */
export function seededUniform(seed: number, i: number, k: number): number {
  return seededRandom(
    Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(k + 1, 0x27d4eb2f),
  )();
}

/** The key of row `row` of ctx for seeded sampling: the same for every target of an image (ExplainContext.sampleKeys). */
export const sampleKey = (ctx: ExplainContext, row: number): number => ctx.sampleKeys?.[row] ?? row;

/** A step schedule: positions α_k along the straight line and their weights. */
export type StepSchedule = Quadrature;

/** Pass 1: f along the straight line at `alphas` for every image (forward only), read back: [image][k]. */
export async function valuesAlong(ctx: ExplainContext, alphas: Float64Array): Promise<Float64Array[]> {
  const n = ctx.x.shape[0]!;
  const perChunk = Math.max(1, Math.floor(ctx.maxRows / n));
  const out = Array.from({ length: n }, () => new Float64Array(alphas.length));
  for (let first = 0; first < alphas.length; first += perChunk) {
    const count = Math.min(perChunk, alphas.length - first);
    const points = straightPathPoints(ctx.x, ctx.baseline, alphas.subarray(first, first + count));
    const f = await evaluateValues(ctx, points, count);
    const values = await f.download();
    [points, f].forEach((t) => t.dispose());
    out.forEach((o, i) => o.set(values.subarray(i * count, (i + 1) * count), first));
  }
  return out;
}

/** What the hook sees at point k of an image: g (row `row` of `grad`), F(α_k), dF/dα by the backward difference (0 at k = 0). */
export interface PathStep {
  image: number;
  k: number;
  alpha: number;
  /** the schedule's weight of the point */
  weight: number;
  f: number;
  dfda: number;
  grad: Tensor;
  row: number;
}

/**
 * Pass 2: for each image (one at a time, its schedule made by `schedule`, which may run pass 1),
 * f and ∇f at the schedule's points; attr = (x − x') ⊙ Σ_k hook(step_k) · g_k.
 */
export function integrateWithHook(
  ctx: ExplainContext,
  schedule: (one: ExplainContext, image: number) => StepSchedule | Promise<StepSchedule>,
  hook: (step: PathStep) => number,
): Promise<IntegrationResult> {
  return inImageGroups(ctx, 1, async (one, image) => {
    const { alphas, weights } = await schedule(one, image);
    const m = alphas.length;
    const acc = Tensor.zeros(one.engine, one.x.shape, 'attribution');
    let previous = 0;
    try {
      for (let first = 0; first < m; first += one.maxRows) {
        const count = Math.min(one.maxRows, m - first);
        const points = straightPathPoints(one.x, one.baseline, alphas.subarray(first, first + count));
        const ev = await evaluateGradients(one, points, count);
        const f = await ev.f.download();
        const w = Float64Array.from(f, (fk, j) => {
          const k = first + j;
          const dfda = k === 0 ? 0 : (fk - (j ? f[j - 1]! : previous)) / (alphas[k]! - alphas[k - 1]!);
          return hook({ image, k, alpha: alphas[k]!, weight: weights[k]!, f: fk, dfda, grad: ev.grad, row: j });
        });
        previous = f[count - 1]!;
        const times = first + count >= m ? { start: one.baseline, end: one.x } : undefined;
        accumulateGradients(acc, ev.grad, w, { times });
        [points, ev.f, ev.grad].forEach((t) => t.dispose());
        await one.checkpoint?.(first + count, m);
      }
    } catch (e) {
      acc.dispose();
      throw e;
    }
    return { attribution: acc };
  });
}
