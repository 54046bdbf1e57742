/**
 * MS-SSIM (Wang, Simoncelli & Bovik 2003) per image of a batch, on the GPU, per channel then
 * averaged over channels (pytorch_msssim's convention): Gaussian window, 'valid' filtering,
 * C1 = (K1·L)², C2 = (K2·L)²; cs at every scale but the last, full SSIM at the last; 2×2 average
 * pooling between scales (odd row/column dropped); value = Π relu(term_s)^{w_s}.
 * Small images keep only the scales whose smallest side is ≥ the window, with renormalised weights.
 * Every scale's statistics land in one tensor, so a whole batch costs one readback.
 */
import { fail, shapeStr } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { avgPool2d } from '../ops/avg-pool.js';
import { ssimStats } from './ssim-stats.js';
import { Tensor } from '../tensor/tensor.js';

export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

export interface MsSsimOptions {
  dataRange?: number; // default 1
  winSize?: number; // default 11, odd
  sigma?: number; // default 1.5
  k1?: number; // default 0.01
  k2?: number; // default 0.03
  weights?: readonly number[]; // default MS_SSIM_WEIGHTS
}

export interface MsSsimPlan {
  scales: number;
  winSize: number;
  weights: number[];
}

/** Scales and window for an H × W image (the window shrinks to fit images smaller than it). */
export function msSsimPlan(h: number, w: number, opts: MsSsimOptions = {}): MsSsimPlan {
  const base = opts.weights ?? MS_SSIM_WEIGHTS;
  if (base.length === 0 || base.some((v) => !(v >= 0))) fail(`msSsim: weights must be a non-empty list of numbers ≥ 0`);
  let winSize = opts.winSize ?? 11;
  if (!Number.isInteger(winSize) || winSize % 2 !== 1 || winSize < 1)
    fail(`msSsim: winSize must be a positive odd integer, got ${winSize}`);
  const side = Math.min(h, w);
  if (side < winSize) winSize = side % 2 === 1 ? side : side - 1;
  if (winSize < 1) fail(`msSsim: image ${h}×${w} too small`);
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
  const total = used.reduce((s, v) => s + v, 0);
  return { scales, winSize, weights: used.map((v) => v / total) };
}

export function gaussianWindow(size: number, sigma: number): Float64Array {
  if (!(sigma > 0 && Number.isFinite(sigma))) fail(`msSsim: sigma must be a positive finite number, got ${sigma}`);
  const r = (size - 1) / 2;
  const taps = new Float64Array(size);
  let total = 0;
  for (let t = -r; t <= r; t++) total += taps[t + r] = Math.exp((-t * t) / (2 * sigma * sigma));
  return taps.map((v) => v / total);
}

export interface RecordedMsSsim {
  /** [scales · 2 · N · C] means (cs, ssim) per scale and plane; the caller downloads and disposes */
  stats: Tensor;
  plan: MsSsimPlan;
  /** MS-SSIM per image from the downloaded stats (read from `offset` on) */
  combine(data: Float32Array, offset?: number): Float64Array;
}

/** Records MS-SSIM(a_i, b_i) (b [1, C, H, W] is compared with every a_i) without reading back. */
export function recordMsSsim(a: Tensor, b: Tensor, opts: MsSsimOptions = {}): RecordedMsSsim {
  if (a.rank !== 4 || b.rank !== 4)
    fail(`msSsim: a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} must be [N, C, H, W]`);
  const [n, c, h, w] = a.shape as [number, number, number, number];
  if ((b.shape[0] !== n && b.shape[0] !== 1) || b.shape.slice(1).join() !== a.shape.slice(1).join()) {
    fail(`msSsim: b ${shapeStr(b.shape)} must match a ${shapeStr(a.shape)} or be one image of the same size`);
  }
  const plan = msSsimPlan(h, w, opts);
  const range = opts.dataRange ?? 1;
  if (!(range > 0 && Number.isFinite(range))) fail(`msSsim: dataRange must be positive, got ${range}`);
  const c1 = ((opts.k1 ?? 0.01) * range) ** 2;
  const c2 = ((opts.k2 ?? 0.03) * range) ** 2;
  const taps = gaussianWindow(plan.winSize, opts.sigma ?? 1.5);
  const planes = n * c;
  const stats = Tensor.empty(a.engine, [plan.scales * 2 * planes], 'ms-ssim stats');
  let x = a;
  let y = b;
  for (let s = 0; s < plan.scales; s++) {
    ssimStats(x, y, stats, { taps, c1, c2, offset: s * 2 * planes });
    if (s === plan.scales - 1) break;
    const nx = avgPool2d(x, { kernel: 2 });
    const ny = avgPool2d(y, { kernel: 2 });
    if (x !== a) x.dispose();
    if (y !== b) y.dispose();
    x = nx;
    y = ny;
  }
  if (x !== a) x.dispose();
  if (y !== b) y.dispose();
  const combine = (data: Float32Array, offset = 0): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let ch = 0; ch < c; ch++) {
        let value = 1;
        for (let s = 0; s < plan.scales; s++) {
          const last = s === plan.scales - 1;
          const term = data[offset + s * 2 * planes + 2 * (i * c + ch) + (last ? 1 : 0)]!;
          value *= Math.max(term, 0) ** plan.weights[s]!;
        }
        sum += value;
      }
      out[i] = sum / c;
    }
    return out;
  };
  return { stats, plan, combine };
}

/** MS-SSIM(a_i, b_i) for every image of a [N, C, H, W] (b: same shape, or one image); one readback. */
export async function msSsim(engine: Engine, a: Tensor, b: Tensor, opts: MsSsimOptions = {}): Promise<Float64Array> {
  if (a.engine !== engine || b.engine !== engine) fail('msSsim: tensors belong to another engine');
  const r = recordMsSsim(a, b, opts);
  const data = await r.stats.download();
  r.stats.dispose();
  return r.combine(data);
}
