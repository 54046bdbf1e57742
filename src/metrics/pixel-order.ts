/** From a [C, H, W] attribution to one saliency per pixel, and the order pixels are revealed in (CPU, float64). */
import { fail } from '../errors.js';

/**
 * 'abs-sum' = Σ_c |a_c| (default), 'sum' = signed Σ_c a_c (the TMLR reproduction),
 * 'abs-of-sum' = |Σ_c a_c| (PAIR's PIC notebook).
 */
export type PixelReduction = 'abs-sum' | 'sum' | 'abs-of-sum';

/** An attribution of length C·H·W is reduced over channels; one of length H·W is used as is. */
export function reduceToPixels(
  attribution: ArrayLike<number>,
  shape: readonly [number, number, number],
  reduction: PixelReduction = 'abs-sum',
): Float64Array {
  const [c, h, w] = shape;
  const hw = h * w;
  if (attribution.length === hw) return Float64Array.from(attribution);
  if (attribution.length !== c * hw)
    fail(`reduceToPixels: attribution length ${attribution.length} is neither H·W = ${hw} nor C·H·W = ${c * hw}`);
  const out = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) {
      const v = attribution[ch * hw + p]!;
      if (!Number.isFinite(v)) fail(`reduceToPixels: attribution value ${ch * hw + p} is ${v}`);
      s += reduction === 'abs-sum' ? Math.abs(v) : v;
    }
    out[p] = reduction === 'abs-of-sum' ? Math.abs(s) : s;
  }
  return out;
}

/** Pixel indices by descending saliency; ties keep ascending pixel index (stable). */
export function rankPixels(saliency: ArrayLike<number>): Int32Array {
  const order = Array.from({ length: saliency.length }, (_, i) => i);
  order.sort((a, b) => saliency[b]! - saliency[a]! || a - b);
  return Int32Array.from(order);
}

/** position[p] = where pixel p sits in `order` (the reveal kernel's per-pixel key). */
export function rankPositions(order: Int32Array): Float32Array {
  const position = new Float32Array(order.length);
  for (let i = 0; i < order.length; i++) position[order[i]!] = i;
  return position;
}
