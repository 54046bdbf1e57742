/**
 * Arithmetic of two tensors of the same rank with NumPy broadcasting (each axis equal, or 1 on
 * one side), and sums back onto a broadcast operand's shape for the gradients. Both are strided
 * launches (strided.ts): a broadcast axis is read with stride 0, never materialised.
 */
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { elementwise } from './elementwise.js';
import { broadcastStrides, stridedLaunch, stridesOf } from './strided.js';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
const EXPR: Record<BinaryOp, string> = { add: 'x + y', sub: 'x - y', mul: 'x * y', div: 'x / y' };

export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length || a.some((d, k) => d !== b[k] && d !== 1 && b[k] !== 1))
    fail(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
  return a.map((d, k) => (d === 1 ? b[k]! : d));
}

/**
 * out = expr(x, y) over the broadcast shape, x from a and y from b; `expr(zero)` as for
 * elementwise(). Equal shapes take the vec4 elementwise kernel (~4x faster than the strided walk, measured).
 */
export function broadcastMap(op: string, expr: (zero: string) => string, a: Tensor, b: Tensor): Tensor {
  const space = broadcastShape(op, a.shape, b.shape);
  if (a.shape.every((d, k) => d === b.shape[k])) return elementwise(op, expr, a, b);
  const out = Tensor.empty(a.engine, space, op);
  return stridedLaunch(op, {
    space,
    a: { t: a, strides: broadcastStrides(a.shape, space) },
    b: { t: b, strides: broadcastStrides(b.shape, space) },
    out,
    expr: expr('0.0'),
  });
}

export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  return broadcastMap(op, () => EXPR[op], a, b);
}

/**
 * scale · Σ of x over the axes where `shape` is 1: the gradient of an operand broadcast from
 * `shape`, or (with scale 1/count) a mean that keeps its axes. Same shape and scale 1: a view.
 */
export function sumTo(x: Tensor, shape: readonly number[], scale = 1, op = 'sumTo'): Tensor {
  if (x.rank !== shape.length || shape.some((d, k) => d !== 1 && d !== x.shape[k]))
    fail(`${op}: cannot sum ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  if (scale === 1 && shape.every((d, k) => d === x.shape[k])) return x.reshape(shape);
  const s = stridesOf(x.shape);
  const reduce = { shape: x.shape.map((d, k) => (shape[k] === 1 ? d : 1)), strides: s };
  return stridedLaunch(op, {
    space: shape,
    a: { t: x, strides: s },
    out: Tensor.empty(x.engine, shape, op),
    reduce,
    scale,
  });
}

/**
 * Gradients of y = a ∘ b (y: the forward output) onto a's and b's shapes; `need` skips one
 * (a constant's gradient outside training). Caller owns the results.
 */
export function binaryBackward(
  op: BinaryOp,
  a: Tensor,
  b: Tensor,
  y: Tensor,
  dy: Tensor,
  need: [boolean, boolean] = [true, true],
): (Tensor | null)[] {
  const onto = (t: Tensor, like: Tensor, scale = 1): Tensor => {
    const g = sumTo(t, like.shape, scale, `${op}Backward`);
    if (t !== dy) t.dispose();
    return g;
  };
  const times = (u: Tensor, v: Tensor, expr = 'x * y') => broadcastMap(`${op}Backward`, () => expr, u, v);
  const da = () => onto(op === 'mul' ? times(dy, b) : op === 'div' ? times(dy, b, 'x / y') : dy, a);
  const db = () => {
    if (op !== 'div') return onto(op === 'mul' ? times(dy, a) : dy, b, op === 'sub' ? -1 : 1);
    const t = times(dy, y); // d(a/b)/db = −a/b² = −y/b
    const g = times(t, b, '-x / y');
    t.dispose();
    return onto(g, b);
  };
  return [need[0] ? da() : null, need[1] ? db() : null];
}
