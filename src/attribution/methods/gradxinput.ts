/** Gradient × input: ∇f(x) ⊙ x, no baseline. */
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';
import { atInputOnly, inputGradient } from './grad.js';

declare module '../registry.js' {
  interface MethodRegistry {
    gradxinput: NoOptions;
  }
}

registerMethod('gradxinput', {
  options: (raw) => methodOptions('gradxinput', raw, []),
  run: (ctx) => inputGradient(ctx, true),
  defaultSteps: 1,
  check: 'none',
  ownStart: atInputOnly('gradxinput', 'gradient × input'),
  description: 'gradient × input',
});
