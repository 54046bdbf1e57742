/**
 * Quantus's complexity metrics of one attribution (understandable-machine-intelligence-lab/Quantus
 * @ 85bc29d, quantus/metrics/complexity/sparseness.py and complexity.py), on the CPU: one pass
 * over values already on the host. Quantus's defaults first normalise with normalise_by_negative
 * (positives / max, negatives / |min|) and then take |·|; `normalise: false` skips the first step.
 * Quantus expects one value per pixel (an [1, H, W] attribution): pass reduceToPixels(a, 'sum')
 * for a per-pixel score, or the [C, H, W] values for a per-value one.
 */
import { normaliseByNegative } from './quantus-normalise.js';

export interface ComplexityOptions {
  /** Quantus normalise=True (default true) */
  normalise?: boolean;
}

function magnitudes(attribution: ArrayLike<number>, opts: ComplexityOptions): Float64Array {
  const a = opts.normalise === false ? Float64Array.from(attribution) : normaliseByNegative(attribution);
  return a.map(Math.abs);
}

/**
 * Sparseness (Chalasani et al. 2020): the Gini index of v = |a| + 1e-7 (Quantus's guard against an
 * all-zero attribution), v sorted ascending: Σ_k (2k − n − 1)·v_k / (n·Σ v). Higher is sparser.
 */
export function sparseness(attribution: ArrayLike<number>, opts: ComplexityOptions = {}): number {
  const v = magnitudes(attribution, opts)
    .map((a) => a + 1e-7)
    .sort();
  const n = v.length;
  let weighted = 0;
  let total = 0;
  for (let k = 1; k <= n; k++) {
    weighted += (2 * k - n - 1) * v[k - 1]!;
    total += v[k - 1]!;
  }
  return weighted / (n * total);
}

/**
 * Complexity (Bhatt et al. 2020): the entropy of the fractional contributions p_i = |a_i| / Σ|a|,
 * −Σ p_i·ln(p_i + 1e-12) as Quantus computes it. Lower is simpler; ln n at most. NaN for an
 * all-zero attribution (0/0, as in Quantus).
 */
export function complexity(attribution: ArrayLike<number>, opts: ComplexityOptions = {}): number {
  const v = magnitudes(attribution, opts);
  let total = 0;
  for (const a of v) total += a;
  let h = 0;
  for (const a of v) {
    const p = a / total;
    h -= p * Math.log(p + 1e-12);
  }
  return h;
}
