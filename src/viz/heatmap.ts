/**
 * Attribution heatmaps: per-pixel saliency (Σ_c |attr| by default), normalised by a high
 * percentile so one extreme pixel does not wash the map out, mapped through a perceptual
 * black→purple→orange→yellow ramp, and shown next to the input and as an overlay on it.
 */
import { encode } from 'fast-png';

export type SaliencyMode = 'abs' | 'signed';

/** Per-pixel saliency of one attribution [C, H, W] → [H, W]. */
export function pixelSaliency(
  attr: ArrayLike<number>,
  c: number,
  h: number,
  w: number,
  mode: SaliencyMode = 'abs',
): Float32Array {
  const out = new Float32Array(h * w);
  for (let k = 0; k < c; k++)
    for (let i = 0; i < h * w; i++) out[i]! += mode === 'abs' ? Math.abs(attr[k * h * w + i]!) : attr[k * h * w + i]!;
  return out;
}

/** The q-quantile of |values| (q in [0, 1]). */
export function absPercentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float32Array.from(values, Math.abs).sort();
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

type Ramp = readonly (readonly [number, number, number, number])[];

// inferno-like control points (t, r, g, b)
const RAMP: Ramp = [
  [0, 0, 0, 4],
  [0.25, 87, 16, 110],
  [0.5, 188, 55, 84],
  [0.75, 249, 142, 9],
  [1, 252, 255, 164],
];

// blue–white–red (t in [−1, 1], white at 0): signed attributions, symmetric about 0
const DIVERGING: Ramp = [
  [-1, 33, 102, 172],
  [-0.5, 146, 197, 222],
  [0, 247, 247, 247],
  [0.5, 244, 165, 130],
  [1, 178, 24, 43],
];

/** Piecewise-linear colour at t, clamped to the ramp's ends. */
function rampColour(ramp: Ramp, t: number): [number, number, number] {
  const v = Math.min(ramp[ramp.length - 1]![0], Math.max(ramp[0]![0], t));
  for (let i = 1; i < ramp.length; i++) {
    const [t1, r1, g1, b1] = ramp[i]!;
    if (v <= t1) {
      const [t0, r0, g0, b0] = ramp[i - 1]!;
      const f = (v - t0) / (t1 - t0);
      return [r0 + f * (r1 - r0), g0 + f * (g1 - g0), b0 + f * (b1 - b0)];
    }
  }
  const [, r, g, b] = ramp[ramp.length - 1]!;
  return [r, g, b];
}

/** The sequential ramp for |attr|: t in [0, 1] (clamped). */
export function colormap(t: number): [number, number, number] {
  return rampColour(RAMP, t);
}

/** The diverging ramp for signed attributions: t in [−1, 1] (clamped), white at 0. */
export function divergingColormap(t: number): [number, number, number] {
  return rampColour(DIVERGING, t);
}

export interface HeatmapOptions {
  mode?: SaliencyMode;
  /** saliency at this quantile maps to the top of the colour ramp (default 0.995) */
  percentile?: number;
  /** nearest-neighbour upscaling factor for small images (default: to ≥ 224 px) */
  scale?: number;
}

/** RGBA (width·height·4) of the heatmap alone. */
export function heatmapRgba(
  attr: ArrayLike<number>,
  c: number,
  h: number,
  w: number,
  opts: HeatmapOptions = {},
): Uint8ClampedArray {
  const mode = opts.mode ?? 'abs';
  const sal = pixelSaliency(attr, c, h, w, mode);
  const top = absPercentile(sal, opts.percentile ?? 0.995) || 1;
  const out = new Uint8ClampedArray(h * w * 4);
  for (let i = 0; i < h * w; i++) {
    // signed maps centre the ramp: negative below the middle, positive above
    const t = mode === 'abs' ? sal[i]! / top : 0.5 + sal[i]! / (2 * top);
    const [r, g, b] = colormap(t);
    out.set([r, g, b, 255], i * 4);
  }
  return out;
}

/** PNG of the heatmap alone at the input's size (one pixel per input pixel), to lay over the input. */
export function heatmapOnlyPng(
  attr: ArrayLike<number>,
  c: number,
  h: number,
  w: number,
  opts: HeatmapOptions = {},
): Uint8Array {
  return encode({ width: w, height: h, data: heatmapRgba(attr, c, h, w, opts), channels: 4, depth: 8 });
}

/** PNG of three panels: the input (gray or RGB), the heatmap, and the heatmap over the input. */
export function heatmapPng(
  input: ArrayLike<number>,
  attr: ArrayLike<number>,
  c: number,
  h: number,
  w: number,
  opts: HeatmapOptions = {},
): Uint8Array {
  const scale = opts.scale ?? Math.max(1, Math.ceil(224 / Math.max(h, w)));
  const heat = heatmapRgba(attr, c, h, w, opts);
  const gap = 4;
  const W = 3 * w * scale + 2 * gap;
  const H = h * scale;
  const px = new Uint8Array(W * H * 4).fill(255);
  const inputRgb = (i: number): [number, number, number] => {
    const v = (k: number) => Math.round(255 * Math.min(1, Math.max(0, input[k * h * w + i]!)));
    return c >= 3 ? [v(0), v(1), v(2)] : [v(0), v(0), v(0)];
  };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < w * scale; x++) {
      const i = Math.floor(y / scale) * w + Math.floor(x / scale);
      const rgb = inputRgb(i);
      const hm = [heat[i * 4]!, heat[i * 4 + 1]!, heat[i * 4 + 2]!];
      const blend = rgb.map((v, k) => Math.round(0.45 * v + 0.55 * hm[k]!));
      for (const [panel, colour] of [
        [0, rgb],
        [1, hm],
        [2, blend],
      ] as const) {
        const o = (y * W + panel * (w * scale + gap) + x) * 4;
        px.set([colour[0]!, colour[1]!, colour[2]!, 255], o);
      }
    }
  }
  return encode({ width: W, height: H, data: px, channels: 4, depth: 8 });
}
