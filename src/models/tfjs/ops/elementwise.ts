/**
 * TF.js elementwise ops: activations (a final Softmax / Sigmoid dropped unless kept), LeakyRelu,
 * Prelu, Softmax, and BiasAdd / Add / AddV2 / Sub / Mul / RealDiv on activations and constants
 * (constants permuted NHWC → NCHW; a per-channel add after a bias-free layer becomes its bias).
 */
import type { UnaryOp } from '../../../nn/graph.js';
import type { BinaryOp } from '../../../ops/broadcast.js';
import { attr, type TfjsNode, type TfjsTensor } from '../format.js';
import type { TfjsImportState, TfjsOp, Value } from '../state.js';

export const ACTIVATIONS: Record<string, UnaryOp | 'relu'> = {
  Relu: 'relu',
  Relu6: { fn: 'clip', min: 0, max: 6 },
  Sigmoid: { fn: 'sigmoid' },
  Tanh: { fn: 'tanh' },
  Elu: { fn: 'elu', alpha: 1 },
};

export function activation(s: TfjsImportState, name: string, x: Value, op: UnaryOp | 'relu'): Value {
  // elementwise: a pending HWC flatten stays pending (the node runs on its NCHW source)
  const idx = op === 'relu' ? s.g.relu(name, x.node) : s.g.unary(name, x.node, op);
  return { ...x, node: idx };
}

export function prelu(s: TfjsImportState, name: string, x: Value, slope: TfjsTensor): Value {
  const v = s.materialised(x);
  const c = constantFor(s, v, slope, name);
  const idx = s.g.prelu(name, v.node, c.shape);
  s.params.set(`${name}.weight`, c);
  return { ...v, node: idx };
}

function arithmetic(s: TfjsImportState, n: TfjsNode, op: BinaryOp, where: string): Value {
  const [c0, c1] = [s.isConst(n, 0), s.isConst(n, 1)];
  if (c0 && c1) s.fail(`${where}: both operands are constants`);
  if (!c0 && !c1) {
    const [a, b] = [s.materialised(s.input(n, 0, where)), s.materialised(s.input(n, 1, where))];
    const both = a.nchw && b.nchw;
    const [x, y] = both ? [a.node, b.node] : [s.features(a), s.features(b)];
    const same = s.shape(x).join() === s.shape(y).join();
    return { node: op === 'add' && same ? s.g.add(n.name, x, y) : s.g.binary(n.name, x, y, op), nchw: both };
  }
  const x = s.materialised(s.input(n, c0 ? 1 : 0, where));
  const c = s.constant(n, c0 ? 0 : 1, where);
  if (op === 'add' && foldBias(s, x, s.inputName(n, c0 ? 1 : 0), c)) return x;
  const v = constantFor(s, x, c, where);
  const idx = s.g.constant(n.name, x.node, v.shape, op, c0);
  s.params.set(`${n.name}.value`, v);
  return { ...x, node: idx };
}

/** A per-channel constant added to a bias-free conv / dense layer read by nothing else becomes its bias. */
function foldBias(s: TfjsImportState, x: Value, from: string, c: TfjsTensor): boolean {
  const producer = s.g.nodes[x.node]!;
  if (
    (producer.kind !== 'conv2d' && producer.kind !== 'linear') ||
    producer.name !== from ||
    producer.bias ||
    producer.relu ||
    s.tfReaders.get(from) !== 1
  )
    return false;
  const channels = s.g.paramShapes.get(producer.weight)![0]!;
  if (c.data.length !== channels || c.shape[c.shape.length - 1] !== channels) return false;
  producer.bias = `${producer.name}.bias`;
  s.g.paramShapes.set(producer.bias, [channels]);
  s.params.set(producer.bias, { shape: [channels], data: c.data });
  return true;
}

/** A TF constant broadcast against `x`, in x's layout (NHWC → NCHW), as a per-row shape. */
function constantFor(s: TfjsImportState, x: Value, c: TfjsTensor, where: string): TfjsTensor {
  const rowRank = s.shape(x.node).length;
  let shape = c.shape.length === 0 ? [1] : [...c.shape];
  let data = c.data;
  if (x.nchw) {
    if (shape.length > 4) s.fail(`${where}: a constant of shape [${c.shape.join(', ')}] on a 4-D activation`);
    while (shape.length < 4) shape.unshift(1);
    const [a, h, w, ch] = shape as [number, number, number, number];
    data = new Float32Array(data.length);
    for (let i = 0; i < a; i++)
      for (let y = 0; y < h; y++)
        for (let z = 0; z < w; z++)
          for (let k = 0; k < ch; k++) data[((i * ch + k) * h + y) * w + z] = c.data[((i * h + y) * w + z) * ch + k]!;
    shape = [a, ch, h, w];
  }
  if (shape.length > rowRank) {
    if (shape[0] !== 1 || shape.length > rowRank + 1)
      s.fail(`${where}: a constant of shape [${c.shape.join(', ')}] does not broadcast per image`);
    shape = shape.slice(1);
  }
  return { shape, data };
}

/** `op`, except where it computes the graph output and the final activation is not kept: dropped (noted). */
const droppedIfFinal = (op: TfjsOp): TfjsOp => ({
  build: (s, n, where) => {
    if (!s.outputChain.has(n.name) || s.keepFinal) return op.build(s, n, where);
    s.notes.push(
      `dropped the final ${n.op} (${n.name}): the model is explained on logits; use output 'prob' to explain probabilities`,
    );
    return s.input(n, 0, where);
  },
});

const unary = (op: UnaryOp | 'relu'): TfjsOp => ({
  build: (s, n, where) => activation(s, n.name, s.input(n, 0, where), op),
});
const binary = (op: BinaryOp): TfjsOp => ({ build: (s, n, where) => arithmetic(s, n, op, where) });

export const ELEMENTWISE_OPS: Record<string, TfjsOp> = {
  Relu: unary(ACTIVATIONS.Relu!),
  Relu6: unary(ACTIVATIONS.Relu6!),
  Sigmoid: droppedIfFinal(unary(ACTIVATIONS.Sigmoid!)),
  Tanh: unary(ACTIVATIONS.Tanh!),
  Elu: unary(ACTIVATIONS.Elu!),
  LeakyRelu: {
    build: (s, n, where) =>
      activation(s, n.name, s.input(n, 0, where), { fn: 'leakyrelu', alpha: attr.float(n, 'alpha', 0.2) }),
  },
  Prelu: { build: (s, n, where) => prelu(s, n.name, s.input(n, 0, where), s.constant(n, 1, where)) },
  Softmax: droppedIfFinal({
    build: (s, n, where) => {
      const x = s.input(n, 0, where);
      return x.nchw
        ? { node: s.g.softmax(n.name, x.node, { axis: 0 }), nchw: true }
        : s.g.softmax(n.name, s.features(x));
    },
  }),
  BiasAdd: binary('add'),
  Add: binary('add'),
  AddV2: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  RealDiv: binary('div'),
};
