/**
 * A new path method from the public pieces, in a few lines: IDGI along a straight line sampled
 * densely near the input (α_k = √(k/m)), where a ReLU network's logit usually changes fastest.
 * Register it, then call explain(engine, model, x, { method: 'sqrt-idgi', steps: 64 }) or
 * `pathlight explain --method sqrt-idgi` (after importing this module).
 */
import {
  registerMethod,
  straightLinePath,
  integratePath,
  idgiIntegrator,
  weightedGradientIntegrator,
  type NoOptions,
} from '../src/index.js';

declare module '../src/index.js' {
  interface MethodRegistry {
    'sqrt-idgi': NoOptions;
    'sqrt-ig': NoOptions;
  }
}

registerMethod('sqrt-idgi', {
  description: 'IDGI on the straight line with points α_k = √(k/m), dense near the input',
  defaultSteps: 64,
  check: 'complete', // IDGI telescopes: Σ attr = f(x) − f(x') for any points
  run(ctx, { steps }) {
    const alphas = Float64Array.from({ length: steps + 1 }, (_, k) => Math.sqrt(k / steps));
    return integratePath(ctx, straightLinePath(alphas, new Float64Array(steps + 1)), idgiIntegrator());
  },
});

/** The same points as a Riemann sum (left rule with uneven widths): IG on a warped schedule. */
registerMethod('sqrt-ig', {
  description: 'IG with left-Riemann weights on the points α_k = √(k/m)',
  defaultSteps: 64,
  check: 'complete',
  run(ctx, { steps }) {
    const alphas = Float64Array.from({ length: steps }, (_, k) => Math.sqrt(k / steps));
    const weights = alphas.map((a, k) => (k + 1 < steps ? alphas[k + 1]! : 1) - a);
    return integratePath(ctx, straightLinePath(alphas, weights), weightedGradientIntegrator());
  },
});
