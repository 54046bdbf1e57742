/** Assertions usable outside vitest (the same cases run in the browser). */

export class AssertionFailed extends Error {}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionFailed(message);
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** Elementwise |a − e| ≤ atol + rtol·|e|; reports the worst element. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
): void {
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  assert(actual.length === expected.length, `${label}: length ${actual.length} != expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new AssertionFailed(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol}); ` +
        `max abs err ${maxAbsDiff(actual, expected).toExponential(3)}, rel L2 ${relL2(actual, expected).toExponential(3)}`,
    );
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** ‖a − e‖₂ / max(‖e‖₂, tiny). */
export function relL2(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - e[i]!) ** 2;
    den += e[i]! ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

export async function expectThrows(fn: () => unknown, pattern: RegExp, label: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    assert(pattern.test(msg), `${label}: error "${msg}" does not match ${pattern}`);
    return;
  }
  throw new AssertionFailed(`${label}: expected an error matching ${pattern}, none was thrown`);
}
