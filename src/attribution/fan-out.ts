/**
 * Several targets (T) and baselines (K) per image as rows of one call: image i, target t and
 * baseline k become row (i·T + t)·K + k, so every method runs on them unchanged, as T·K separate
 * calls would, batched under the row budget. The attribution comes back [N·T·K, ...] and folds on
 * the CPU, in float64: the weighted mean over the baselines, with their spread (baseline sensitivity).
 */
import { straightPathPoints } from './kernels/path-points.js';
import { Tensor } from '../tensor/tensor.js';

/** x [N, ...] with each row repeated `times` times in place (row i·times + j = x_i). */
export function repeatRows(x: Tensor, times: number): Tensor {
  return straightPathPoints(x, x, new Float64Array(times));
}

/** Row (i·T + t)·K + k of the fanned-out baselines: baseline k ([N, ...] each) of image i. */
export function interleaveBaselines(baselines: readonly Tensor[], t: number): Tensor {
  const [k, first] = [baselines.length, baselines[0]!];
  const n = first.shape[0]!;
  const row = first.byteLength / n;
  const out = Tensor.empty(first.engine, [n * t * k, ...first.shape.slice(1)], 'baselines');
  for (let i = 0; i < n * t; i++)
    for (let j = 0; j < k; j++)
      first.engine.copy(baselines[j]!.buffer, row * Math.floor(i / t), out.buffer, row * (i * k + j), row);
  return out;
}

/**
 * The rows of a call with `made` baselines ([N, ...] each, K of them, taken over) and per image
 * its targets (`lists`, T each; null: 'auto', decided on the GPU for each image): x, baselines,
 * targets and the sampling keys for the method's context, and the tensors the caller disposes.
 */
export async function fanOut(
  x: Tensor,
  made: Tensor[],
  lists: readonly (readonly number[])[] | null,
  auto: () => Promise<Tensor>,
) {
  const [t, k, n] = [lists?.[0]!.length ?? 1, made.length, x.shape[0]!];
  const baseline = t * k > 1 ? interleaveBaselines(made, t) : made[0]!;
  if (t * k > 1) made.forEach((b) => b.dispose());
  const targetList = lists && lists.flatMap((l) => l.flatMap((c) => new Array<number>(k).fill(c)));
  const given = targetList ? Tensor.from(x.engine, targetList, [n * t * k], { label: 'targets' }) : await auto();
  const targets = targetList || k === 1 ? given : repeatRows(given, k); // 'auto': the top-1 of each image, per baseline
  const xs = t * k > 1 ? repeatRows(x, t * k) : x;
  // an image's targets share their random numbers: row (i·T + t)·K + k samples as row i·K + k
  const sampleKeys =
    t > 1 ? Array.from({ length: n * t * k }, (_, r) => Math.floor(r / (t * k)) * k + (r % k)) : undefined;
  const owned = [...new Set([baseline, given, targets, xs])].filter((u) => u !== x);
  return { t, k, rows: { context: { x: xs, baseline, targets, targetList, sampleKeys }, owned } };
}

/** How a baseline set's attributions spread, for one image and target. */
export interface BaselineSensitivity {
  /** standard deviation (weighted) of Σ attr over the baselines */
  sumStd: number;
  /** mean over features of the per-feature standard deviation, divided by the mean |attr| */
  pixelStdRatio: number;
}

/**
 * The weighted mean of every K consecutive rows of `attribution` ([M·K, D] → [M, D]) and of the
 * per-row values, with the spread over the K rows (null for K = 1).
 */
export function foldBaselines(
  attribution: Float32Array,
  rowValues: readonly Float32Array[],
  weights: Float64Array,
): { attribution: Float32Array; rowValues: Float32Array[]; sensitivity: (BaselineSensitivity | null)[] } {
  const k = weights.length;
  const m = rowValues[0]!.length / k;
  const d = attribution.length / (m * k);
  const out = new Float32Array(m * d);
  const values = rowValues.map(() => new Float32Array(m));
  const sensitivity: (BaselineSensitivity | null)[] = [];
  for (let r = 0; r < m; r++) {
    const mean = new Float64Array(d);
    const sums = new Float64Array(k);
    for (let j = 0; j < k; j++)
      for (let e = 0; e < d; e++) {
        const a = attribution[(r * k + j) * d + e]!;
        mean[e] += weights[j]! * a;
        sums[j] += a;
      }
    out.set(mean, r * d);
    rowValues.forEach((v, p) => (values[p]![r] = weights.reduce((s, w, j) => s + w * v[r * k + j]!, 0)));
    if (k === 1) {
      sensitivity.push(null);
      continue;
    }
    const meanSum = mean.reduce((a, b) => a + b, 0);
    const sumVar = weights.reduce((s, w, j) => s + w * (sums[j]! - meanSum) ** 2, 0);
    let [std, abs] = [0, 0];
    for (let e = 0; e < d; e++) {
      let v = 0;
      for (let j = 0; j < k; j++) v += weights[j]! * (attribution[(r * k + j) * d + e]! - mean[e]!) ** 2;
      std += Math.sqrt(v) / d;
      abs += Math.abs(mean[e]!) / d;
    }
    sensitivity.push({ sumStd: Math.sqrt(sumVar), pixelStdRatio: abs > 0 ? std / abs : Infinity });
  }
  return { attribution: out, rowValues: values, sensitivity };
}
