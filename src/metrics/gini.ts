/**
 * Gini index of |attr| (Hurley & Rickard 2009), a sparsity score: with c sorted ascending,
 * G = 1 − 2 Σ_k (c_k/‖c‖₁)·(n − k + ½)/n. 0 for a constant vector, 1 − 1/n for a one-hot one,
 * 0 for an all-zero one. CPU: it is one sort of an attribution that is already on the host.
 */
import { fail } from '../errors.js';

export function gini(attribution: ArrayLike<number>): number {
  const n = attribution.length;
  const c = Float64Array.from(attribution, Math.abs).sort();
  let l1 = 0;
  for (const v of c) l1 += v;
  if (!Number.isFinite(l1)) fail(`gini: attribution has non-finite values`);
  if (n === 0 || l1 === 0) return 0;
  let s = 0;
  for (let k = 1; k <= n; k++) s += (c[k - 1]! / l1) * ((n - k + 0.5) / n);
  return 1 - 2 * s;
}
