/**
 * Quantus's default attribution normalisation, `normalise_by_negative`
 * (quantus/functions/normalise_func.py): positive values divided by the maximum, negative ones by
 * |minimum|, so the result lies in [−1, 1] with the signs kept; an all-zero attribution is left
 * as is. It changes no order, but it does change correlations when both signs occur.
 */
export function normaliseByNegative(a: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, a[i]!);
    min = Math.min(min, a[i]!);
  }
  return Float64Array.from(a, (v) => (v > 0 ? v / max : v < 0 ? -v / min : 0));
}
