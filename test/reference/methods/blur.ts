/**
 * Gaussian blur over H and W of each channel, with scipy.ndimage.gaussian_filter semantics
 * (what PAIR's Blur IG calls with sigma = [σ, σ, 0], mode='constant'):
 *  - kernel taps exp(−t²/(2σ²)), t = −r..r, normalised to sum 1;
 *  - radius r = int(truncate·σ + 0.5) with truncate = 4.0 — i.e. 4σ rounded half up, which is
 *    what scipy does (METHODS.md's "⌈4σ⌉" is not: σ = 0.01 gives r = 0, an identity blur);
 *  - zero ("constant", cval = 0) padding, so borders darken;
 *  - σ ≤ 1e-15 skips the axis (scipy's test), so σ = 0 is the identity.
 * Separable: rows (H) first, then columns (W), as scipy walks the axes in order.
 */

export function gaussianKernel1d(sigma: number, truncate = 4.0): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const taps = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let t = -radius; t <= radius; t++) total += taps[t + radius] = Math.exp((-0.5 * t * t) / (sigma * sigma));
  for (let i = 0; i < taps.length; i++) taps[i]! /= total;
  return taps;
}

/** x: one image, flattened [C, H, W]. Returns a new array. */
export function gaussianBlur(
  x: Float64Array,
  shape: readonly [number, number, number],
  sigma: number,
  truncate = 4.0,
): Float64Array {
  const [c, h, w] = shape;
  if (x.length !== c * h * w) throw new Error(`gaussianBlur: length ${x.length} != ${c}·${h}·${w}`);
  if (!(sigma > 1e-15)) return Float64Array.from(x);
  const taps = gaussianKernel1d(sigma, truncate);
  const alongH = correlateAxis(x, c, h, w, taps, 'H');
  return correlateAxis(alongH, c, h, w, taps, 'W');
}

/**
 * 1-D correlation along H (neighbours w apart) or W (neighbours adjacent) with zero padding. The
 * axis is named, not inferred from the stride: for W = 1 both strides are 1.
 */
function correlateAxis(
  x: Float64Array,
  c: number,
  h: number,
  w: number,
  taps: Float64Array,
  axis: 'H' | 'W',
): Float64Array {
  const out = new Float64Array(x.length);
  const radius = (taps.length - 1) / 2;
  const stride = axis === 'W' ? 1 : w;
  const len = axis === 'W' ? w : h;
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < h; r++) {
      for (let col = 0; col < w; col++) {
        const pos = axis === 'W' ? col : r;
        const base = ch * h * w + r * w + col - pos * stride;
        let acc = 0;
        const lo = Math.max(-radius, -pos);
        const hi = Math.min(radius, len - 1 - pos);
        for (let t = lo; t <= hi; t++) acc += taps[t + radius]! * x[base + (pos + t) * stride]!;
        out[ch * h * w + r * w + col] = acc;
      }
    }
  }
  return out;
}
