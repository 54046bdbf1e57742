/**
 * Quadrature rules for the IG path integral ∫₀¹ g(x' + α(x − x')) dα ≈ Σ_k w_k g(α_k).
 * Every rule's weights sum to 1 (mathematically; to rounding in float64). This is the
 * "do better" item: Captum's `riemann_trapezoid` weights sum to (n−1)/n.
 * There is no default rule here on purpose: callers name the rule they compare against.
 */
export type RiemannRule = 'left' | 'right' | 'middle' | 'trapezoid';
export type QuadratureRule = RiemannRule | 'gauss-legendre' | 'linspace';

export interface Quadrature {
  /** Ascending positions on [0, 1]; one gradient evaluation each. */
  alphas: Float64Array;
  weights: Float64Array;
}

/**
 * `steps` = m intervals for the Riemann rules (trapezoid evaluates m + 1 points, α_k = k/m,
 * ends weighted 1/(2m)); for Gauss–Legendre `steps` = number of nodes n.
 */
export function quadrature(rule: QuadratureRule, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`quadrature: steps must be a positive integer, got ${steps}`);
  const m = steps;
  switch (rule) {
    case 'left':
      return uniform(m, (k) => k / m);
    case 'right':
      return uniform(m, (k) => (k + 1) / m);
    case 'middle':
      return uniform(m, (k) => (k + 0.5) / m);
    case 'trapezoid': {
      const alphas = new Float64Array(m + 1);
      const weights = new Float64Array(m + 1).fill(1 / m);
      for (let k = 0; k <= m; k++) alphas[k] = k / m;
      weights[0] = weights[m] = 1 / (2 * m);
      return { alphas, weights };
    }
    case 'gauss-legendre':
      return gaussLegendre01(m);
    case 'linspace': // PAIR saliency: np.linspace(0, 1, m), weight 1/m
      return uniform(m, (k) => (m === 1 ? 0 : k / (m - 1)));
  }
}

function uniform(m: number, alphaOf: (k: number) => number): Quadrature {
  const alphas = new Float64Array(m);
  for (let k = 0; k < m; k++) alphas[k] = alphaOf(k);
  return { alphas, weights: new Float64Array(m).fill(1 / m) };
}

/**
 * n-point Gauss–Legendre on [0, 1]: roots of P_n by Newton's method from the Tricomi-style
 * initial guess cos(π(i + 3/4)/(n + 1/2)), weights 2/((1 − t²) P'_n(t)²), mapped by α = (1 + t)/2
 * and halved. Exact for polynomials of degree ≤ 2n − 1.
 */
export function gaussLegendre01(n: number): Quadrature {
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      const [p, d] = legendre(n, t);
      dp = d;
      const dt = p / d;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    dp = legendre(n, t)[1];
    // t decreases with i, so α = (1 − t)/2 increases: nodes come out ascending.
    alphas[i] = (1 - t) / 2;
    weights[i] = 1 / ((1 - t * t) * dp * dp);
  }
  return { alphas, weights };
}

/** [P_n(t), P'_n(t)] by the three-term recurrence. */
function legendre(n: number, t: number): [number, number] {
  let p0 = 1;
  let p1 = t;
  if (n === 0) return [1, 0];
  for (let k = 2; k <= n; k++) {
    const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
    p0 = p1;
    p1 = p2;
  }
  return [p1, (n * (t * p1 - p0)) / (t * t - 1)];
}
