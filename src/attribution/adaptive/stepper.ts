/**
 * A stepper path picks its next point from the gradient at the current one (Guided IG, IG2's
 * GradPath), unlike a SampledPath whose points are known ahead. Everything stays on the GPU: a
 * step is recorded, never read back, so a data-dependent stop is a GPU-side flag and the number of
 * steps is known up front. `integrateStepper` (integrators.ts) walks one through explain().
 */
import type { Tensor } from '../../tensor/tensor.js';

export interface StepperPath {
  /** steps it takes (for progress), when known */
  readonly length?: number;
  /** Start at the baseline (x, baseline: [N, ...]); returns the first point [N, ...]. Called again after dispose() for the next group of images. */
  begin(x: Tensor, baseline: Tensor): Tensor;
  /** Advance from g = ∇f(point) [N, ...]; `done` once the point is the path's end. */
  step(grad: Tensor): { point: Tensor; done: boolean };
  /** Σ over every move of (z_new − z_old) ⊙ ∇f(z_old) [N, ...]; the caller owns it. */
  attribution(): Tensor;
  /** Release the path's state (and the attribution unless taken). */
  dispose(): void;
}
