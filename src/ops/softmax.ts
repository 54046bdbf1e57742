/**
 * Softmax and log-softmax over the last axis of [N, C], forward and backward (from the forward
 * output). One template (shaders/softmax.wgsl): a row per invocation while C ≤ 64, a workgroup
 * per row beyond that.
 */
import source from '../../shaders/softmax.wgsl';
import { WG } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Rows up to this many classes go one per invocation; wider rows share a workgroup. */
export const ROW_PER_LANE_MAX_CLASSES = 64;

export function checkRows(op: string, what: string, t: Tensor): { n: number; c: number } {
  if (t.rank !== 2) fail(`${op}: ${what} must have shape [N, C], got ${shapeStr(t.shape)}`);
  const [n, c] = t.shape as [number, number];
  if (c === 0) fail(`${op}: ${what} ${shapeStr(t.shape)} has no classes`);
  return { n, c };
}

interface SoftmaxVariant {
  log: boolean;
  backward: boolean;
}

function run(op: string, inputs: Tensor[], v: SoftmaxVariant): Tensor {
  const { n, c } = checkRows(op, v.backward ? 'y' : 'x', inputs[0]!);
  if (v.backward) {
    const dy = inputs[1]!;
    if (dy.rank !== 2 || dy.shape[0] !== n || dy.shape[1] !== c) fail(`${op}: dy has shape ${shapeStr(dy.shape)}, expected [${n}, ${c}]`);
  }
  const engine = inputs[0]!.engine;
  const out = Tensor.empty(engine, [n, c], op);
  if (n === 0) return out;
  const tensors = v.backward ? { y: inputs[0]!, dy: inputs[1]!, out } : { x: inputs[0]!, out };
  // rows and classes are uniforms: one pipeline per variant and row layout
  const rowPerLane = c <= ROW_PER_LANE_MAX_CLASSES;
  const params = { LANES: rowPerLane ? 1 : WG, ROW_PER_LANE: rowPerLane, LOG: v.log, BACKWARD: v.backward };
  engine.run({ op, source, params, bindings: { ...tensors, sizes: Uint32Array.of(n, c) }, grid: rowPerLane ? engine.grid1d(n, WG) : engine.grid1d(n, 1) });
  return out;
}
export function softmax(x: Tensor): Tensor {
  return run('softmax', [x], { log: false, backward: false });
}

export function logSoftmax(x: Tensor): Tensor {
  return run('logSoftmax', [x], { log: true, backward: false });
}

/** y = softmax output; dx = y ⊙ (dy − Σ dy⊙y). */
export function softmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return run('softmaxBackward', [y, dy], { log: false, backward: true });
}

/** y = logSoftmax output; dx = dy − exp(y) Σ dy. */
export function logSoftmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return run('logSoftmaxBackward', [y, dy], { log: true, backward: true });
}
