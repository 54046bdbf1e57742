/** Elementwise sum of two same-shape tensors (residual connections). Backward: dy flows to both. */
import { elementwise } from './elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

export function add(a: Tensor, b: Tensor): Tensor {
  return elementwise('add', () => 'x + y', a, b);
}
