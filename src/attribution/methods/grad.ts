/** The vanilla gradient ∇f(x): no path, no baseline. gradxinput.ts multiplies it by x. */
import { mul } from '../../ops/arithmetic.js';
import { straightPathPoints } from '../kernels/path-points.js';
import type { ExplainContext } from '../context.js';
import { evaluateGradients } from '../evaluate.js';
import { inImageGroups, type IntegrationResult } from '../integrators.js';
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    grad: NoOptions;
  }
}

/** ∇f at the input itself (⊙ x for gradient × input), in groups of images that fit the row budget. */
export function inputGradient(ctx: ExplainContext, timesInput: boolean): Promise<IntegrationResult> {
  return inImageGroups(ctx, ctx.maxRows, async (sub) => {
    const x = straightPathPoints(sub.x, sub.baseline, [1]);
    try {
      const { f, grad } = await evaluateGradients(sub, x, 1);
      f.dispose();
      if (!timesInput) return { attribution: grad };
      const attribution = mul(grad, sub.x);
      grad.dispose();
      return { attribution };
    } finally {
      x.dispose();
    }
  });
}

/** The ownStart message of a method taken at x alone. */
export const atInputOnly = (name: string, description: string) =>
  `${name}: the ${description} is taken at x alone and has no baseline; drop the baseline option (or use ig for a path from it)`;

registerMethod('grad', {
  options: (raw) => methodOptions('grad', raw, []),
  run: (ctx) => inputGradient(ctx, false),
  defaultSteps: 1,
  check: 'none',
  ownStart: atInputOnly('grad', 'vanilla gradient ∇f(x)'),
  description: 'vanilla gradient ∇f(x)',
});
