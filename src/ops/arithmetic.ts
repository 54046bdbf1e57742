/** Elementwise arithmetic on same-shape tensors (attribution bookkeeping: x − x', products, squares). */
import { elementwise } from './elementwise.js';
import type { Tensor } from '../tensor/tensor.js';

export function sub(a: Tensor, b: Tensor): Tensor {
  return elementwise('sub', () => 'x - y', a, b);
}

export function mul(a: Tensor, b: Tensor): Tensor {
  return elementwise('mul', () => 'x * y', a, b);
}

export function square(a: Tensor): Tensor {
  return elementwise('square', () => 'x * x', a);
}
