/** ONNX reductions over an activation's axes: ReduceMean, Softmax and LogSoftmax (a final one dropped unless kept). */
import type { OnnxNode } from '../ir.js';
import { ints, num, type ImportState, type OnnxOp } from '../state.js';

function reduceMean(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const x = s.act(node, 0);
  const keepDims = num(a.keepdims, 1) === 1;
  const given =
    a.axes !== undefined
      ? ints(a.axes, [])
      : node.inputs[1]
        ? Array.from(s.constant(node, 1, 'constant axes').data)
        : [];
  if (given.length === 0 && num(a.noop_with_empty_axes, 0) === 1) return s.define(node, x);
  const rank = s.onnxRank(x);
  const axes = given.length ? given : Array.from({ length: rank }, (_, i) => i);
  const rowAxes = [...new Set(axes.map((v) => s.rowAxis(v, x, 'axis')))].sort((p, q) => p - q);
  s.define(node, s.g.reduceMean(s.uniqueName(node.name), s.node(x), rowAxes, keepDims));
}

function softmax(s: ImportState, node: OnnxNode, drop: boolean): void {
  const x = s.act(node, 0);
  const coerce = s.model.opset < 13;
  const rank = s.onnxRank(x);
  const onnxAxis = s.normalize(num(node.attributes.axis, coerce ? 1 : -1), rank, 'axis');
  const axis = s.rowAxis(onnxAxis, x, 'axis');
  const log = node.opType === 'LogSoftmax';
  if (drop) {
    s.notes.push(
      `dropped the final ${node.opType} (${node.name}): the model is explained on logits; use output 'prob' to explain probabilities`,
    );
    return s.define(node, x);
  }
  const lastAxis = axis === x.shape.length - 1;
  const idx =
    lastAxis && !log
      ? s.g.softmax(s.uniqueName(node.name), s.node(x))
      : s.g.softmax(s.uniqueName(node.name), s.node(x), { axis, log, coerce: coerce && !lastAxis });
  s.define(node, idx);
}

const softmaxOp: OnnxOp = {
  build: (s, node) => softmax(s, node, node.outputs[0] === s.finalOutput && !s.keepFinalSoftmax),
};

export const REDUCE_OPS: Record<string, OnnxOp> = {
  ReduceMean: { build: reduceMean },
  Softmax: softmaxOp,
  LogSoftmax: softmaxOp,
};
