/**
 * Softmax and log-softmax over the last axis of [N, C], forward and backward (from the forward
 * output). One template (shaders/softmax.wgsl): a row per invocation while C ≤ 64, a workgroup
 * per row beyond that.
 */
import source from '../../shaders/softmax.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;
/** Rows up to this many classes go one per invocation; wider rows share a workgroup. */
export const ROW_PER_LANE_MAX_CLASSES = 64;

export function checkRows(op: string, what: string, t: Tensor): { n: number; c: number } {
  if (t.rank !== 2) fail(`${op}: ${what} must have shape [N, C], got ${shapeStr(t.shape)}`);
  const [n, c] = t.shape as [number, number];
  if (c === 0) fail(`${op}: ${what} ${shapeStr(t.shape)} has no classes`);
  return { n, c };
}

export interface SoftmaxVariant {
  log: boolean;
  backward: boolean;
  ce: boolean;
}

/** Shader parameters shared by the softmax ops and the fused cross-entropy. */
export function softmaxParams(n: number, c: number, v: SoftmaxVariant) {
  const rowPerLane = c <= ROW_PER_LANE_MAX_CLASSES;
  return {
    key: `${n},${c},${v.log},${v.backward},${v.ce},${rowPerLane}`,
    rowPerLane,
    params: { N: n, C: c, WG, LANES: rowPerLane ? 1 : WG, ROW_PER_LANE: rowPerLane, LOG: v.log, BACKWARD: v.backward, CE: v.ce },
  };
}

export function softmaxSource(params: Record<string, number | boolean>): string {
  return renderShader(source, params);
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
  const { key, rowPerLane, params } = softmaxParams(n, c, v);
  const kernel = engine.kernel(op, key, () => softmaxSource(params));
  const groups = rowPerLane ? engine.grid1d(n, WG) : engine.grid1d(n, 1);
  engine.dispatch(kernel, [...inputs.map((t) => t.buffer), out.buffer], groups);
  return out;
}

export function softmax(x: Tensor): Tensor {
  return run('softmax', [x], { log: false, backward: false, ce: false });
}

export function logSoftmax(x: Tensor): Tensor {
  return run('logSoftmax', [x], { log: true, backward: false, ce: false });
}

/** y = softmax output; dx = y ⊙ (dy − Σ dy⊙y). */
export function softmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return run('softmaxBackward', [y, dy], { log: false, backward: true, ce: false });
}

/** y = logSoftmax output; dx = dy − exp(y) Σ dy. */
export function logSoftmaxBackward(y: Tensor, dy: Tensor): Tensor {
  return run('logSoftmaxBackward', [y, dy], { log: true, backward: true, ce: false });
}
