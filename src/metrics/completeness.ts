/** Completeness error |Σ attr − (f(x) − f(x'))|, absolute and relative to |f(x) − f(x')|. */
import { fail } from '../errors.js';

export interface CompletenessError {
  /** Σ attr − (f(x) − f(x')) */
  delta: number;
  absolute: number;
  /** absolute / |f(x) − f(x')|; 0 when both are 0, +∞ when only the denominator is */
  relative: number;
}

export function completenessError(attributionSum: number, fx: number, fStart: number): CompletenessError {
  for (const [name, v] of [
    ['attribution sum', attributionSum],
    ['f(x)', fx],
    ['f(baseline)', fStart],
  ] as const) {
    if (!Number.isFinite(v)) fail(`completenessError: ${name} is ${v}`);
  }
  const delta = attributionSum - (fx - fStart);
  const absolute = Math.abs(delta);
  const relative = absolute === 0 ? 0 : absolute / Math.abs(fx - fStart);
  return { delta, absolute, relative };
}

/** Same, summing the attribution (of one image) in float64 first. */
export function completenessOf(attribution: ArrayLike<number>, fx: number, fStart: number): CompletenessError {
  let s = 0;
  for (let i = 0; i < attribution.length; i++) s += attribution[i]!;
  return completenessError(s, fx, fStart);
}
