/** Completeness error |Σ attr − (f(x) − f(x'))| / |f(x) − f(x')|. */
export interface CompletenessError {
  /** Σ attr − (f(x) − f(x')). */
  delta: number;
  absolute: number;
  /** absolute / |f(x) − f(x')|; 0 when both are 0, +∞ when only the denominator is. */
  relative: number;
}

export function completenessError(attributionSum: number, fx: number, fBaseline: number): CompletenessError {
  const gap = fx - fBaseline;
  const delta = attributionSum - gap;
  const absolute = Math.abs(delta);
  const relative = absolute === 0 ? 0 : absolute / Math.abs(gap);
  return { delta, absolute, relative };
}

/** Convenience for an attribution array. */
export function completenessOf(attribution: ArrayLike<number>, fx: number, fBaseline: number): CompletenessError {
  let s = 0;
  for (let i = 0; i < attribution.length; i++) s += attribution[i]!;
  return completenessError(s, fx, fBaseline);
}
