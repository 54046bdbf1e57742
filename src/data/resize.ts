/**
 * Fitting an image (C×H×W floats) to a model's declared size: bilinear resize with half-pixel
 * centres and edge clamping (PIL / OpenCV / torch `interpolate(..., align_corners=False)` without
 * antialiasing), or a centre crop placed as torchvision's CenterCrop places it.
 */
import { fail } from '../errors.js';

export function resizeBilinear(
  img: Float32Array,
  c: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
): Float32Array {
  const out = new Float32Array(c * oh * ow);
  // source coordinate of output pixel i: (i + 0.5) · in / out − 0.5, clamped to the image
  const taps = (n: number, on: number) =>
    Array.from({ length: on }, (_, i) => {
      const s = Math.min(Math.max((i + 0.5) * (n / on) - 0.5, 0), n - 1);
      const lo = Math.floor(s);
      return { lo, hi: Math.min(lo + 1, n - 1), t: s - lo };
    });
  const ys = taps(h, oh);
  const xs = taps(w, ow);
  for (let k = 0; k < c; k++)
    for (let y = 0; y < oh; y++) {
      const { lo: y0, hi: y1, t: ty } = ys[y]!;
      for (let x = 0; x < ow; x++) {
        const { lo: x0, hi: x1, t: tx } = xs[x]!;
        const at = (yy: number, xx: number) => img[(k * h + yy) * w + xx]!;
        const top = at(y0, x0) * (1 - tx) + at(y0, x1) * tx;
        const bottom = at(y1, x0) * (1 - tx) + at(y1, x1) * tx;
        out[(k * oh + y) * ow + x] = top * (1 - ty) + bottom * ty;
      }
    }
  return out;
}

/** Python's round(): halves to even (torchvision's CenterCrop offset is int(round((h − oh) / 2))). */
const roundHalfEven = (v: number) => (v % 1 === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

export function centreCrop(
  img: Float32Array,
  c: number,
  h: number,
  w: number,
  oh: number,
  ow: number,
  source: string,
): Float32Array {
  if (h < oh || w < ow)
    fail(
      `${source} is ${w}×${h} pixels, smaller than the model's ${ow}×${oh}: a centre crop needs at least that (declare resize=bilinear to scale it)`,
    );
  const top = roundHalfEven((h - oh) / 2);
  const left = roundHalfEven((w - ow) / 2);
  const out = new Float32Array(c * oh * ow);
  for (let k = 0; k < c; k++)
    for (let y = 0; y < oh; y++)
      out.set(img.subarray((k * h + top + y) * w + left, (k * h + top + y) * w + left + ow), (k * oh + y) * ow);
  return out;
}
