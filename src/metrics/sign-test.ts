/**
 * The sign test of paired differences: under H0 (a difference is as likely positive as negative)
 * the number of positive ones among the non-zero ones is Binomial(m, ½). Two-sided exact p-value:
 * the probability of an outcome at most as likely as the observed one (ties are dropped, the
 * usual convention; Conover, Practical Nonparametric Statistics, §3.4).
 */

export interface SignTest {
  positive: number;
  negative: number;
  /** zero differences (not counted) */
  ties: number;
  /** two-sided exact binomial p-value (1 when there are no non-zero differences) */
  p: number;
}

/** log C(m, k), by summing logs (m is at most a few thousand images). */
function logChoose(m: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(m - k + i) - Math.log(i);
  return s;
}

export function signTest(differences: readonly number[]): SignTest {
  let positive = 0;
  let negative = 0;
  let ties = 0;
  for (const d of differences) {
    if (Number.isNaN(d)) throw new RangeError('signTest: a difference is NaN');
    if (d > 0) positive++;
    else if (d < 0) negative++;
    else ties++;
  }
  const m = positive + negative;
  if (m === 0) return { positive, negative, ties, p: 1 };
  // the binomial(m, ½) is symmetric: two-sided p = 2 P(X ≤ min(k, m − k)), capped at 1
  const k = Math.min(positive, negative);
  let tail = 0;
  for (let j = 0; j <= k; j++) tail += Math.exp(logChoose(m, j) - m * Math.LN2);
  return { positive, negative, ties, p: Math.min(1, 2 * tail) };
}
