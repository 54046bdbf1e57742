/** Integrated Gradients (Sundararajan et al. 2017) on the straight line, by explain()'s quadrature rule. */
import { integratePath, weightedGradientIntegrator } from '../integrators.js';
import { straightLinePath } from '../paths.js';
import { quadrature } from '../quadrature.js';
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    ig: NoOptions;
  }
}

registerMethod('ig', {
  options: (raw) => methodOptions('ig', raw, []),
  run: (ctx, o) => {
    const q = quadrature(o.rule, o.steps);
    return integratePath(ctx, straightLinePath(q.alphas, q.weights), weightedGradientIntegrator());
  },
  defaultSteps: 64,
  check: 'complete',
  description: 'Integrated Gradients on the straight line, Riemann or Gauss–Legendre rule',
});
