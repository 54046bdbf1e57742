/** Straight-line paths between a baseline x' and the input x, ordered baseline → input. */

/** x' + α(x − x'), returning the endpoints themselves (bit-exact) at α = 0 and α = 1. */
export function pointOnLine(baseline: Float64Array, x: Float64Array, alpha: number): Float64Array {
  if (alpha === 0) return Float64Array.from(baseline);
  if (alpha === 1) return Float64Array.from(x);
  return baseline.map((b, i) => b + alpha * (x[i]! - b));
}

/** m + 1 points α_k = k/m, k = 0..m: the path IDGI uses for IG (`ig-idgi`). */
export function straightPath(baseline: Float64Array, x: Float64Array, steps: number): Float64Array[] {
  const points: Float64Array[] = [];
  for (let k = 0; k <= steps; k++) points.push(pointOnLine(baseline, x, k / steps));
  return points;
}
