/**
 * SmoothGrad (Smilkov et al. 2017) around any method: n noisy copies of every input run as one
 * batch of N·n inputs through the method, then averaged (squared first when `magnitude`).
 */
import { checkPositiveInt, fail } from '../../errors.js';
import { Tensor, reshapeOwned } from '../../tensor/tensor.js';
import { sliceBatch } from '../../tensor/batch.js';
import { seededRandom } from '../../nn/init.js';
import { straightPathPoints } from '../kernels/path-points.js';
import { accumulateGradients } from '../kernels/accumulate-gradients.js';
import { square } from '../../ops/arithmetic.js';
import type { ExplainContext } from '../context.js';
import type { MethodInfo, MethodResult } from '../registry.js';

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
  if (typeof noiseLevel !== 'number' || !(noiseLevel >= 0 && Number.isFinite(noiseLevel)))
    fail(`smoothgrad: noiseLevel must be a finite number >= 0, got ${String(noiseLevel)}`);
  if (typeof magnitude !== 'boolean') fail(`smoothgrad: magnitude must be true or false, got ${String(magnitude)}`);
  return { samples, noiseLevel, magnitude };
}

/**
 * `method` wrapped in SmoothGrad, as a method of its own (not complete). `input` is the explained
 * input on the CPU, or a Tensor read back once when the method runs (the noise scale needs its range).
 */
export function withSmoothGrad<O>(
  method: MethodInfo<O>,
  s: SmoothGradSettings,
  input: Float32Array | Tensor,
): MethodInfo<O> {
  const run: MethodInfo<O>['run'] = async (ctx, o) =>
    smoothGrad(ctx, (c) => method.run(c, o), s, o.seed, input instanceof Tensor ? await input.download() : input);
  return { ...method, run, check: 'none', description: `SmoothGrad around ${method.description}` };
}

/**
 * The N·n noisy inputs in chunks of at most half the row budget (whole images with all their
 * samples, or one image's samples in parts), in row order i·n + s, so the seeded noise is the same
 * for any budget; each chunk's maps are accumulated into its images' attribution.
 */
async function smoothGrad(
  ctx: ExplainContext,
  run: (c: ExplainContext) => MethodResult | Promise<MethodResult>,
  { samples, noiseLevel: level, magnitude }: SmoothGradSettings,
  seed: number,
  xs: Float32Array,
): Promise<MethodResult> {
  const { engine } = ctx;
  const n = ctx.x.shape[0]!;
  const per = ctx.x.size / n;
  // one noise stream per image, keyed by the seed and the image's bits: an image gets the same
  // noise alone or anywhere in a batch (eval's shards), and for any row budget
  const streams = new Map<number, () => number>();
  const rand = (i: number) => {
    if (!streams.has(i)) streams.set(i, seededRandom(imageKey(seed + 7, xs.subarray(i * per, (i + 1) * per))));
    return streams.get(i)!;
  };
  const rows = Math.max(1, Math.floor(ctx.maxRows / 2));
  const [images, part] = [Math.max(1, Math.min(n, Math.floor(rows / samples))), Math.min(samples, rows)];
  const chunks = Math.ceil(n / images) * Math.ceil(samples / part);
  let chunk = 0;
  const attribution = Tensor.zeros(engine, ctx.x.shape, 'attribution');
  try {
    for (let i0 = 0; i0 < n; i0 += images) {
      const k = Math.min(images, n - i0);
      const acc = k === n ? attribution : Tensor.zeros(engine, [k, ...ctx.x.shape.slice(1)], 'attribution');
      try {
        for (let s0 = 0; s0 < samples; s0 += part) {
          const c = Math.min(part, samples - s0);
          const g = chunk++;
          const checkpoint = ctx.checkpoint && ((d: number, t: number) => ctx.checkpoint!(g * t + d, chunks * t));
          await sampleChunk(
            { ...ctx, checkpoint },
            run,
            acc,
            noisyCopies(xs, i0, k, per, c, level, rand),
            i0,
            c,
            samples,
            magnitude,
          );
        }
        if (acc !== attribution) engine.copy(acc.buffer, 0, attribution.buffer, i0 * per * 4, acc.byteLength);
      } finally {
        if (acc !== attribution) acc.dispose();
      }
    }
    return { attribution };
  } catch (e) {
    attribution.dispose();
    throw e;
  }
}

/** Images i0 … i0 + k − 1 (acc's rows), c noisy copies each: run the method and add its maps / samples. */
async function sampleChunk(
  ctx: ExplainContext,
  run: (c: ExplainContext) => MethodResult | Promise<MethodResult>,
  acc: Tensor,
  noisy: Float32Array,
  i0: number,
  c: number,
  samples: number,
  magnitude: boolean,
): Promise<void> {
  const k = acc.shape[0]!;
  const ones = new Array<number>(c).fill(1);
  // row i·c + s = t_i: a straight 'path' from t to itself, sampled c times
  const repeat = (t: Tensor, shape: readonly number[]) => {
    const slice = sliceBatch(t, i0, k);
    const flat = slice.reshape([k, slice.size / k]);
    const out = straightPathPoints(flat, flat, ones);
    for (const v of [flat, slice]) v.dispose();
    return reshapeOwned(out, shape);
  };
  const shape = [k * c, ...ctx.x.shape.slice(1)];
  const inner: ExplainContext = {
    ...ctx,
    x: Tensor.from(ctx.engine, noisy, shape, { label: 'smoothgrad inputs' }),
    baseline: repeat(ctx.baseline, shape),
    targets: repeat(ctx.targets, [k * c]),
    targetList: ctx.targetList && ctx.targetList.slice(i0, i0 + k).flatMap((t) => new Array<number>(c).fill(t)),
  };
  try {
    const r = await run(inner);
    const maps = magnitude ? square(r.attribution) : r.attribution;
    accumulateGradients(acc, maps, new Array<number>(c).fill(1 / samples));
    for (const t of new Set([maps, r.attribution, r.dropped, r.fStart])) t?.dispose();
  } finally {
    for (const t of [inner.x, inner.baseline, inner.targets]) t.dispose();
  }
}

/** x_i + N(0, σ_i²) for images i0 … i0 + k − 1, c copies each, σ_i = level · (max(x_i) − min(x_i)). */
function noisyCopies(
  xs: Float32Array,
  i0: number,
  k: number,
  per: number,
  c: number,
  level: number,
  rand: (image: number) => () => number,
): Float32Array {
  const noisy = new Float32Array(k * c * per);
  for (let i = 0; i < k; i++) {
    const x = xs.subarray((i0 + i) * per, (i0 + i + 1) * per);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const sigma = level * (hi - lo);
    for (let s = 0; s < c; s++) {
      const row = (i * c + s) * per;
      for (let j = 0; j < per; j++) noisy[row + j] = x[j]! + sigma * gaussian(rand(i0 + i));
    }
  }
  return noisy;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

/** FNV-1a over the image's float bits, mixed with the seed: a noise stream's seed. */
function imageKey(seed: number, x: Float32Array): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const word of new Uint32Array(x.buffer, x.byteOffset, x.length)) h = Math.imul(h ^ word, 0x01000193) >>> 0;
  return h;
}
