/**
 * Float64 ROAD (Rong et al. 2022) transliterated from Quantus (understandable-machine-intelligence-lab/
 * Quantus @ 85bc29d137d8f42835dd392f5cc441ad61d6d1f1: quantus/functions/perturb_func.py
 * `noisy_linear_imputation`, quantus/metrics/faithfulness/road.py `evaluate_batch`), with the
 * noise given per pixel, not drawn. test/metrics-quantus.test.ts checks it against that code's
 * own output (test/fixtures/quantus/metrics.json).
 * The sparse system is solved directly (banded Cholesky: removed pixels in raster order couple
 * only within W + 1 of each other), not iteratively, so it checks the GPU's conjugate gradients.
 */
import type { RefModel } from '../methods/model.js';
import { softmax } from '../methods/model.js';

const OFFSETS: readonly [number, number, number][] = [
  [1, 1, 1 / 12],
  [0, 1, 1 / 6],
  [-1, 1, 1 / 12],
  [1, -1, 1 / 12],
  [0, -1, 1 / 6],
  [-1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [-1, 0, 1 / 6],
];

/**
 * x [C, H, W]; removed: pixel indices; noise [C, H, W] standard normals (read at removed pixels)
 * → a copy of x whose removed pixels solve S_i·v_i − Σ_{removed j} w_ij·v_j = Σ_{kept k} w_ik·x_k
 * (S_i = the in-image neighbour weights), plus sigma·noise.
 */
export function noisyLinearImputation(
  x: ArrayLike<number>,
  shape: readonly [number, number, number],
  removed: readonly number[],
  noise: ArrayLike<number>,
  sigma: number,
): Float64Array {
  const [c, h, w] = shape;
  const hw = h * w;
  const vars = [...removed].sort((a, b) => a - b);
  const m = vars.length;
  const id = new Int32Array(hw).fill(-1);
  vars.forEach((p, i) => (id[p] = i));
  const band = w + 1;
  // a[i][band + j − i] holds A_ij for |i − j| ≤ band (symmetric: only j ≤ i is factored)
  const a = Array.from({ length: m }, () => new Float64Array(2 * band + 1));
  const b = Array.from({ length: c }, () => new Float64Array(m));
  vars.forEach((p, i) => {
    const r = Math.floor(p / w);
    const col = p % w;
    for (const [dr, dc, wt] of OFFSETS) {
      const rr = r + dr;
      const cc = col + dc;
      if (rr < 0 || cc < 0 || rr >= h || cc >= w) continue;
      const q = rr * w + cc;
      a[i]![band] += wt;
      if (id[q]! >= 0) a[i]![band + id[q]! - i] -= wt;
      else for (let ch = 0; ch < c; ch++) b[ch]![i] += wt * x[ch * hw + q]!;
    }
  });
  // banded Cholesky A = L·Lᵀ, L[i][j] stored at l[i][band + j − i] (j ≤ i)
  const l = Array.from({ length: m }, () => new Float64Array(band + 1));
  for (let i = 0; i < m; i++) {
    for (let j = Math.max(0, i - band); j <= i; j++) {
      let s = a[i]![band + j - i]!;
      for (let k = Math.max(0, i - band, j - band); k < j; k++) s -= l[i]![band + k - i]! * l[j]![band + k - j]!;
      l[i]![band + j - i] = i === j ? Math.sqrt(s) : s / l[j]![band]!;
    }
  }
  const out = Float64Array.from(x);
  for (let ch = 0; ch < c; ch++) {
    const y = Float64Array.from(b[ch]!);
    for (let i = 0; i < m; i++) {
      for (let k = Math.max(0, i - band); k < i; k++) y[i]! -= l[i]![band + k - i]! * y[k]!;
      y[i]! /= l[i]![band]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      for (let k = i + 1; k <= Math.min(m - 1, i + band); k++) y[i]! -= l[k]![band + i - k]! * y[k]!;
      y[i]! /= l[i]![band]!;
    }
    vars.forEach((p, i) => (out[ch * hw + p] = y[i]! + sigma * noise[ch * hw + p]!));
  }
  return out;
}

export interface RoadCurve {
  /** 1 when the perturbed image's argmax is the target (Quantus's score), else 0 */
  correct: Float64Array;
  /** the target's softmax probability on the perturbed image */
  probability: Float64Array;
}

/**
 * ROAD at `percentages`: pixels ordered by saliency (most relevant first, or least for LeRF), the
 * first floor(H·W·p/100) imputed. noise[order][level] is a [C, H, W] array of standard normals.
 */
export function road(
  model: RefModel,
  x: Float64Array,
  saliency: ArrayLike<number>,
  target: number,
  percentages: readonly number[],
  noise: { morf: ArrayLike<number>[]; lerf: ArrayLike<number>[] },
  sigma: number,
): { morf: RoadCurve; lerf: RoadCurve } {
  const shape = model.shape;
  const hw = shape[1] * shape[2];
  const morf = Array.from({ length: hw }, (_, i) => i).sort((p, q) => saliency[q]! - saliency[p]! || p - q);
  const curve = (order: number[], noises: ArrayLike<number>[]): RoadCurve => {
    const correct = new Float64Array(percentages.length);
    const probability = new Float64Array(percentages.length);
    percentages.forEach((pct, l) => {
      const removed = order.slice(0, Math.floor((hw * pct) / 100));
      const z = model.logits(noisyLinearImputation(x, shape, removed, noises[l]!, sigma));
      let best = 0;
      for (let j = 1; j < z.length; j++) if (z[j]! > z[best]!) best = j;
      correct[l] = best === target ? 1 : 0;
      probability[l] = softmax(z)[target]!;
    });
    return { correct, probability };
  };
  return { morf: curve(morf, noise.morf), lerf: curve([...morf].reverse(), noise.lerf) };
}
