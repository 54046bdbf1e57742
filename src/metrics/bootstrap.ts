/**
 * A percentile bootstrap of the mean (Efron & Tibshirani 1993, ch. 13): resample the per-image
 * values with replacement `resamples` times, take the mean of each resample and report the
 * (1 − level)/2 and (1 + level)/2 quantiles. Seeded, so the same values give the same interval
 * wherever they were computed (a merged set of shards gives a single run's interval).
 */
import { uniformRng } from './seeds.js';

export interface MeanInterval {
  /** values that entered (undefined ones, e.g. images PIC skips, do not) */
  n: number;
  mean: number;
  /** bounds of the bootstrap interval (NaN when n = 0; the mean itself when n = 1) */
  low: number;
  high: number;
}

export interface BootstrapOptions {
  seed?: number;
  /** default 2000 */
  resamples?: number;
  /** default 0.95 */
  level?: number;
}

/** Sum in index order, so the result depends only on the values and their order. */
const meanOf = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
};

/** Linear interpolation between order statistics (numpy's default 'linear' quantile). */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export function bootstrapMean(values: readonly number[], options: BootstrapOptions = {}): MeanInterval {
  const n = values.length;
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrapMean: level ${level} is not in (0, 1)`);
  if (!Number.isInteger(resamples) || resamples < 1)
    throw new RangeError(`bootstrapMean: resamples ${resamples} is not a positive integer`);
  if (n === 0) return { n, mean: NaN, low: NaN, high: NaN };
  const mean = meanOf(values);
  if (n === 1) return { n, mean, low: mean, high: mean };
  const rand = uniformRng(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  return { n, mean, low: quantile(means, (1 - level) / 2), high: quantile(means, (1 + level) / 2) };
}
