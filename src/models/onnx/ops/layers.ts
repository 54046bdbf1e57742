/** ONNX layers with weight matrices and per-channel parameters → graph nodes: Gemm, MatMul, BatchNormalization, PRelu. */
import type { OnnxNode } from '../ir.js';
import { asFloat32, type OnnxTensor } from '../tensor.js';
import type { ConstValue } from '../fold.js';
import { BN_PARAMS } from '../../../nn/layers.js';
import { num, same, transpose2d, type Act, type ImportState, type OnnxOp } from '../state.js';

function batchNorm(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const training = s.model.opset >= 14 && num(a.training_mode, 0) === 1;
  if (!training && node.outputs.filter((o) => o !== '').length > 1)
    s.fail(
      `${s.where}: training-mode outputs (running statistics) are not supported before opset 14; export in eval mode`,
    );
  if (s.model.opset < 9 && num(a.spatial, 1) !== 1)
    s.fail(`${s.where}: spatial=0 (per-element statistics) is not supported`);
  const x = s.act(node, 0);
  // Batch statistics read across images: the row is then the whole [N, C, ...] tensor.
  if (training && s.mode === 'batch') s.batchAxis(`${s.where}: training_mode=1 normalises by the batch's statistics`);
  if (training && (x.shape.length < 2 || x.shape.length > 4))
    s.fail(`${s.where}: input has shape [${x.shape.join(', ')}]; expected [N, C], [N, C, L] or [N, C, H, W]`);
  if (!training && s.mode === 'whole') s.needsBatchAxis(x);
  const channels = x.shape[training ? 1 : 0];
  const c = s.constant(node, 1, 'a scale constant').data.length;
  if (channels !== c) s.fail(`${s.where}: ${c} scales for ${channels} channels`);
  const name = s.uniqueName(s.baseName(node.inputs[1]!, node.name));
  const eps = num(a.epsilon, 1e-5);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) =>
    s.constant(node, i, `a constant ${['scale', 'bias', 'mean', 'var'][i - 1]}`),
  );
  if (s.uses.has(node.outputs[0]!)) {
    s.define(node, s.g.batchNorm(name, s.node(x), c, { eps, batchStatistics: training }));
    [scale, bias, mean, variance].forEach((t, i) => s.setParam(`${name}.${BN_PARAMS[i]}`, t!, [c]));
  }
  if (!training) return;
  const momentum = num(a.momentum, 0.9);
  [mean, variance].forEach(
    (running, k) =>
      node.outputs[k + 1] &&
      s.uses.has(node.outputs[k + 1]!) &&
      s.define(node, runningStatistic(s, node, x, k === 1, running!, momentum), k + 1),
  );
}

/**
 * Training mode's running_mean / running_var outputs: momentum·running + (1 − momentum)·batch
 * statistic, with the population variance (ONNX's formula), built from mean / sub / mul nodes.
 */
function runningStatistic(
  s: ImportState,
  node: OnnxNode,
  x: Act,
  isVar: boolean,
  running: ConstValue,
  momentum: number,
): number {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const base = `${node.name}_${isVar ? 'var' : 'mean'}`;
  const input = s.node(x);
  let stat: number;
  if (isVar) {
    const mean = s.g.reduceMean(s.uniqueName(`${base}_mean`), input, axes, true);
    const centred = s.g.binary(s.uniqueName(`${base}_centred`), input, mean, 'sub');
    stat = s.g.reduceMean(
      s.uniqueName(`${base}_batch`),
      s.g.binary(s.uniqueName(`${base}_square`), centred, centred, 'mul'),
      axes,
      false,
    );
  } else {
    stat = s.g.reduceMean(s.uniqueName(`${base}_batch`), input, axes, false);
  }
  const scaled = s.uniqueName(`${base}_scaled`);
  const weighted = s.g.constant(scaled, stat, [], 'mul');
  s.setParam(`${scaled}.value`, { shape: [], data: Float32Array.of(1 - momentum), dtype: 'float' }, []);
  const out = s.uniqueName(`${base}_running`);
  const idx = s.g.constant(out, weighted, [running.data.length], 'add');
  s.setParam(
    `${out}.value`,
    { shape: [running.data.length], data: Float32Array.from(running.data, (v) => v * momentum), dtype: 'float' },
    [running.data.length],
  );
  return idx;
}

function gemm(s: ImportState, node: OnnxNode): number {
  const a = node.attributes;
  let x = s.act(node, 0);
  if (s.onnxRank(x) !== 2)
    s.fail(
      `${s.where}: A has shape [${s.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}], expected a matrix [N, K]`,
    );
  if (num(a.transA, 0) === 1) {
    if (s.mode === 'batch') s.batchAxis(`${s.where}: transA=1 transposes the batch axis`);
    x = {
      node: s.g.transpose(s.uniqueName(`${node.name}_transA`), s.node(x), [1, 0]),
      shape: [x.shape[1]!, x.shape[0]!],
    };
  }
  const b = s.constant(node, 1, 'a constant B');
  if (b.shape.length !== 2) s.fail(`${s.where}: B has shape [${b.shape.join(', ')}], expected 2-D`);
  const alpha = num(a.alpha, 1);
  const beta = num(a.beta, 1);
  let weight = num(a.transB, 0) === 1 ? b : transpose2d(b);
  if (alpha !== 1) weight = { ...weight, data: Float32Array.from(asFloat32(weight, 'B', s.source), (v) => v * alpha) };
  const cAct = node.inputs[2] && s.acts.has(node.inputs[2]) ? s.act(node, 2) : null;
  const c = node.inputs[2] && !cAct ? s.constant(node, 2, 'a constant C') : null;
  const outF = weight.shape[0]!;
  const scaled = c && beta !== 1 ? { ...c, data: Float32Array.from(asFloat32(c, 'C', s.source), (v) => v * beta) } : c;
  const vector =
    scaled &&
    (scaled.data.length === outF || scaled.data.length === 1) &&
    scaled.shape.every((d, i) => d === 1 || i === scaled.shape.length - 1);
  const bias =
    vector && scaled && beta !== 0
      ? {
          shape: [outF],
          data: scaled.data.length === 1 ? new Float32Array(outF).fill(scaled.data[0]!) : scaled.data,
          dtype: 'float' as const,
        }
      : null;
  const idx = linear(s, node, x, weight, bias);
  if (cAct && beta !== 0) {
    // C computed from the input: added as an activation (scaled by beta first)
    let cNode = s.node(cAct);
    if (beta !== 1) {
      const name = s.uniqueName(`${node.name}_beta`);
      cNode = s.g.constant(name, cNode, [], 'mul');
      s.setParam(`${name}.value`, { shape: [], data: Float32Array.of(beta), dtype: 'float' }, []);
    }
    const out = s.shapes()[idx]!;
    const cShape = s.shapes()[cNode]!;
    return same(out, cShape)
      ? s.g.add(s.uniqueName(`${node.name}_C`), idx, cNode)
      : s.g.binary(s.uniqueName(`${node.name}_C`), idx, cNode, 'add');
  }
  if (!scaled || vector || beta === 0) return idx;
  const out = { node: idx, shape: s.shapes()[idx]! };
  const shape = s.constRowShape(scaled.shape, out, 'C');
  const name = s.uniqueName(`${node.name}_C`);
  const add = s.g.constant(name, idx, shape, 'add');
  s.setParam(`${name}.value`, scaled, shape);
  return add;
}

/** MatMul: activation × constant ([K, M], [K], or a stack [B, K, M] matched against the activation's axis). */
function matmul(s: ImportState, node: OnnxNode): number {
  if (s.consts.has(node.inputs[0]!))
    s.fail(`${s.where}: constant × activation is not supported (only activation × constant)`);
  const x = s.act(node, 0);
  const w = s.constant(node, 1, 'a constant (activation × activation is not supported)');
  if (w.shape.length === 1) {
    if (x.shape.length === 1 && s.mode === 'whole')
      s.fail(`${s.where}: a vector × vector product is a scalar, which is not supported as an activation`);
    const idx = linear(s, node, x, { shape: [1, w.shape[0]!], data: w.data, dtype: w.dtype }, null);
    return s.node({ node: idx, shape: x.shape.slice(0, -1).length ? x.shape.slice(0, -1) : [1] });
  }
  const stack = w.shape.slice(0, -2);
  const [k, m] = w.shape.slice(-2) as [number, number];
  if (stack.every((d) => d === 1)) return linear(s, node, x, transpose2d({ ...w, shape: [k, m] }), null);
  // A stack of matrices, right-aligned against the activation's leading axes (NumPy matmul):
  // each slice of the activation along the one stacked axis by its own matrix.
  const rank = s.onnxRank(x);
  if (stack.length > rank - 2) s.fail(`${s.where}: weight [${w.shape.join(', ')}] has more axes than the input`);
  const aligned = [...new Array<number>(rank - 2 - stack.length).fill(1), ...stack];
  if (s.mode === 'batch' && aligned[0] !== 1)
    s.batchAxis(`${s.where}: weight [${w.shape.join(', ')}] differs per image`);
  const rowStack = s.mode === 'batch' ? aligned.slice(1) : aligned;
  const axis = rowStack.findIndex((d) => d !== 1);
  if (rowStack.filter((d) => d !== 1).length !== 1 || (x.shape[axis] !== rowStack[axis] && x.shape[axis] !== 1)) {
    s.fail(
      `${s.where}: weight [${w.shape.join(', ')}] on an input [${s.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] is not supported (one stacked axis, matching the input's or broadcasting its size-1 axis)`,
    );
  }
  const parts: number[] = [];
  for (let j = 0; j < rowStack[axis]!; j++) {
    // a size-1 axis of the activation broadcasts against the stack: every matrix reads all of it
    const part =
      x.shape[axis] === 1 ? s.node(x) : s.g.slice(s.uniqueName(`${node.name}_part${j}`), s.node(x), axis, j, j + 1);
    const matrix = { shape: [k, m], data: w.data.slice(j * k * m, (j + 1) * k * m), dtype: w.dtype };
    parts.push(
      linear(
        s,
        { ...node, inputs: ['', `${node.name}_${j}`] },
        { node: part, shape: s.shapes()[part]! },
        transpose2d(matrix),
        null,
      ),
    );
  }
  return s.g.concat(s.uniqueName(node.name), parts, axis);
}

/** weight is [out, in] (PyTorch layout); applies over the activation's last axis */
function linear(s: ImportState, node: OnnxNode, x: Act, weight: OnnxTensor, bias: OnnxTensor | null): number {
  const [outF, inF] = weight.shape as [number, number];
  if (x.shape[x.shape.length - 1] !== inF)
    s.fail(
      `${s.where}: input [${s.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] times a [${inF}, ${outF}] matrix`,
    );
  if (bias && bias.data.length !== outF)
    s.fail(`${s.where}: bias has shape [${bias.shape.join(', ')}], expected [${outF}]`);
  const name = s.uniqueName(s.baseName(node.inputs[1]!, node.name));
  const idx = s.g.linear(name, s.node(x), inF, outF, { bias: !!bias });
  s.setParam(`${name}.weight`, weight, [outF, inF]);
  if (bias) s.setParam(`${name}.bias`, bias, [outF]);
  return idx;
}

/** x + c where x is a bias-free linear read only here and c its [out] bias: fold into the linear. */
export function matmulBias(s: ImportState, node: OnnxNode, x: Act, c: ConstValue): number | null {
  const producer = s.g.nodes[x.node]!;
  if (x.pad || producer.kind !== 'linear' || producer.bias || s.uses.get(node.inputs[0]!) !== 1 || x.shape.length !== 1)
    return null;
  const outF = s.g.paramShapes.get(producer.weight)![0]!;
  if (c.data.length !== outF || c.shape.some((d, i) => d !== 1 && i !== c.shape.length - 1)) return null;
  producer.bias = `${producer.name}.bias`;
  s.setParam(producer.bias, c, [outF]);
  s.shapeCache = [];
  return x.node;
}

function prelu(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const slope = s.constant(node, 1, 'a constant slope');
  // Before opset 7 a [C] slope is per channel; since then it broadcasts like NumPy.
  const legacy =
    s.model.opset < 7 && slope.shape.length === 1 && s.onnxRank(x) > 2
      ? [slope.shape[0]!, ...x.shape.slice(s.mode === 'batch' ? 1 : 2).map(() => 1)]
      : null;
  const shape = legacy ?? s.constRowShape(slope.shape, x, 'slope');
  const name = s.uniqueName(s.baseName(node.inputs[1]!, node.name));
  const idx = s.g.prelu(name, s.node(x), shape);
  s.setParam(`${name}.weight`, slope, shape);
  s.define(node, idx);
}

export const LAYER_OPS: Record<string, OnnxOp> = {
  BatchNormalization: { build: batchNorm },
  Gemm: { build: (s, node) => s.define(node, gemm(s, node)) },
  MatMul: { build: (s, node) => s.define(node, matmul(s, node)) },
  PRelu: { build: prelu },
};
