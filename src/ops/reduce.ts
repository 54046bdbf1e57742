/** Deterministic sums over one axis (bias gradients): strided launches (strided.ts) with REDUCE. */
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { stridedLaunch, stridesOf } from './strided.js';

/** Σ over `axis` (negative counts from the end); the result drops that axis. */
export function sumAxis(x: Tensor, axis: number): Tensor {
  return sumAxisMasked(x, axis);
}

/**
 * Σ over `axis` of x, or of x ⊙ [mask > 0] when `mask` (same shape) is given: the bias gradient
 * behind a relu without materialising the masked dy.
 */
export function sumAxisMasked(x: Tensor, axis: number, mask?: Tensor, op = 'sumAxis'): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || ax < 0 || ax >= x.rank)
    fail(`${op}: axis ${axis} is out of range for shape ${shapeStr(x.shape)}`);
  if (mask && (mask.rank !== x.rank || mask.shape.some((d, i) => d !== x.shape[i]))) {
    fail(`${op}: mask has shape ${shapeStr(mask.shape)}, expected ${shapeStr(x.shape)}`);
  }
  const s = stridesOf(x.shape);
  const out = Tensor.empty(
    x.engine,
    x.shape.filter((_, i) => i !== ax),
    op,
  );
  const reduce = { shape: x.shape.map((d, k) => (k === ax ? d : 1)), strides: s };
  return stridedLaunch(op, {
    space: x.shape.map((d, k) => (k === ax ? 1 : d)),
    a: { t: x, strides: s },
    b: mask && { t: mask, strides: s },
    out,
    reduce,
    expr: mask ? 'select(0.0, x, y > 0.0)' : 'x',
  });
}
