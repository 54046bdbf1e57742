/**
 * A newer method from the path spec, in a few lines: Left IG as the IDG authors' `IG` runs it with
 * alpha_star < 1 (saliencyMethods.py, chasewalker26/Integrated-Decision-Gradients): the mean of the
 * gradients at linspace(0, 1, m) before the first point where f exceeds alpha_star · max f, times
 * x − x'. Pass 1 (valuesAlong) finds that point; pass 2 (integrateWithHook) takes the gradients.
 * Then explain(engine, model, x, { method: 'left-ig' }).
 */
import { integrateWithHook, registerMethod, valuesAlong, type NoOptions } from '../src/index.js';

declare module '../src/index.js' {
  interface MethodRegistry {
    'left-ig': NoOptions;
  }
}

const ALPHA_STAR = 0.9;

registerMethod('left-ig', {
  description: 'Left IG: IG up to where f first exceeds 0.9 · max f along the path',
  defaultSteps: 64,
  check: 'none',
  run(ctx, { steps }) {
    const alphas = Float64Array.from({ length: steps }, (_, k) => k / Math.max(1, steps - 1));
    const schedule = async (one: typeof ctx) => {
      const f = (await valuesAlong(one, alphas))[0]!;
      const first = f.findIndex((v) => v > ALPHA_STAR * Math.max(...f));
      const keep = first <= 0 ? 1 : first; // as the authors: none above, or the first point, keeps one
      return { alphas: alphas.subarray(0, keep), weights: new Float64Array(keep).fill(1 / keep) };
    };
    return integrateWithHook(ctx, schedule, (step) => step.weight);
  },
});
