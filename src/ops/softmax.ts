/**
 * Softmax and log-softmax over one axis of any shape (the last by default), forward and backward
 * (from the forward output). The tensor is outer × C × inner around the axis; a row is the C
 * values at stride inner. One template (shaders/softmax.wgsl): a row per invocation while
 * C ≤ 64, a workgroup per row beyond that.
 */
import source from '../../shaders/softmax.wgsl';
import { WG } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor, sizeOf } from '../tensor/tensor.js';

/** Rows up to this many classes go one per invocation; wider rows share a workgroup. */
export const ROW_PER_LANE_MAX_CLASSES = 64;

export function checkRows(op: string, what: string, t: Tensor): { n: number; c: number } {
  if (t.rank !== 2) fail(`${op}: ${what} must have shape [N, C], got ${shapeStr(t.shape)}`);
  const [n, c] = t.shape as [number, number];
  if (c === 0) fail(`${op}: ${what} ${shapeStr(t.shape)} has no classes`);
  return { n, c };
}

/** (Log-)softmax of x = t over `axis`, or with `dy` its backward from the forward output y = t. */
function run(op: string, t: Tensor, dy: Tensor | null, log: boolean, axis: number): Tensor {
  const what = dy ? 'y' : 'x';
  if (!Number.isInteger(axis) || axis < 0 || axis >= t.rank)
    fail(`${op}: axis ${axis} is out of range for ${what} of shape ${shapeStr(t.shape)}`);
  const c = t.shape[axis]!;
  if (c === 0) fail(`${op}: ${what} ${shapeStr(t.shape)} has no classes`);
  const inner = sizeOf(t.shape.slice(axis + 1));
  const n = t.size / c; // rows: outer × inner
  if (dy && shapeStr(dy.shape) !== shapeStr(t.shape))
    fail(`${op}: dy has shape ${shapeStr(dy.shape)}, expected ${shapeStr(t.shape)}`);
  const engine = t.engine;
  const out = Tensor.empty(engine, t.shape, op);
  if (n === 0) return out;
  const tensors = dy ? { y: t, dy, out } : { x: t, out };
  // rows, classes and strides are uniforms: one pipeline per variant and row layout
  const rowPerLane = c <= ROW_PER_LANE_MAX_CLASSES;
  // subgroups shorten the forward's row max only: bitwise the same result (softmax.wgsl)
  const subgroups = !rowPerLane && !dy && engine.subgroups;
  const params = {
    LANES: rowPerLane ? 1 : WG,
    ROW_PER_LANE: rowPerLane,
    LOG: log,
    BACKWARD: !!dy,
    SUBGROUPS: subgroups,
  };
  engine.run({
    op,
    source,
    params,
    bindings: { ...tensors, sizes: Uint32Array.of(n, c, inner, 0) },
    grid: rowPerLane ? engine.grid1d(n, WG) : engine.grid1d(n, 1),
  });
  return out;
}

const last = (t: Tensor) => t.rank - 1;

export function softmax(x: Tensor, axis = last(x)): Tensor {
  return run('softmax', x, null, false, axis);
}

export function logSoftmax(x: Tensor, axis = last(x)): Tensor {
  return run('logSoftmax', x, null, true, axis);
}

/** y = softmax output; dx = y ⊙ (dy − Σ dy⊙y). */
export function softmaxBackward(y: Tensor, dy: Tensor, axis = last(y)): Tensor {
  return run('softmaxBackward', y, dy, false, axis);
}

/** y = logSoftmax output; dx = dy − exp(y) Σ dy. */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, axis = last(y)): Tensor {
  return run('logSoftmaxBackward', y, dy, true, axis);
}
