/**
 * Float64 transliterations of Quantus's faithfulness correlation and infidelity
 * (understandable-machine-intelligence-lab/Quantus @ 85bc29d137d8f42835dd392f5cc441ad61d6d1f1:
 * quantus/metrics/faithfulness/faithfulness_correlation.py and infidelity.py, `evaluate_batch`),
 * written against a RefModel, with the random subsets given and pixels (all channels) as the
 * unit; 'black' is the image's minimum (quantus/helpers/utils.py `get_baseline_dict`). The
 * single-channel case is checked against Quantus itself in test/metrics-quantus.test.ts.
 */
import type { RefModel } from '../methods/model.js';

const min = (x: ArrayLike<number>) => Math.min(...Array.from(x));

/** Quantus normalise_by_negative. */
export function normaliseByNegative(a: ArrayLike<number>): Float64Array {
  const hi = Math.max(...Array.from(a));
  const lo = Math.min(...Array.from(a));
  return Float64Array.from(a, (v) => (v > 0 ? v / hi : v < 0 ? -(v / lo) : 0));
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  a.forEach((v, i) => {
    sab += (v - ma) * (b[i]! - mb);
    saa += (v - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  });
  return sab / Math.sqrt(saa * sbb);
}

/** x with `pixels` (all channels) set to `value`. */
function withPixels(x: Float64Array, shape: readonly number[], pixels: Iterable<number>, value: number): Float64Array {
  const hw = shape[1]! * shape[2]!;
  const out = Float64Array.from(x);
  for (const p of pixels) for (let c = 0; c < shape[0]!; c++) out[c * hw + p] = value;
  return out;
}

/** saliency: one value per pixel (signed channel sum); subsets: pixel index lists. Logits. */
export function faithfulnessCorrelation(
  model: RefModel,
  x: Float64Array,
  saliency: ArrayLike<number>,
  target: number,
  subsets: number[][],
): number {
  const a = normaliseByNegative(saliency);
  const fx = model.logits(x)[target]!;
  const black = min(x);
  const sums = subsets.map((s) => s.reduce((t, p) => t + a[p]!, 0));
  const drops = subsets.map((s) => fx - model.logits(withPixels(x, model.shape, s, black))[target]!);
  return pearson(sums, drops);
}

/** Patches of `patch` in raster order, set to the minimum, accumulating; a: [C, H, W]; logits. */
export function infidelity(
  model: RefModel,
  x: Float64Array,
  a: ArrayLike<number>,
  target: number,
  patch: number,
): number {
  const [, h, w] = model.shape;
  const fx = model.logits(x)[target]!;
  const black = min(x);
  const removed: number[] = [];
  let sum = 0;
  let count = 0;
  for (let r0 = 0; r0 < h; r0 += patch)
    for (let c0 = 0; c0 < w; c0 += patch) {
      for (let r = r0; r < Math.min(h, r0 + patch); r++)
        for (let c = c0; c < Math.min(w, c0 + patch); c++) removed.push(r * w + c);
      const perturbed = withPixels(x, model.shape, removed, black);
      let dot = 0;
      for (let i = 0; i < x.length; i++) dot += a[i]! * (x[i]! - perturbed[i]!);
      sum += (dot - (fx - model.logits(perturbed)[target]!)) ** 2;
      count++;
    }
  return sum / count;
}
