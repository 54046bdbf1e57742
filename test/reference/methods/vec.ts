/** Tiny float64 vector helpers shared by the reference methods. */

export function sub(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v - b[i]!);
}

/** a + s·b */
export function addScaled(a: Float64Array, s: number, b: Float64Array): Float64Array {
  return a.map((v, i) => v + s * b[i]!);
}

/** acc += s · (a ⊙ b), in place. */
export function accumulateProduct(acc: Float64Array, s: number, a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += s * a[i]! * b[i]!;
}

export function mul(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v * b[i]!);
}

export function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function l1Distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s;
}

export function scale(a: Float64Array, s: number): Float64Array {
  return a.map((v) => v * s);
}
