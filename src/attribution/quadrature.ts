/**
 * Integration rules on [0, 1] for ∫ g(x' + α(x − x')) dα ≈ Σ_k w_k g(α_k). Every rule's weights
 * sum to exactly 1 (Captum's trapezoid sums to (n−1)/n). `steps` = m intervals for the Riemann
 * rules (trapezoid evaluates m + 1 points), or the number of nodes for Gauss–Legendre.
 * `linspace` is PAIR saliency's rule: m points linspace(0, 1, m), both ends included, weight 1/m
 * each (so its points are not those of any Riemann rule; offered to reproduce PAIR's values).
 */
import { checkPositiveInt, fail } from '../errors.js';

export type RiemannRule = 'left' | 'right' | 'middle' | 'trapezoid';
export type IntegrationRule = RiemannRule | 'gauss-legendre' | 'linspace';
export const INTEGRATION_RULES: readonly IntegrationRule[] = [
  'left',
  'right',
  'middle',
  'trapezoid',
  'gauss-legendre',
  'linspace',
];

export interface Quadrature {
  alphas: Float64Array;
  weights: Float64Array;
}

/** α_k of the m equal-weight rules. */
const EQUAL_WEIGHT: Partial<Record<IntegrationRule, (k: number, m: number) => number>> = {
  left: (k, m) => k / m,
  right: (k, m) => (k + 1) / m,
  middle: (k, m) => (k + 0.5) / m,
  linspace: (k, m) => (m === 1 ? 0 : k / (m - 1)),
};

export function quadrature(rule: IntegrationRule, m: number): Quadrature {
  checkPositiveInt('quadrature', 'steps', m);
  if (rule === 'gauss-legendre') return gaussLegendre(m);
  if (rule === 'trapezoid') {
    const q = {
      alphas: Float64Array.from({ length: m + 1 }, (_, k) => k / m),
      weights: new Float64Array(m + 1).fill(1 / m),
    };
    q.weights[0] = q.weights[m] = 1 / (2 * m);
    return q;
  }
  const alpha =
    EQUAL_WEIGHT[rule] ?? fail(`quadrature: unknown rule '${rule as string}' (use ${INTEGRATION_RULES.join(', ')})`);
  return { alphas: Float64Array.from({ length: m }, (_, k) => alpha(k, m)), weights: new Float64Array(m).fill(1 / m) };
}

/** n-point Gauss–Legendre on [0, 1] (Newton on P_n); exact for polynomials of degree ≤ 2n − 1. */
export function gaussLegendre(n: number): Quadrature {
  const alphas = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    for (let iter = 0; iter < 100; iter++) {
      const [p, dp] = legendre(n, t);
      const dt = p / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    const dp = legendre(n, t)[1];
    alphas[i] = (1 - t) / 2; // ascending in i
    weights[i] = 1 / ((1 - t * t) * dp * dp);
  }
  return { alphas, weights };
}

function legendre(n: number, t: number): [number, number] {
  let p0 = 1;
  let p1 = t;
  for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k];
  return [p1, (n * (t * p1 - p0)) / (t * t - 1)];
}
