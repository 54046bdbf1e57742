/** Central finite differences of a scalar float64 function, for checking analytic backward passes. */
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  const xp = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const v = xp[i]!;
    xp[i] = v + eps;
    const fp = f(xp);
    xp[i] = v - eps;
    const fm = f(xp);
    xp[i] = v;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

/** Σ w ⊙ y: turns a tensor-valued op into the scalar whose gradient is the backward with dy = w. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
