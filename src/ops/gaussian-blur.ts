/**
 * Gaussian blur over H and W of each channel with scipy.ndimage.gaussian_filter semantics (what
 * PAIR's Blur IG calls): taps exp(−t²/2σ²) normalised to sum 1, radius int(4σ + 0.5), zero
 * ("constant") padding, σ = 0 the identity. Separable: one dispatch along H, one along W, for a
 * whole batch of rows that may each have their own σ. Kernel weights are computed here in float64.
 */
import source from '../../shaders/blur.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

const TRUNCATE = 4.0;
/** table vec4s per σ set: [offB, offA, offD, r], [scale, -, -, -] (see blur.wgsl) */
const HEADER = 2;
/** LINES of blur.wgsl */
const LINES_PER_THREAD = 4;

/** The largest σ (px) any blur takes (Blur IG's maxSigma, the blur baseline): an absolute bound, not the image size (PAIR's test vector blurs a 5×5 image with σ = 10); the kernel has 8σ + 1 taps. */
export const MAX_BLUR_SIGMA = 1000;

/** Half of the normalised 1-D kernel (taps t = 0..r of the symmetric t = −r..r), scipy's radius. */
export function gaussianHalfKernel(sigma: number): Float64Array {
  if (!(sigma > 1e-15)) return Float64Array.of(1); // scipy skips the axis: identity
  const radius = Math.trunc(TRUNCATE * sigma + 0.5);
  const half = Float64Array.from({ length: radius + 1 }, (_, t) => Math.exp((-0.5 * t * t) / (sigma * sigma)));
  let total = half[0]!;
  for (let t = 1; t <= radius; t++) total += 2 * half[t]!;
  return half.map((v) => v / total);
}

/** One blurred image row per σ: rows i·S + s = blur(x_i, sigmas[s]), S = sigmas.length. */
export function gaussianBlur(x: Tensor, sigmas: ArrayLike<number>): Tensor {
  checkSigmas('gaussianBlur', sigmas);
  return blurRows(x, sigmas, null).blurred;
}

/** One σ for every image (the 'blur' baseline's BlurFn). */
export function gaussianBlurUniform(x: Tensor, sigma: number): Tensor {
  return gaussianBlur(x, [sigma]);
}

/**
 * Blur plus its scaled forward difference in σ (Blur IG's ∂x/∂σ · Δσ), in the same two
 * dispatches: rows i·S + s of `blurred` = blur(x_i, σ_s), of `difference` = scales[s] ·
 * (blur(x_i, σ_s + step) − blur(x_i, σ_s)). The difference is taken on the kernels in float64,
 * not on float32 images.
 */
export function gaussianBlurWithDifference(
  x: Tensor,
  sigmas: ArrayLike<number>,
  step: number,
  scales: ArrayLike<number>,
): { blurred: Tensor; difference: Tensor } {
  checkSigmas('gaussianBlurWithDifference', sigmas);
  if (!(step > 0 && Number.isFinite(step)))
    fail(`gaussianBlurWithDifference: sigma step must be a positive finite number, got ${step}`);
  if (scales.length !== sigmas.length)
    fail(`gaussianBlurWithDifference: ${scales.length} scales for ${sigmas.length} sigmas`);
  for (let s = 0; s < scales.length; s++)
    if (!Number.isFinite(scales[s])) fail(`gaussianBlurWithDifference: scale ${s} is ${scales[s]}`);
  return blurRows(x, sigmas, { step, scales }) as { blurred: Tensor; difference: Tensor };
}

function checkSigmas(op: string, sigmas: ArrayLike<number>): void {
  if (sigmas.length === 0) fail(`${op}: no sigmas`);
  for (let s = 0; s < sigmas.length; s++) {
    const v = sigmas[s]!;
    if (!(v >= 0 && v <= MAX_BLUR_SIGMA))
      fail(`${op}: sigma ${s} must be a number in [0, ${MAX_BLUR_SIGMA}], got ${v}`);
  }
}

interface Difference {
  step: number;
  scales: ArrayLike<number>;
}

/**
 * The σ sets' headers, then their kernels as vec4 windows: entry d + r of a window holds
 * (k(d), k(d−1), k(d−2), k(d−3)) for d = −r … r + 3, r the set's largest radius clipped to
 * `maxLen` − 1 (farther taps never land inside the image; the normalisation still counts them, as
 * scipy does).
 */
function tapTable(sigmas: ArrayLike<number>, maxLen: number, diff: Difference | null): Float32Array {
  const header: number[] = [];
  const windows: number[] = [];
  const headerVec4s = sigmas.length * HEADER;
  const put = (half: Float64Array, r: number): number => {
    const offset = headerVec4s + windows.length / 4;
    const k = (t: number) => half[Math.abs(t)] ?? 0;
    for (let d = -r; d <= r + 3; d++) windows.push(k(d), k(d - 1), k(d - 2), k(d - 3));
    return offset;
  };
  for (let s = 0; s < sigmas.length; s++) {
    const b = gaussianHalfKernel(sigmas[s]!);
    const a = diff ? gaussianHalfKernel(sigmas[s]! + diff.step) : b; // radius ≥ b's
    const r = Math.min(a.length - 1, maxLen - 1);
    const offB = put(b, r);
    if (!diff) {
      header.push(offB, 0, 0, r, 0, 0, 0, 0);
      continue;
    }
    const offA = put(a, r);
    const offD = put(
      a.map((v, t) => v - (b[t] ?? 0)),
      r,
    );
    header.push(offB, offA, offD, r, diff.scales[s]!, 0, 0, 0);
  }
  return Float32Array.from([...header, ...windows]);
}

/** Recent tap tables by their inputs: Blur IG builds the same ones on every call (~130 kernels in float64). */
const recentTables = new Map<string, Float32Array>();
const RECENT_TABLES = 16;

function cachedTapTable(sigmas: ArrayLike<number>, maxLen: number, diff: Difference | null): Float32Array {
  const key = JSON.stringify([maxLen, Array.from(sigmas), diff?.step, diff && Array.from(diff.scales)]);
  let table = recentTables.get(key);
  if (!table) {
    table = tapTable(sigmas, maxLen, diff);
    if (recentTables.size >= RECENT_TABLES) recentTables.delete(recentTables.keys().next().value!);
    recentTables.set(key, table);
  }
  return table;
}

/** Output row r = blur of source row ⌊r / S⌋ with σ set r mod S, S = sigmas.length. */
function blurRows(
  x: Tensor,
  sigmas: ArrayLike<number>,
  diff: Difference | null,
): { blurred: Tensor; difference?: Tensor } {
  if (x.rank !== 4) fail(`gaussianBlur: input must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  const engine = x.engine;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const perSource = sigmas.length;
  const shape = [n * perSource, c, h, w];
  // Uploaded as a tensor, not a cached constant: the constant cache keys on the bytes' hex string,
  // which for Blur IG's 64 windowed kernels (~180 KB) cost more CPU than the blur itself.
  const taps = cachedTapTable(sigmas, Math.max(h, w), diff);
  const table = Tensor.from(engine, taps, [taps.length], { label: 'blur taps' });
  // the H pass reads the source images, the W pass the H pass's output planes
  const pass = (axis: 'H' | 'W', bindings: Record<string, Tensor | undefined>) => {
    const [len, stride, lines, lineStride] = axis === 'H' ? [h, w, w, 1] : [w, 1, h, w];
    const quads = Math.ceil(len / 4);
    const threads = n * perSource * c * quads * Math.ceil(lines / LINES_PER_THREAD);
    const batch = Uint32Array.of(
      threads,
      perSource,
      axis === 'H' ? perSource : 1,
      c,
      h * w,
      len,
      stride,
      lines,
      lineStride,
      quads,
    );
    const params = { HEADER, DERIV_H: !!diff && axis === 'H', DERIV_W: !!diff && axis === 'W', DIFF: !!diff };
    engine.run({
      op: 'gaussian_blur',
      source,
      params,
      bindings: { table, batch, ...bindings },
      grid: { threads },
    });
  };
  const alongH = Tensor.empty(engine, shape, 'blur along H');
  const blurred = Tensor.empty(engine, shape, 'blurred');
  const diffAlongH = diff ? Tensor.empty(engine, shape, 'blur difference along H') : undefined;
  const difference = diff ? Tensor.empty(engine, shape, 'blur difference') : undefined;
  pass('H', { src0: x, dst0: alongH, dst1: diffAlongH });
  pass('W', { src0: alongH, dst0: blurred, src1: diffAlongH, dst1: difference });
  for (const t of [table, alongH, diffAlongH]) t?.dispose();
  return { blurred, difference };
}
