/**
 * Elementwise ONNX ops: pass-throughs (Identity, Dropout at inference, Cast to float), activations
 * (Relu and the unary ops, each parsing its own attributes), Add / Sub / Mul / Div on activations
 * and constants, Neg, and the elementwise ops that only fold (Equal, Where, Sqrt, Pow).
 */
import type { UnaryOp } from '../../../nn/graph.js';
import type { OnnxNode } from '../ir.js';
import { dtypeName, type OnnxDtype } from '../tensor.js';
import { elementwise, FoldError, noBatch, type ConstValue, type FoldArgs } from '../fold.js';
import { num, same, type Binary, type ImportState, type OnnxOp } from '../state.js';
import { matmulBias } from './layers.js';

function dropout(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const ratio = node.inputs[1] ? s.constant(node, 1, 'a constant ratio').data[0]! : num(a.ratio, 0.5);
  const training = node.inputs[2]
    ? s.constant(node, 2, 'a constant training_mode').data[0]!
    : s.model.opset < 7
      ? 1 - num(a.is_test, 0)
      : 0;
  if (training && ratio !== 0)
    s.fail(
      `${s.where}: training_mode is set with ratio ${ratio}; dropout is only imported at inference (export in eval mode)`,
    );
  s.define(node, s.act(node, 0));
  // at inference (or ratio 0) nothing is dropped: the mask is all ones, x · 0 + 1 per element
  if (node.outputs[1] && s.uses.has(node.outputs[1])) {
    const name = s.uniqueName(`${node.name}_mask`);
    s.define(node, s.g.constant(name, scaled(s, node, 0), [], 'add'), 1);
    s.setParam(`${name}.value`, { shape: [], data: Float32Array.of(1), dtype: 'float' }, []);
  }
}

/** Clip: bounds are attributes before opset 11, optional inputs after. */
function clipBounds(s: ImportState, node: OnnxNode): UnaryOp {
  const a = node.attributes;
  const bound = (i: number, attr: string, fallback: number) =>
    s.model.opset < 11
      ? num(a[attr], fallback)
      : node.inputs[i]
        ? s.scalar(s.constant(node, i, `a constant ${attr}`), attr)
        : fallback;
  const min = bound(1, 'min', -Infinity);
  const max = bound(2, 'max', Infinity);
  return { fn: 'clip', min, max };
}

/** A unary op whose parameters `parse` reads from the node's attributes (or constant inputs). */
const unary = (parse: (s: ImportState, node: OnnxNode) => UnaryOp): OnnxOp => ({
  build: (s, node) => s.define(node, s.g.unary(s.uniqueName(node.name), s.node(s.act(node, 0)), parse(s, node))),
});

/** Add / Sub / Mul / Div: two activations, an activation and a constant, or the bias of a bias-free MatMul. */
function binary(s: ImportState, node: OnnxNode, op: Binary): number {
  const [an, bn] = node.inputs as [string, string];
  const aConst = s.consts.get(an);
  const bConst = s.consts.get(bn);
  if (!aConst && !bConst) {
    const a = s.act(node, 0);
    const b = s.act(node, 1);
    if (s.mode === 'batch' && a.shape.length !== b.shape.length)
      s.batchAxis(
        `${s.where}: inputs of ranks ${a.shape.length + 1} and ${b.shape.length + 1} broadcast the batch axis against another`,
      );
    // Same-shape adds stay `add` nodes, which fuse into a conv's residual epilogue.
    if (op === 'add' && same(a.shape, b.shape)) return s.g.add(s.uniqueName(node.name), s.node(a), s.node(b));
    return s.g.binary(s.uniqueName(node.name), s.node(a), s.node(b), op);
  }
  const constantFirst = !!aConst;
  const x = s.act(node, constantFirst ? 1 : 0);
  let c = (aConst ?? bConst)!;
  const legacyAxis = s.model.opset < 7 && num(node.attributes.broadcast, 0) === 1 && node.attributes.axis !== undefined;
  if (legacyAxis) {
    // Opset < 7 broadcast: the constant's axes start at `axis` instead of being right-aligned.
    const rank = s.onnxRank(x);
    const axis = s.normalize(num(node.attributes.axis, 0), rank, 'axis');
    c = { ...c, shape: [...c.shape, ...new Array<number>(Math.max(0, rank - axis - c.shape.length)).fill(1)] };
  }
  const fused = op === 'add' && !constantFirst ? matmulBias(s, node, x, c) : null;
  if (fused !== null) return fused;
  const shape = s.constRowShape(c.shape, x, 'constant');
  const name = s.uniqueName(node.name);
  const idx = s.g.constant(name, s.node(x), shape, op, constantFirst);
  s.setParam(`${name}.value`, c, shape);
  return idx;
}

/** An arithmetic op: built on activations, folded on constants; Div refuses an integer graph input. */
const arithmetic = (op: Binary): OnnxOp => ({
  build: (s, node) => {
    if (op === 'div' && s.integerInput)
      s.fail(
        `${s.where}: integer division (the graph input is ${dtypeName(s.model.inputs[0]!.elemType)}) is not supported: activations run in float32`,
      );
    s.define(node, binary(s, node, op));
  },
  fold: foldArithmetic,
});

/** x · k for a scalar k (Neg). */
function scaled(s: ImportState, node: OnnxNode, k: number): number {
  const name = s.uniqueName(node.name);
  const idx = s.g.constant(name, s.node(s.act(node, 0)), [], 'mul');
  s.setParam(`${name}.value`, { shape: [], data: Float32Array.of(k), dtype: 'float' }, []);
  return idx;
}

const CAST_TYPES: Record<number, OnnxDtype> = {
  1: 'float',
  10: 'float',
  11: 'float',
  9: 'bool',
  2: 'int',
  3: 'int',
  4: 'int',
  5: 'int',
  6: 'int',
  7: 'int',
  12: 'int',
  13: 'int',
};

function foldIdentity({ x }: FoldArgs): ConstValue[] {
  return [x];
}

function foldCast({ x, a, reserve }: FoldArgs): ConstValue[] {
  const to = CAST_TYPES[num(a.to, 1)];
  if (!to) throw new FoldError(`Cast to type ${String(a.to)} is not supported`);
  const f = to === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : to === 'int' ? Math.trunc : Math.fround;
  if (to !== 'int') noBatch([x], 'Cast');
  reserve(x.shape, to === 'float' ? 4 : 8);
  return [
    {
      shape: x.shape,
      data: to === 'float' ? Float32Array.from(x.data, f) : Float64Array.from(x.data, f),
      dtype: to,
      batch: x.batch,
    },
  ];
}

function foldEqual({ inputs, reserve }: FoldArgs): ConstValue[] {
  return [
    elementwise(
      inputs.filter((t): t is ConstValue => !!t),
      'Equal',
      (p, q) => (p === q ? 1 : 0),
      'bool',
      reserve,
    ),
  ];
}

function foldWhere({ inputs, reserve }: FoldArgs): ConstValue[] {
  noBatch([inputs[0]!], 'Where');
  return [
    elementwise([inputs[1]!, inputs[2]!, inputs[0]!], 'Where', (p, q, c) => (c ? p : q), inputs[1]!.dtype, reserve),
  ];
}

function foldNeg({ x, reserve }: FoldArgs): ConstValue[] {
  return [elementwise([x], 'Neg', (v) => -v, x.dtype, reserve)];
}

function foldSqrt({ x, reserve }: FoldArgs): ConstValue[] {
  return [elementwise([x], 'Sqrt', Math.sqrt, x.dtype, reserve)];
}

function foldPow({ x, inputs, reserve }: FoldArgs): ConstValue[] {
  return [
    elementwise(
      inputs.filter((t): t is ConstValue => !!t),
      'Pow',
      (p, q) => p ** q,
      x.dtype,
      reserve,
    ),
  ];
}

function foldArithmetic({ x, inputs, a, node, opset, reserve }: FoldArgs): ConstValue[] {
  if (opset < 7 && num(a.broadcast, 0) === 1 && a.axis !== undefined)
    throw new FoldError(`legacy broadcast with axis ${String(a.axis)} is not supported`);
  const isInt = x.dtype !== 'float';
  const f = {
    Add: (p: number, q: number) => p + q,
    Sub: (p: number, q: number) => p - q,
    Mul: (p: number, q: number) => p * q,
    Div: (p: number, q: number) => (isInt ? Math.trunc(p / q) : p / q),
  }[node.opType as 'Add' | 'Sub' | 'Mul' | 'Div'];
  return [
    elementwise(
      inputs.filter((t): t is ConstValue => !!t),
      node.opType,
      f,
      x.dtype,
      reserve,
    ),
  ];
}

export const ELEMENTWISE_OPS: Record<string, OnnxOp> = {
  Identity: { build: (s, node) => s.define(node, s.act(node, 0)), fold: foldIdentity },
  Dropout: { build: dropout, fold: foldIdentity },
  Cast: {
    build: (s, node) => {
      // float32 is what runs: a cast to FLOAT or DOUBLE changes nothing; others would round or truncate.
      const to = num(node.attributes.to, 1);
      if (to !== 1 && to !== 11)
        s.fail(`${s.where}: a cast of an activation to type ${to} is not supported (only to FLOAT or DOUBLE)`);
      s.define(node, s.act(node, 0));
    },
    fold: foldCast,
  },
  Relu: { build: (s, node) => s.define(node, s.g.relu(s.uniqueName(node.name), s.node(s.act(node, 0)))) },
  Sigmoid: unary(() => ({ fn: 'sigmoid' })),
  Tanh: unary(() => ({ fn: 'tanh' })),
  HardSigmoid: unary((_, { attributes: a }) => ({
    fn: 'hardsigmoid',
    alpha: num(a.alpha, 0.2),
    beta: num(a.beta, 0.5),
  })),
  HardSwish: unary(() => ({ fn: 'hardswish' })),
  LeakyRelu: unary((_, { attributes: a }) => ({ fn: 'leakyrelu', alpha: num(a.alpha, 0.01) })),
  Elu: unary((_, { attributes: a }) => ({ fn: 'elu', alpha: num(a.alpha, 1) })),
  Clip: unary(clipBounds),
  Add: arithmetic('add'),
  Sub: arithmetic('sub'),
  Mul: arithmetic('mul'),
  Div: arithmetic('div'),
  Neg: { build: (s, node) => s.define(node, scaled(s, node, -1)), fold: foldNeg },
  Equal: { fold: foldEqual },
  Where: { fold: foldWhere },
  Sqrt: { fold: foldSqrt },
  Pow: { fold: foldPow },
};
