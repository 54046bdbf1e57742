/**
 * Integrators turn evaluated path chunks into an attribution, on the GPU:
 * - weightedGradient: attr = [dir ⊙] Σ_k w_k g_k (⊙ dir_k when the path gives per-point directions)
 *   — IG's Riemann / Gauss–Legendre sums and Blur IG's Σ Δσ ∂x/∂σ ⊙ g.
 * - idgi: attr = Σ_k g_k² / ‖g_k‖² · (f_{k+1} − f_k) (Yang et al. 2023), which needs f at the next
 *   point, so consecutive chunks overlap by one point.
 */
import { accumulateGradients } from './kernels/accumulate-gradients.js';
import { idgiStep } from './kernels/idgi-step.js';
import { Tensor } from '../tensor/tensor.js';
import { concatBatch, sliceBatch } from '../tensor/batch.js';
import type { ExplainContext } from './context.js';
import { evaluateGradients, evaluateValues, type PointEvaluation } from './evaluate.js';
import type { PathPoints, SampledPath } from './paths.js';
import type { StepperPath } from './adaptive/stepper.js';

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

/** An integrator fed one point per image at a time, as a stepper path produces them (IDGI). */
export interface PointIntegrator {
  start(ctx: ExplainContext): void;
  /** f [N] and ∇f [N, ...] at the next point; grad null at the path's end point */
  addPoint(ctx: ExplainContext, f: Tensor, grad: Tensor | null): void;
  finish(): IntegrationResult;
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

export function idgiIntegrator(): Integrator & PointIntegrator {
  let attr: Tensor | null = null;
  let dropped: Tensor | null = null;
  // stepper points: the previous and current point of each image as a 2-point chunk (rows 2i, 2i + 1)
  let pair: { grads: Tensor; values: Tensor } | null = null;
  const release = () => {
    for (const t of [pair?.grads, pair?.values]) t?.dispose();
    pair = null;
  };
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
    addPoint(ctx, f, grad) {
      const { engine, x } = ctx;
      const n = f.size;
      const first = !pair;
      pair ??= {
        grads: Tensor.zeros(engine, [2 * n, ...x.shape.slice(1)], 'idgi gradient pairs'),
        values: Tensor.zeros(engine, [2 * n], 'idgi value pairs'),
      };
      const row = x.byteLength / n;
      if (!first) {
        for (let i = 0; i < n; i++) engine.copy(f.buffer, 4 * i, pair.values.buffer, 4 * (2 * i + 1), 4);
        idgiStep(attr!, dropped!, pair.grads, pair.values, 2);
      }
      for (let i = 0; i < n; i++) {
        engine.copy(f.buffer, 4 * i, pair.values.buffer, 8 * i, 4);
        if (grad) engine.copy(grad.buffer, row * i, pair.grads.buffer, 2 * row * i, row);
      }
    },
    finish() {
      release();
      const r = { attribution: attr!, dropped: dropped! };
      attr = dropped = null;
      return r;
    },
    abandon() {
      release();
      for (const t of [attr, dropped]) t?.dispose();
      attr = dropped = null;
    },
  };
}

/**
 * Walk a stepper path: ∇f at each point, then a step. The result is the path's own attribution
 * (Σ Δz ⊙ ∇f), or, with a point integrator (IDGI), that integrator's over f and ∇f at every
 * point and f at the end. A batch over the row budget walks in groups of images, one after the other.
 */
export function integrateStepper(
  ctx: ExplainContext,
  path: StepperPath,
  integrator?: PointIntegrator,
): Promise<IntegrationResult> {
  // IDGI keeps the previous point's gradient beside the current one: two rows per image
  const group = Math.max(1, Math.floor(ctx.maxRows / (integrator ? 2 : 1)));
  return inImageGroups(ctx, group, (sub) => walkStepper(sub, path, integrator));
}

async function walkStepper(
  ctx: ExplainContext,
  path: StepperPath,
  integrator?: PointIntegrator,
): Promise<IntegrationResult> {
  let ok = false;
  try {
    let point = path.begin(ctx.x, ctx.baseline);
    integrator?.start(ctx);
    for (let done = false, k = 1; !done; k++) {
      const ev = await evaluateGradients(ctx, point, 1);
      integrator?.addPoint(ctx, ev.f, ev.grad);
      ({ point, done } = path.step(ev.grad));
      ev.f.dispose();
      ev.grad.dispose();
      await ctx.checkpoint?.(k, Math.max(k, path.length ?? k));
    }
    if (!integrator) return { attribution: path.attribution() };
    const fEnd = await evaluateValues(ctx, point, 1);
    integrator.addPoint(ctx, fEnd, null);
    fEnd.dispose();
    const result = integrator.finish();
    ok = true;
    return result;
  } finally {
    path.dispose();
    if (!ok) integrator?.abandon?.();
  }
}

/**
 * Walk a sampled path in chunks that fit the row budget: generate points, evaluate f and ∇f,
 * integrate — all recorded on the GPU with no readback (a CPU function reads its points back).
 * A batch too large for even one chunk of every image runs in groups of images.
 */
export function integratePath(
  ctx: ExplainContext,
  path: SampledPath,
  integrator: Integrator,
): Promise<IntegrationResult> {
  const group = Math.max(1, Math.floor(ctx.maxRows / (integrator.overlap + 1)));
  return inImageGroups(ctx, group, (sub) => walkPath(sub, path, integrator));
}

async function walkPath(ctx: ExplainContext, path: SampledPath, integrator: Integrator): Promise<IntegrationResult> {
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
      await ctx.checkpoint?.(first + count, path.length);
      if (first + count >= path.length) break;
    }
    const result = integrator.finish(ctx, path);
    done = true;
    return result;
  } finally {
    if (!done) integrator.abandon?.();
  }
}

/** What a group of images yields: the attribution and any per-image tensors (IDGI's dropped Δf, IG2's f at its start). */
type GroupResult = IntegrationResult & { fStart?: Tensor };

/**
 * `run` on consecutive groups of at most `size` images (inputs, baselines and targets sliced; `first`
 * is the group's first image), every tensor of their results gathered into [N, ...]; progress
 * counts every group's points, so done/total rise over the whole call. One group runs on ctx itself.
 */
export async function inImageGroups(
  ctx: ExplainContext,
  size: number,
  run: (sub: ExplainContext, first: number) => Promise<GroupResult>,
): Promise<GroupResult> {
  const n = ctx.x.shape[0]!;
  if (n <= size) return run(ctx, 0);
  const groups = Math.ceil(n / size);
  const parts = { attribution: [] as Tensor[], dropped: [] as Tensor[], fStart: [] as Tensor[] };
  try {
    for (let g = 0; g < groups; g++) {
      const [first, count] = [g * size, Math.min(size, n - g * size)];
      const rows = (t: Tensor) => sliceBatch(t, first, count);
      const checkpoint = ctx.checkpoint && ((d: number, t: number) => ctx.checkpoint!(g * t + d, groups * t));
      const sub = {
        ...ctx,
        x: rows(ctx.x),
        baseline: rows(ctx.baseline),
        targets: rows(ctx.targets),
        targetList: ctx.targetList?.slice(first, first + count) ?? null,
        checkpoint,
      };
      try {
        const r = await run(sub, first);
        for (const key of ['attribution', 'dropped', 'fStart'] as const) if (r[key]) parts[key].push(r[key]);
      } finally {
        for (const t of [sub.x, sub.baseline, sub.targets]) t.dispose();
      }
    }
    const join = (ts: Tensor[]) => (ts.length ? concatBatch(ts) : undefined);
    return { attribution: concatBatch(parts.attribution), dropped: join(parts.dropped), fStart: join(parts.fStart) };
  } finally {
    for (const t of Object.values(parts).flat()) t.dispose();
  }
}
