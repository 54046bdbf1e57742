/** Canvas drawing for the demo: the model input, attribution heatmaps (|attr| or signed, with colour bars) and insertion/deletion curves. */
import { heatmapRgba } from '../src/viz/heatmap.js';
import { attributionMaps, colourBars, formatTick, signedRgba, zeroOnBar } from '../src/viz/figure.js';
import type { PixelCurve } from '../src/metrics/insertion-deletion.js';

function putRgba(canvas: HTMLCanvasElement, rgba: Uint8ClampedArray, w: number, h: number): void {
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(rgba), w, h), 0, 0);
}

/** A CHW image with values in [0, 1] (gray or RGB). */
export function drawInput(canvas: HTMLCanvasElement, x: Float32Array, shape: readonly number[]): void {
  const [c, h, w] = shape as [number, number, number];
  const plane = h * w;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) rgba[4 * p + k] = 255 * x[(c === 3 ? k : 0) * plane + p]!;
    rgba[4 * p + 3] = 255;
  }
  putRgba(canvas, rgba, w, h);
}

/** Share of the heatmap colour where it is laid over the input's pixels. */
const HEAT_OVER_PIXELS = 0.65;

/**
 * Σ_c |attr| normalised by its 99.5th percentile, through the shared colour ramp; with `pixels`
 * (the [0, 1] image shown, C×H×W) laid over their grey, so the heat sits on the original picture.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  attribution: Float32Array,
  shape: readonly number[],
  pixels?: Float32Array,
): void {
  const [c, h, w] = shape as [number, number, number];
  const rgba = heatmapRgba(attribution, c, h, w);
  if (pixels) {
    const plane = h * w;
    for (let p = 0; p < plane; p++) {
      let grey = 0;
      for (let k = 0; k < c; k++) grey += pixels[k * plane + p]! / c;
      for (let k = 0; k < 3; k++)
        rgba[4 * p + k] = HEAT_OVER_PIXELS * rgba[4 * p + k]! + (1 - HEAT_OVER_PIXELS) * 255 * grey;
    }
  }
  putRgba(canvas, rgba, w, h);
}

export type HeatView = 'magnitude' | 'signed';

/** Σ_c attr through the diverging ramp (white at 0, ± the 99.5th percentile of |Σ_c attr| at its ends), as the figure shows it. */
export function drawSigned(canvas: HTMLCanvasElement, attribution: Float32Array, shape: readonly number[]): void {
  const maps = attributionMaps(attribution, shape);
  putRgba(canvas, signedRgba(maps.signed, maps.signedLimit), shape[2]!, shape[1]!);
}

/**
 * The colour bar of the view, as in the figure: the signed bar from the data's min to its max
 * (always through 0), the |attr| bar from 0 to its max; `ticks` gets the min / 0 / max labels.
 */
export function drawColourBar(
  bar: HTMLCanvasElement,
  ticks: HTMLElement,
  attribution: Float32Array,
  shape: readonly number[],
  view: HeatView,
): void {
  const maps = attributionMaps(attribution, shape);
  const width = 196;
  const rgba = colourBars(maps, width)[view];
  putRgba(bar, rgba, width, 1);
  const label = (cls: string, v: number, left?: number) => {
    const s = document.createElement('span');
    s.className = cls;
    s.textContent = formatTick(v);
    if (left !== undefined) s.style.left = `${(100 * left).toFixed(1)}%`;
    return s;
  };
  const [min, max] = view === 'signed' ? [maps.signedRange.min, maps.signedRange.max] : [0, maps.magnitudeMax];
  // the |attr| bar starts at 0: its min label is the 0
  ticks.replaceChildren(
    label('min', min),
    ...(view === 'signed' ? [label('zero', 0, zeroOnBar(maps))] : []),
    label('max', max),
  );
}

const CURVE_COLOURS = { insertion: '#bc3754', deletion: '#3b6fb6' } as const;

/** Both curves on one small plot: x = revealed/removed fraction, y = target probability in [0, 1]. */
export function drawCurves(canvas: HTMLCanvasElement, curves: { insertion: PixelCurve; deletion: PixelCurve }): void {
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth || 196;
  const H = canvas.clientHeight || 110;
  canvas.width = W * dpr;
  canvas.height = H * dpr;
  const g = canvas.getContext('2d')!;
  g.scale(dpr, dpr);
  const pad = { l: 22, r: 4, t: 4, b: 14 };
  const px = (f: number) => pad.l + f * (W - pad.l - pad.r);
  const py = (v: number) => H - pad.b - v * (H - pad.t - pad.b);
  g.strokeStyle = '#ccc';
  g.strokeRect(px(0), py(1), px(1) - px(0), py(0) - py(1));
  g.fillStyle = '#888';
  g.font = '9px system-ui';
  g.fillText('1', 12, py(1) + 8);
  g.fillText('0', 12, py(0));
  g.fillText('fraction of pixels →', px(0.25), H - 2);
  for (const kind of ['insertion', 'deletion'] as const) {
    const { fractions, scores } = curves[kind];
    g.strokeStyle = CURVE_COLOURS[kind];
    g.lineWidth = 1.5;
    g.beginPath();
    fractions.forEach((f, k) => (k ? g.lineTo(px(f), py(scores[k]!)) : g.moveTo(px(f), py(scores[k]!))));
    g.stroke();
  }
}

export { CURVE_COLOURS };

/**
 * A layer's attribution ([C, h, w] per row) as an input-shaped one ([c, H, W]) for display: summed over
 * channels to an h×w map, upsampled bilinearly (align-corners off, as Grad-CAM's figures are) and spread
 * evenly over the input's channels, so Σ_c gives the upsampled map back and every input view, colour bar
 * and figure works on it unchanged.
 */
export function layerMapOverInput(
  attribution: Float32Array,
  layerShape: readonly number[],
  inputShape: readonly number[],
): Float32Array {
  const [lc, h, w] = layerShape as [number, number, number];
  const [c, H, W] = inputShape as [number, number, number];
  const map = new Float32Array(h * w);
  for (let k = 0; k < lc; k++) for (let p = 0; p < h * w; p++) map[p]! += attribution[k * h * w + p]!;
  const at = (y: number, x: number) => map[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))]!;
  const out = new Float32Array(c * H * W);
  for (let Y = 0; Y < H; Y++)
    for (let X = 0; X < W; X++) {
      const y = ((Y + 0.5) * h) / H - 0.5;
      const x = ((X + 0.5) * w) / W - 0.5;
      const [y0, x0] = [Math.floor(y), Math.floor(x)];
      const [fy, fx] = [y - y0, x - x0];
      const v =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
        fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      for (let k = 0; k < c; k++) out[k * H * W + Y * W + X] = v / c;
    }
  return out;
}
