/**
 * Expected Gradients (Erion et al. 2021, arXiv 1906.10670): E over baselines x' and α ~ U(0, 1)
 * of (x − x') ⊙ ∇f(x' + α(x − x')). The baselines are explain()'s: a set with `draws` draws them
 * by weight (baseline-set.ts) and each drawn baseline's row takes `steps` random α, one gradient
 * each, seeded by explain()'s seed: the same call gives bitwise the same attribution, batched or not.
 * As the authors' PathExplainerTorch.attributions(use_expectation=True) (github.com/suinleelab/path_explain,
 * path_explain/explainers/path_explainer_torch.py @ 03f9565), with draws = num_samples, except that
 * the draws are shared by the call's images (the authors draw per input) and may be weighted.
 */
import { integratePath, inImageGroups, weightedGradientIntegrator } from '../integrators.js';
import { pathOfPoints, sampleKey, seededUniform, straightPointsAt } from '../path-spec.js';
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    'expected-gradients': NoOptions;
  }
}

registerMethod('expected-gradients', {
  options: (raw) => methodOptions('expected-gradients', raw, []),
  run: (ctx, { steps, seed }) =>
    // groups that fit the row budget, so that image i of a group is row first + i of the call (its α)
    inImageGroups(ctx, Math.max(1, ctx.maxRows), (group, first) => {
      const path = pathOfPoints(steps, new Float64Array(steps).fill(1 / steps), (c, k0, count) =>
        straightPointsAt(c, (i, k) => seededUniform(seed, sampleKey(ctx, first + i), k), k0, count),
      );
      return integratePath(group, path, weightedGradientIntegrator());
    }),
  defaultSteps: 1,
  check: 'approximate',
  start: 'Σ w f(baseline)',
  description: 'Expected Gradients (Erion et al. 2021): random baselines from a set, random α, one gradient each',
});
