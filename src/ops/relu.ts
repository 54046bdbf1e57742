/** ReLU. Backward needs only the forward output: dx = dy where y > 0. */
import { elementwise } from './elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

/** + (x − x): NaN and ±inf become NaN instead of vanishing in max, so an overflow reaches f (explain's checkFinite). */
export function relu(x: Tensor): Tensor {
  return elementwise('relu', (zero) => `max(x, ${zero}) + (x - x)`, x);
}

/** dx = dy · [y > 0], from the forward output y. */
export function reluBackward(y: Tensor, dy: Tensor): Tensor {
  return elementwise('relu_backward', (zero) => `select(${zero}, y, x > ${zero})`, y, dy);
}
