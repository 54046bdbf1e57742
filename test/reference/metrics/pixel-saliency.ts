/** From a [C, H, W] attribution to one score per pixel, and the order pixels are revealed in. */

/**
 * 'abs-sum' = Σ_c |a_c| (our default for ranking), 'sum' = signed Σ_c a_c (the TMLR reproduction),
 * 'abs-of-sum' = |Σ_c a_c| (PAIR's PIC notebook).
 */
export type PixelReduction = 'abs-sum' | 'sum' | 'abs-of-sum';

/** `attribution` of length C·H·W is reduced over channels; one of length H·W is used as is. */
export function pixelSaliency(
  attribution: Float64Array,
  shape: readonly [number, number, number],
  reduction: PixelReduction = 'abs-sum',
): Float64Array {
  const [c, h, w] = shape;
  const hw = h * w;
  if (attribution.length === hw) return Float64Array.from(attribution);
  if (attribution.length !== c * hw)
    throw new Error(`pixelSaliency: length ${attribution.length} is neither H·W nor C·H·W`);
  const out = new Float64Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) {
      const v = attribution[ch * hw + p]!;
      s += reduction === 'abs-sum' ? Math.abs(v) : v;
    }
    out[p] = reduction === 'abs-of-sum' ? Math.abs(s) : s;
  }
  return out;
}

/** Pixel indices by descending saliency; ties keep ascending pixel index (a stable sort). */
export function rankPixels(saliency: Float64Array): Int32Array {
  const order = Array.from(saliency, (_, i) => i);
  order.sort((a, b) => saliency[b]! - saliency[a]! || a - b);
  return Int32Array.from(order);
}
