/**
 * SmoothGrad (Smilkov et al. 2017) around any method: n noisy copies of every input run as one
 * batch of N·n inputs through the method, then averaged (squared first when `magnitude`).
 */
import { checkPositiveInt, fail } from '../errors.js';
import { Tensor, reshapeOwned } from '../tensor/tensor.js';
import { seededRandom } from '../nn/init.js';
import { straightPathPoints } from './path-points.js';
import { accumulateGradients } from './accumulate-gradients.js';
import { square } from '../ops/arithmetic.js';
import type { ExplainContext } from './context.js';
import type { MethodInfo, MethodResult } from './methods.js';

export interface SmoothGradOptions {
  /** noisy copies (default 25, PAIR's default) */
  samples?: number;
  /** σ = noiseLevel · (max(x) − min(x)) (default 0.15) */
  noiseLevel?: number;
  /** average squared maps (PAIR's magnitude=True, the default) or signed maps (Captum) */
  magnitude?: boolean;
}

export type SmoothGradSettings = Required<SmoothGradOptions>;

/** The `smoothgrad` option of explain(), validated: null when off, PAIR's defaults for what is not given. */
export function smoothGradSettings(o: SmoothGradOptions | boolean | undefined): SmoothGradSettings | null {
  if (!o) return null;
  const { samples = 25, noiseLevel = 0.15, magnitude = true } = o === true ? {} : o;
  checkPositiveInt('smoothgrad', 'samples', samples);
  if (typeof noiseLevel !== 'number' || !(noiseLevel >= 0 && Number.isFinite(noiseLevel))) fail(`smoothgrad: noiseLevel must be a finite number >= 0, got ${String(noiseLevel)}`);
  if (typeof magnitude !== 'boolean') fail(`smoothgrad: magnitude must be true or false, got ${String(magnitude)}`);
  return { samples, noiseLevel, magnitude };
}

/**
 * `method` wrapped in SmoothGrad, as a method of its own (not complete). `input` is the explained
 * input on the CPU, or a Tensor read back once when the method runs (the noise scale needs its range).
 */
export function withSmoothGrad(method: MethodInfo, s: SmoothGradSettings, input: Float32Array | Tensor): MethodInfo {
  const run: MethodInfo['run'] = async (ctx, o) => smoothGrad(ctx, (c) => method.run(c, o), s, o.seed, input instanceof Tensor ? await input.download() : input);
  return { ...method, run, complete: false, description: `SmoothGrad around ${method.description}` };
}

async function smoothGrad(ctx: ExplainContext, run: (c: ExplainContext) => MethodResult | Promise<MethodResult>, { samples, noiseLevel: level, magnitude }: SmoothGradSettings, seed: number, xs: Float32Array): Promise<MethodResult> {
  const n = ctx.x.shape[0]!;
  const per = ctx.x.size / n;
  const noisy = noisyCopies(xs, n, per, samples, level, seededRandom(seed + 7));
  const ones = new Array<number>(samples).fill(1);
  // row i·samples + s = t_i: a straight 'path' from t to itself, sampled `samples` times
  const repeat = (t: Tensor, shape: readonly number[]) => {
    const rows = t.reshape([n, t.size / n]);
    const out = straightPathPoints(rows, rows, ones);
    rows.dispose();
    return reshapeOwned(out, shape);
  };
  const shape = [n * samples, ...ctx.x.shape.slice(1)];
  const inner: ExplainContext = {
    ...ctx,
    x: Tensor.from(ctx.engine, noisy, shape, { label: 'smoothgrad inputs' }),
    baseline: repeat(ctx.baseline, shape),
    targets: repeat(ctx.targets, [n * samples]),
    targetList: ctx.targetList && ctx.targetList.flatMap((t) => new Array<number>(samples).fill(t)),
  };
  try {
    const r = await run(inner);
    const maps = magnitude ? square(r.attribution) : r.attribution;
    const attribution = Tensor.zeros(ctx.engine, ctx.x.shape, 'attribution');
    accumulateGradients(attribution, maps, new Array<number>(samples).fill(1 / samples));
    for (const t of new Set([maps, r.attribution, r.dropped, r.fStart])) t?.dispose();
    return { attribution };
  } finally {
    for (const t of [inner.x, inner.baseline, inner.targets]) t.dispose();
  }
}

/** x_i + N(0, σ_i²) per copy, σ_i = level · (max(x_i) − min(x_i)). */
function noisyCopies(xs: Float32Array, n: number, per: number, samples: number, level: number, rand: () => number): Float32Array {
  const noisy = new Float32Array(n * samples * per);
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = i * per; j < (i + 1) * per; j++) {
      lo = Math.min(lo, xs[j]!);
      hi = Math.max(hi, xs[j]!);
    }
    const sigma = level * (hi - lo);
    for (let s = 0; s < samples; s++) {
      const row = (i * samples + s) * per;
      for (let j = 0; j < per; j++) noisy[row + j] = xs[i * per + j]! + sigma * gaussian(rand);
    }
  }
  return noisy;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}
