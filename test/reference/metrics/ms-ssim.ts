/**
 * MS-SSIM (Wang, Simoncelli & Bovik 2003) between two [C, H, W] images, computed per channel and
 * averaged over channels (as pytorch_msssim, which the IDGI reproduction used):
 *  - Gaussian window winSize × winSize (default 11, σ = 1.5), normalised, "valid" filtering (no padding);
 *  - C1 = (K1·L)², C2 = (K2·L)², L = dataRange; K1 = 0.01, K2 = 0.03;
 *  - per scale: cs = mean((2σxy + C2)/(σx² + σy² + C2)); the last scale also uses the luminance term;
 *  - between scales: 2×2 average pooling, an odd last row/column dropped;
 *  - value = Π_{i<S} relu(cs_i)^{w_i} · relu(ssim_S)^{w_S} (relu as pytorch_msssim, avoiding NaN powers).
 * Small images: S = the most scales (≤ weights.length) whose smallest side is still ≥ winSize, and the
 * first S weights renormalised to sum 1. With all 5 scales the published weights are used as they are
 * (they sum to 1.0001), as Wang's code and pytorch_msssim do, so 224×224 results stay comparable. 28×28 and 32×32 give S = 2 with the 11-tap window; pass a
 * smaller `winSize` (e.g. 7 → S = 3) to keep more scales. If even the full image is smaller than the
 * window, the window shrinks to the largest odd size that fits and S = 1.
 */

export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

// The options are the engine's own type (a contract, not code under test); the constants and the
// algorithm above and below are restated independently.
export type { MsSsimOptions } from '../../../src/metrics/ms-ssim.js';
import type { MsSsimOptions } from '../../../src/metrics/ms-ssim.js';

export interface MsSsimResult {
  value: number;
  perChannel: number[];
  scales: number;
  winSize: number;
  /** Weights actually used (length = scales; renormalised when scales were dropped). */
  weights: number[];
}

/** The scale count and window the rule above picks for an H × W image. */
export function msSsimPlan(
  h: number,
  w: number,
  opts: MsSsimOptions = {},
): { scales: number; winSize: number; weights: number[] } {
  const base = opts.weights ?? MS_SSIM_WEIGHTS;
  let winSize = opts.winSize ?? 11;
  if (winSize % 2 !== 1 || winSize < 1) throw new Error(`msSsim: winSize must be odd, got ${winSize}`);
  const side = Math.min(h, w);
  if (side < winSize) winSize = side % 2 === 1 ? side : side - 1;
  if (winSize < 1) throw new Error(`msSsim: image ${h}×${w} too small`);
  let scales = 1;
  let sh = h;
  let sw = w;
  while (scales < base.length) {
    sh = Math.floor(sh / 2);
    sw = Math.floor(sw / 2);
    if (Math.min(sh, sw) < winSize) break;
    scales++;
  }
  const used = base.slice(0, scales);
  if (scales === base.length) return { scales, winSize, weights: used };
  const total = used.reduce((a, b) => a + b, 0);
  return { scales, winSize, weights: used.map((v) => v / total) };
}

export function msSsim(
  a: Float64Array,
  b: Float64Array,
  shape: readonly [number, number, number],
  opts: MsSsimOptions = {},
): MsSsimResult {
  const [c, h, w] = shape;
  if (a.length !== c * h * w || b.length !== a.length)
    throw new Error(`msSsim: lengths ${a.length}, ${b.length} != ${c}·${h}·${w}`);
  const plan = msSsimPlan(h, w, opts);
  const L = opts.dataRange ?? 1;
  const c1 = ((opts.k1 ?? 0.01) * L) ** 2;
  const c2 = ((opts.k2 ?? 0.03) * L) ** 2;
  const taps = gaussianWindow(plan.winSize, opts.sigma ?? 1.5);
  const perChannel: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let x: Float64Array = a.slice(ch * h * w, (ch + 1) * h * w);
    let y: Float64Array = b.slice(ch * h * w, (ch + 1) * h * w);
    let sh = h;
    let sw = w;
    let value = 1;
    for (let s = 0; s < plan.scales; s++) {
      const last = s === plan.scales - 1;
      const { cs, ssim } = ssimTerms(x, y, sh, sw, taps, c1, c2);
      value *= Math.max(last ? ssim : cs, 0) ** plan.weights[s]!;
      if (!last) {
        x = avgPool2(x, sh, sw);
        y = avgPool2(y, sh, sw);
        sh = Math.floor(sh / 2);
        sw = Math.floor(sw / 2);
      }
    }
    perChannel.push(value);
  }
  return { value: perChannel.reduce((s, v) => s + v, 0) / c, perChannel, ...plan };
}

export function gaussianWindow(size: number, sigma: number): Float64Array {
  const r = (size - 1) / 2;
  const taps = new Float64Array(size);
  let total = 0;
  for (let t = -r; t <= r; t++) total += taps[t + r] = Math.exp((-t * t) / (2 * sigma * sigma));
  return taps.map((v) => v / total);
}

/** Mean SSIM and mean contrast-structure over the valid positions of one channel. */
export function ssimTerms(
  x: Float64Array,
  y: Float64Array,
  h: number,
  w: number,
  taps: Float64Array,
  c1: number,
  c2: number,
): { ssim: number; cs: number } {
  const mx = filterValid(x, h, w, taps);
  const my = filterValid(y, h, w, taps);
  const mxx = filterValid(
    x.map((v) => v * v),
    h,
    w,
    taps,
  );
  const myy = filterValid(
    y.map((v) => v * v),
    h,
    w,
    taps,
  );
  const mxy = filterValid(
    x.map((v, i) => v * y[i]!),
    h,
    w,
    taps,
  );
  let ssimSum = 0;
  let csSum = 0;
  for (let i = 0; i < mx.length; i++) {
    const ux = mx[i]!;
    const uy = my[i]!;
    const vx = mxx[i]! - ux * ux;
    const vy = myy[i]! - uy * uy;
    const cov = mxy[i]! - ux * uy;
    const cs = (2 * cov + c2) / (vx + vy + c2);
    csSum += cs;
    ssimSum += ((2 * ux * uy + c1) / (ux * ux + uy * uy + c1)) * cs;
  }
  return { ssim: ssimSum / mx.length, cs: csSum / mx.length };
}

/** Separable "valid" correlation: output (h − k + 1) × (w − k + 1). */
function filterValid(x: Float64Array, h: number, w: number, taps: Float64Array): Float64Array {
  const k = taps.length;
  const oh = h - k + 1;
  const ow = w - k + 1;
  const rows = new Float64Array(h * ow);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < ow; c++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += taps[t]! * x[r * w + c + t]!;
      rows[r * ow + c] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += taps[t]! * rows[(r + t) * ow + c]!;
      out[r * ow + c] = s;
    }
  }
  return out;
}

function avgPool2(x: Float64Array, h: number, w: number): Float64Array {
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const out = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const i = 2 * r * w + 2 * c;
      out[r * ow + c] = (x[i]! + x[i + 1]! + x[i + w]! + x[i + w + 1]!) / 4;
    }
  }
  return out;
}
