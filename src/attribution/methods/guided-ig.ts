/**
 * Guided IG (Kapishnikov et al. 2021) and IDGI on its path (`gig`, `gig-idgi`), from the public
 * pieces: the stepper `guidedIgPath` walked by `integrateStepper`, with the IDGI integrator for
 * `gig-idgi`. Nothing is read back: the whole method is recorded and submitted at explain()'s readback.
 */
import { guidedIgOptions, guidedIgPath, type GuidedIgOptions } from '../adaptive/index.js';
import { idgiIntegrator, integrateStepper } from '../integrators.js';
import { registerMethod } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    gig: GuidedIgOptions;
    'gig-idgi': GuidedIgOptions;
  }
}

registerMethod('gig', {
  options: guidedIgOptions('gig'),
  run: (ctx, o) => integrateStepper(ctx, guidedIgPath(o, 'gig')),
  defaultSteps: 200,
  check: 'complete',
  description: 'Guided IG (Kapishnikov et al. 2021): adaptive path moving low-|gradient| features first',
});

registerMethod('gig-idgi', {
  options: guidedIgOptions('gig-idgi'),
  run: (ctx, o) => integrateStepper(ctx, guidedIgPath(o, 'gig-idgi'), idgiIntegrator()),
  defaultSteps: 200,
  check: 'complete',
  description: 'IDGI (Yang et al. 2023) on the Guided IG path points',
});
