/** IDGI (Yang et al. 2023) on the straight line: f at every point, the gradient's share of each Δf. */
import { idgiIntegrator, integratePath } from '../integrators.js';
import { straightLinePath } from '../paths.js';
import { quadrature } from '../quadrature.js';
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    idgi: NoOptions;
  }
}

registerMethod('idgi', {
  options: (raw) => methodOptions('idgi', raw, []),
  // m + 1 points α_k = k/m: f at every point, ∇f at k < m
  run: (ctx, { steps: m }) =>
    integratePath(ctx, straightLinePath(quadrature('trapezoid', m).alphas, new Float64Array(m + 1)), idgiIntegrator()),
  defaultSteps: 64,
  check: 'complete',
  description: 'IDGI (Yang et al. 2023) applied to the IG straight-line path',
});
