/**
 * An adaptive method from the public pieces: Guided IG whose inner rounds move first the features
 * with the smallest |g ⊙ (x − z)| — the least first-order change of f still to come from the
 * feature — instead of the smallest |g|. The stepper `guidedIgPath` takes the selection score as a
 * WGSL expression of x, b (baseline), g (gradient) and z (current point); `integrateStepper` walks
 * it (alone, or with IDGI over its points). Register, then
 * explain(engine, model, x, { method: 'gig-gx', steps: 64, methodOptions: { fraction: 0.1 } }).
 */
import {
  guidedIgOptions,
  guidedIgPath,
  idgiIntegrator,
  integrateStepper,
  registerMethod,
  type GuidedIgOptions,
  type GuidedIgPathOptions,
} from '../src/index.js';

declare module '../src/index.js' {
  interface MethodRegistry {
    'gig-gx': GuidedIgOptions;
    'gig-gx-idgi': GuidedIgOptions;
  }
}

const score = 'abs(g * (x - z))';
const path = (name: string, o: GuidedIgPathOptions) => guidedIgPath({ ...o, score }, name);

registerMethod('gig-gx', {
  description:
    'Guided IG selecting the features of smallest |g ⊙ (x − z)| first (options fraction, maxDist, maxRounds)',
  defaultSteps: 128,
  check: 'complete', // the path ends exactly at x; Σ attr − Δf is the Riemann error of its steps
  options: guidedIgOptions('gig-gx'),
  run: (ctx, o) => integrateStepper(ctx, path('gig-gx', o)),
});

registerMethod('gig-gx-idgi', {
  description: 'IDGI (Yang et al. 2023) on the points of the gig-gx path: exactly complete',
  defaultSteps: 128,
  check: 'complete',
  options: guidedIgOptions('gig-gx-idgi'),
  run: (ctx, o) => integrateStepper(ctx, path('gig-gx-idgi', o), idgiIntegrator()),
});
