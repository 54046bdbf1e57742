/**
 * How alike two explanations are, per image, as the sanity checks measure it (Adebayo et al. 2018,
 * arXiv 1810.03292; Quantus's randomisation metrics): on the per-pixel map (channels summed: signed
 * Σ_c a_c, absolute Σ_c |a_c|), the Spearman rank correlation, SSIM and the top-k intersection.
 * Spearman and top-k run on the CPU in float64 (they sort); SSIM runs on the GPU with the MS-SSIM
 * statistics kernel at one scale (ssim-stats.ts), one readback for a whole batch.
 */
import type { Engine } from '../gpu/engine.js';
import { fail } from '../errors.js';
import { pearson } from '../metrics/faithfulness-correlation.js';
import { gaussianWindow } from '../metrics/ms-ssim.js';
import { ssimStats } from '../metrics/ssim-stats.js';
import { Tensor } from '../tensor/tensor.js';

export const SIMILARITY_MEASURES = ['spearman', 'ssim', 'topk'] as const;
export type SimilarityMeasure = (typeof SIMILARITY_MEASURES)[number];
export const MAP_KINDS = ['signed', 'abs'] as const;
export type MapKind = (typeof MAP_KINDS)[number];

/** Per image: kind → measure → value. */
export type Similarities = Record<MapKind, Record<SimilarityMeasure, number[]>>;

export interface SimilarityOptions {
  /** top-k: the fraction of pixels taken as the most salient (default 0.1) */
  topFraction?: number;
  /** SSIM's Gaussian window (default 7, clipped to the image) and σ (default 1.5) */
  ssimWindow?: number;
  ssimSigma?: number;
}

/** Ranks 1…n with ties given their average rank (the Spearman convention, scipy's rankdata 'average'). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]!] = rank;
    i = j + 1;
  }
  return ranks;
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/**
 * Spearman's ρ: Pearson's r of the average ranks; 0 where one side is constant (no order to agree
 * with), 1 where both are.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) fail(`spearman: needs two series of equal length ≥ 2`);
  const constantA = isConstant(a);
  const constantB = isConstant(b);
  if (constantA || constantB) return constantA && constantB ? 1 : 0;
  return pearson(averageRanks(a), averageRanks(b));
}

/** The k largest values' indices (ties: lower index first). */
function topIndices(values: ArrayLike<number>, k: number): Set<number> {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((x, y) => values[y]! - values[x]! || x - y);
  return new Set(order.slice(0, k));
}

/** |top-k(a) ∩ top-k(b)| / k, k = ⌈fraction · pixels⌉ (the largest values: for a signed map, the most positive). */
export function topKIntersection(a: ArrayLike<number>, b: ArrayLike<number>, fraction = 0.1): number {
  if (!(fraction > 0 && fraction <= 1)) fail(`topKIntersection: fraction must be in (0, 1], got ${fraction}`);
  const k = Math.max(1, Math.ceil(fraction * a.length));
  const top = topIndices(a, k);
  let shared = 0;
  for (const i of topIndices(b, k)) if (top.has(i)) shared++;
  return shared / k;
}

/** The map divided by its largest |value| (Quantus's normalise_by_max); an all-zero map stays zero. */
export function normaliseByMaxAbs(map: Float64Array): Float32Array {
  let m = 0;
  for (const v of map) m = Math.max(m, Math.abs(v));
  return Float32Array.from(map, (v) => (m > 0 ? v / m : 0));
}

/** Per-pixel maps of a batch of attributions [n, C, H, W]: signed Σ_c a_c and absolute Σ_c |a_c|, each per image. */
export function pixelMaps(attribution: Float32Array, n: number, shape: readonly [number, number, number]) {
  const [c, h, w] = shape;
  const hw = h * w;
  if (attribution.length !== n * c * hw) fail(`pixelMaps: ${attribution.length} values are not ${n} × [${shape}]`);
  const maps = { signed: [] as Float64Array[], abs: [] as Float64Array[] };
  for (let i = 0; i < n; i++) {
    const signed = new Float64Array(hw);
    const abs = new Float64Array(hw);
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < hw; p++) {
        const v = attribution[(i * c + ch) * hw + p]!;
        signed[p]! += v;
        abs[p]! += Math.abs(v);
      }
    maps.signed.push(signed);
    maps.abs.push(abs);
  }
  return maps;
}

/**
 * SSIM per image pair on the GPU, after normalising each map by its max |value|: signed maps lie in
 * [−1, 1] (data range 2), absolute ones in [0, 1] (data range 1); Gaussian window, 'valid' positions,
 * K1 = 0.01, K2 = 0.03. The value is the mean SSIM, not clipped (it can be negative).
 */
async function ssimBatch(
  engine: Engine,
  a: readonly Float64Array[],
  b: readonly Float64Array[],
  h: number,
  w: number,
  dataRange: number,
  opts: SimilarityOptions,
): Promise<number[]> {
  const n = a.length;
  const pack = (maps: readonly Float64Array[]) => {
    const out = new Float32Array(n * h * w);
    maps.forEach((m, i) => out.set(normaliseByMaxAbs(m), i * h * w));
    return out;
  };
  let win = Math.min(opts.ssimWindow ?? 7, h, w);
  if (win % 2 === 0) win--;
  const ta = Tensor.from(engine, pack(a), [n, 1, h, w], { label: 'sanity ssim a' });
  const tb = Tensor.from(engine, pack(b), [n, 1, h, w], { label: 'sanity ssim b' });
  const stats = Tensor.empty(engine, [2 * n], 'sanity ssim stats');
  try {
    const c1 = (0.01 * dataRange) ** 2;
    const c2 = (0.03 * dataRange) ** 2;
    ssimStats(ta, tb, stats, { taps: gaussianWindow(win, opts.ssimSigma ?? 1.5), c1, c2, offset: 0 });
    const data = await stats.download();
    // per plane: (mean contrast-structure, mean SSIM)
    return Array.from({ length: n }, (_, i) => data[2 * i + 1]!);
  } finally {
    ta.dispose();
    tb.dispose();
    stats.dispose();
  }
}

/** Every measure on signed and absolute maps, per image, between two attributions of the same n images. */
export async function similarities(
  engine: Engine,
  a: Float32Array,
  b: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  opts: SimilarityOptions = {},
): Promise<Similarities> {
  const [, h, w] = shape;
  const ma = pixelMaps(a, n, shape);
  const mb = pixelMaps(b, n, shape);
  const out = {} as Similarities;
  for (const kind of MAP_KINDS) {
    const x = ma[kind];
    const y = mb[kind];
    out[kind] = {
      spearman: x.map((m, i) => spearman(m, y[i]!)),
      ssim: await ssimBatch(engine, x, y, h, w, kind === 'signed' ? 2 : 1, opts),
      topk: x.map((m, i) => topKIntersection(m, y[i]!, opts.topFraction)),
    };
  }
  return out;
}
