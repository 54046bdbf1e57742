/**
 * Guided IG (Kapishnikov et al. 2021) and IDGI on its path (`gig`, `gig-idgi`), batched across
 * images. Per outer step: one forward+backward of the current points z (N rows), then the
 * data-dependent inner loop as a bounded number of recorded rounds (src/ops/guided-ig-step.ts).
 * Nothing is read back: the whole method is recorded and submitted at explain()'s readback.
 *
 * Inner-round bound: `maxRounds` (default min(⌈D/(k+1)⌉ + 2, 16), k = ⌊fraction·(D − 1)⌋, i.e. 6
 * for the default fraction 0.25; one round more than always suffices). The float64 reference throws
 * when its loop does not converge; the GPU cannot throw mid-stream, so if the bound is hit the
 * step ends short of its L1 target and the next step carries on from there (its laggard push and
 * larger target absorb the gap), and the final snap still ends the path exactly at x (tested).
 */
import { checkPositiveInt, fail } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { idgiStep } from './idgi-step.js';
import { disposeGuidedIgPath, finishGuidedIgPath, guidedIgStep, startGuidedIgPath, sufficientRounds } from '../ops/guided-ig-step.js';
import type { ExplainContext } from './context.js';
import { evaluateGradients, evaluateValues } from './evaluate.js';
import { registerMethod, type MethodOptions, type MethodResult } from './methods.js';

export interface GuidedIgOptions {
  steps: number;
  /** fraction of features (smallest |g| first) moved per inner round (default 0.25) */
  fraction?: number;
  /** maximum deviation from the straight line in α units (default 0.02; 0 = IG's path) */
  maxDist?: number;
  /** inner rounds recorded per outer step (default: see the module comment) */
  maxRounds?: number;
}

const MAX_DEFAULT_ROUNDS = 16;

function readOptions(ctx: ExplainContext, o: GuidedIgOptions, method: string): Required<GuidedIgOptions> {
  checkPositiveInt(method, 'steps', o.steps);
  const fraction = o.fraction ?? 0.25;
  const maxDist = o.maxDist ?? 0.02;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) fail(`${method}: fraction must be in [0, 1], got ${String(fraction)}`);
  if (typeof maxDist !== 'number' || !(maxDist >= 0 && maxDist <= 1)) fail(`${method}: maxDist must be in [0, 1], got ${String(maxDist)}`);
  const features = ctx.x.size / ctx.x.shape[0]!;
  const maxRounds = o.maxRounds ?? Math.min(sufficientRounds(fraction, features), MAX_DEFAULT_ROUNDS);
  checkPositiveInt(method, 'maxRounds', maxRounds);
  return { steps: o.steps, fraction, maxDist, maxRounds };
}

/**
 * IDGI over the path points z_0 … z_{m−1}, x: consecutive points form 2-point chunks
 * [g_{s−1}, ·], [f_{s−1}, f_s] per image (rows 2i, 2i + 1) for the shared idgiStep kernel.
 */
class IdgiOnPath {
  readonly attribution: Tensor;
  readonly dropped: Tensor;
  private readonly grads: Tensor;
  private readonly values: Tensor;
  private started = false;

  constructor(private readonly ctx: ExplainContext) {
    const n = ctx.x.shape[0]!;
    this.attribution = Tensor.zeros(ctx.engine, ctx.x.shape, 'attribution');
    this.dropped = Tensor.zeros(ctx.engine, [n], 'idgi dropped');
    this.grads = Tensor.zeros(ctx.engine, [2 * n, ...ctx.x.shape.slice(1)], 'gig-idgi gradient pairs');
    this.values = Tensor.zeros(ctx.engine, [2 * n], 'gig-idgi value pairs');
  }

  /** The next path point's f (and ∇f, except at the end point x). */
  add(f: Tensor, grad: Tensor | null): void {
    const engine = this.ctx.engine;
    const n = f.size;
    const row = grad ? grad.byteLength / n : 0;
    if (this.started) {
      for (let i = 0; i < n; i++) engine.copy(f.buffer, 4 * i, this.values.buffer, 4 * (2 * i + 1), 4);
      idgiStep(this.attribution, this.dropped, this.grads, this.values, 2);
    }
    for (let i = 0; i < n; i++) {
      engine.copy(f.buffer, 4 * i, this.values.buffer, 8 * i, 4);
      if (grad) engine.copy(grad.buffer, row * i, this.grads.buffer, 2 * row * i, row);
    }
    this.started = true;
  }

  disposeScratch(): void {
    this.grads.dispose();
    this.values.dispose();
  }
}

async function runGuidedIg(ctx: ExplainContext, options: MethodOptions, withIdgi: boolean): Promise<MethodResult> {
  const method = withIdgi ? 'gig-idgi' : 'gig';
  const o = readOptions(ctx, options as unknown as GuidedIgOptions, method);
  const path = startGuidedIgPath(ctx.x, ctx.baseline);
  const idgi = withIdgi ? new IdgiOnPath(ctx) : null;
  try {
    for (let s = 0; s < o.steps; s++) {
      const { f, grad } = await evaluateGradients(ctx, path.z, 1);
      idgi?.add(f, grad);
      guidedIgStep(path, grad, { alpha: (s + 1) / o.steps, maxDist: o.maxDist, fraction: o.fraction, rounds: o.maxRounds });
      if (s === o.steps - 1) finishGuidedIgPath(path, grad);
      f.dispose();
      grad.dispose();
    }
    if (!idgi) return { attribution: path.attribution };
    const fEnd = await evaluateValues(ctx, path.z, 1); // z = x after the snap
    idgi.add(fEnd, null);
    fEnd.dispose();
    return { attribution: idgi.attribution, dropped: idgi.dropped };
  } finally {
    disposeGuidedIgPath(path, !idgi);
    idgi?.disposeScratch();
  }
}

registerMethod('gig', {
  run: (ctx, o) => runGuidedIg(ctx, o, false),
  defaultSteps: 200,
  complete: true,
  description: 'Guided IG (Kapishnikov et al. 2021): adaptive path moving low-|gradient| features first',
});

registerMethod('gig-idgi', {
  run: (ctx, o) => runGuidedIg(ctx, o, true),
  defaultSteps: 200,
  complete: true,
  description: 'IDGI (Yang et al. 2023) on the Guided IG path points',
});
