/**
 * An adaptive method from the public pieces: Guided IG whose inner rounds move first the features
 * with the smallest |g ⊙ (x − z)| — the least first-order change of f still to come from the
 * feature — instead of the smallest |g|. The stepper `guidedIgPath` takes the selection score as a
 * WGSL expression of x, b (baseline), g (gradient) and z (current point); `integrateStepper` walks
 * it (alone, or with IDGI over its points). Register, then
 * explain(engine, model, x, { method: 'gig-gx', steps: 64, methodOptions: { fraction: 0.1 } }).
 */
import { guidedIgPath, idgiIntegrator, integrateStepper, registerMethod, type GuidedIgPathOptions, type MethodOptions } from '../src/index.js';

const score = 'abs(g * (x - z))';
const path = (name: string, o: MethodOptions) => guidedIgPath({ ...(o as unknown as GuidedIgPathOptions), score }, name);

registerMethod('gig-gx', {
  description: 'Guided IG selecting the features of smallest |g ⊙ (x − z)| first (options fraction, maxDist, maxRounds)',
  defaultSteps: 128,
  complete: true, // the path ends exactly at x; Σ attr − Δf is the Riemann error of its steps
  run: (ctx, o) => integrateStepper(ctx, path('gig-gx', o)),
});

registerMethod('gig-gx-idgi', {
  description: 'IDGI (Yang et al. 2023) on the points of the gig-gx path: exactly complete',
  defaultSteps: 128,
  complete: true,
  run: (ctx, o) => integrateStepper(ctx, path('gig-gx-idgi', o), idgiIntegrator()),
});
