/**
 * ONNX shape plumbing on activations → views and slices: Flatten / Reshape / Squeeze / Unsqueeze
 * (views, no node until a consumer needs the shape), Transpose, Slice and Split (slice nodes),
 * Gather by constant indices, Expand, Concat (with constants too), and Shape; each folds where
 * all its inputs are constants.
 */
import type { OnnxNode } from '../ir.js';
import {
  axesOf,
  broadcastShape,
  broadcastTo,
  flatIndex,
  gatherElements,
  listOf,
  noBatch,
  normAxis,
  optionalInts,
  resolveReshape,
  sliceIndices,
  sliceRange,
  stridesOf,
  transpose,
  FoldError,
  type ConstValue,
  type FoldArgs,
} from '../fold.js';
import { count, INT_BIG, ints, num, same, type Act, type ImportState, type OnnxOp } from '../state.js';

/** Concat of one activation and constants: the activation padded with zeros, plus the constants in the padding. */
function concatWithConstants(s: ImportState, node: OnnxNode): number {
  const acts = node.inputs.map((n, i) => (s.consts.has(n) ? -1 : i)).filter((i) => i >= 0);
  if (acts.length !== 1)
    s.fail(
      `${s.where}: a concat of ${acts.length} activations with constants is not supported (one activation at most)`,
    );
  const x = s.act(node, acts[0]!);
  const axis = s.rowAxis(num(node.attributes.axis, s.model.opset < 4 ? 1 : 0), x, 'axis');
  const parts = node.inputs.map((n, i): ConstValue => {
    if (i === acts[0]) return { shape: x.shape, data: new Float32Array(count(x.shape)), dtype: 'float' };
    const c = s.consts.get(n)!;
    const shape = s.constRowShape(c.shape, x, 'constant');
    if (shape.length !== x.shape.length || shape.some((d, k) => k !== axis && d !== x.shape[k]))
      s.fail(`${s.where}: constant [${c.shape.join(', ')}] does not match the input's shape off the concat axis`);
    return { ...c, shape };
  });
  const full = foldConcat({
    x: parts[0]!,
    inputs: parts,
    a: { axis },
    node: { ...node, attributes: { axis } },
    opset: s.model.opset,
    reserve: (shape, b) => s.reserve(shape, b),
  })[0]!;
  const before = parts.slice(0, acts[0]).reduce((t, p) => t + p.shape[axis]!, 0);
  const after = parts.slice(acts[0]! + 1).reduce((t, p) => t + p.shape[axis]!, 0);
  const r = x.shape.length;
  const pads = new Array<number>(2 * r).fill(0);
  pads[axis] = before;
  pads[r + axis] = after;
  const name = s.uniqueName(node.name);
  const padded = s.g.pad(`${name}_pad`, s.node(x), pads, 0);
  const idx = s.g.constant(name, padded, full.shape, 'add');
  s.setParam(`${name}.value`, full, full.shape);
  return idx;
}

/** Expand: a broadcast, as a product with ones of the target shape. */
function expand(s: ImportState, node: OnnxNode): number | Act {
  const x = s.act(node, 0);
  const t = s.constant(node, 1, 'a constant shape');
  const target = Array.from(t.data, (d, i) => (t.batch?.[i] ? 1 : d));
  const shape = s.constRowShape(target, x, 'shape');
  const rank = Math.max(shape.length, x.shape.length);
  const out = Array.from({ length: rank }, (_, i) =>
    Math.max(shape[shape.length - rank + i] ?? 1, x.shape[x.shape.length - rank + i] ?? 1),
  );
  if (same(out, x.shape)) return x;
  const name = s.uniqueName(node.name);
  s.reserve(shape, 4);
  const idx = s.g.constant(name, s.node(x), shape, 'mul');
  s.setParam(`${name}.value`, { shape, data: new Float32Array(count(shape)).fill(1), dtype: 'float' }, shape);
  return idx;
}

/** Gather of an activation by constant indices: one slice per index, concatenated. */
function gather(s: ImportState, node: OnnxNode): number | Act {
  if (s.consts.has(node.inputs[0]!))
    s.fail(`${s.where}: indices computed from the input (a lookup table) are not supported`);
  const x = s.act(node, 0);
  const indices = s.constant(node, 1, 'constant indices');
  const axis = s.rowAxis(num(node.attributes.axis, 0), x, 'axis');
  const dim = x.shape[axis]!;
  if (indices.data.length === 0 || indices.data.length > 256)
    s.fail(`${s.where}: ${indices.data.length} indices (1 to 256 are supported)`);
  const input = s.node(x);
  const parts = Array.from(indices.data, (j, k) => {
    const at = j < 0 ? j + dim : j;
    if (!(at >= 0 && at < dim)) s.fail(`${s.where}: index ${j} is out of range for a dim of ${dim}`);
    return s.g.slice(s.uniqueName(`${node.name}_${k}`), input, axis, at, at + 1);
  });
  const joined = parts.length === 1 ? parts[0]! : s.g.concat(s.uniqueName(node.name), parts, axis);
  return { node: joined, shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)] };
}

function flatten(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const rank = s.onnxRank(x);
  const given = num(node.attributes.axis, 1);
  const axis = given < 0 ? given + rank : given; // Flatten's axis is in [-rank, rank]
  if (axis < 0 || axis > rank) s.fail(`${s.where}: axis ${given} is out of range for rank ${rank}`);
  const full = s.mode === 'batch' ? [-1, ...x.shape] : x.shape;
  if (s.mode === 'batch' && axis !== 1) s.batchAxis(`${s.where}: axis ${given} folds other axes into the batch axis`);
  const shape = s.mode === 'batch' ? [count(x.shape)] : [count(full.slice(0, axis)), count(full.slice(axis))];
  view(s, node, x, shape);
}

/** A view of `x` with another per-row shape (no node until a consumer needs it). */
function view(s: ImportState, node: OnnxNode, x: Act, shape: number[], k = 0): void {
  s.define(node, { node: x.pad ? s.node(x) : x.node, shape }, k);
}

function reshape(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const t =
    node.attributes.shape !== undefined
      ? { data: Float64Array.from(ints(node.attributes.shape, [])), batch: undefined, shape: [] }
      : s.constant(node, 1, 'a constant shape');
  const target = Array.from(t.data);
  const allowZero = num(node.attributes.allowzero, 0) === 1;
  const isBatch = (i: number) => !!t.batch?.[i];
  if (s.mode === 'whole') {
    if (target.some((_, i) => isBatch(i))) s.fail(`${s.where}: internal: batch symbol in whole-tensor mode`);
    return view(s, node, x, resolve(s, x.shape, target, allowZero));
  }
  target.forEach((_, i) => i > 0 && isBatch(i) && s.batchAxis(`${s.where}: moves the batch size to axis ${i}`));
  const head = target[0];
  const rest = target.slice(1).map((d, i) => (d === 0 && !allowZero ? (x.shape[i] ?? 0) : d));
  // A static batch of 1 (a PyTorch export's x.view(1, -1)) is 1 everywhere: [1, …] is per row.
  const batchOfOne = s.staticBatch1 && head === 1;
  const keepsBatch =
    isBatch(0) ||
    (head === 0 && !allowZero) ||
    batchOfOne ||
    (head === -1 && !rest.includes(-1) && count(rest) === count(x.shape));
  if (!keepsBatch) s.batchAxis(`${s.where}: reshape to [${target.join(', ')}] changes the batch axis`);
  if (batchOfOne && !s.notes.some((n) => n.startsWith('the graph input has a static batch of 1'))) {
    s.notes.push(
      `the graph input has a static batch of 1: it is imported per row (a reshape to [1, …] keeps the batch axis), so it takes any batch`,
    );
  }
  view(s, node, x, resolve(s, x.shape, rest, true));
}

function resolve(s: ImportState, shape: number[], target: number[], allowZero: boolean): number[] {
  try {
    return resolveReshape(shape, target, allowZero);
  } catch (e) {
    return s.fail(`${s.where}: ${(e as Error).message}`);
  }
}

function squeeze(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const axesIn =
    node.attributes.axes !== undefined
      ? ints(node.attributes.axes, [])
      : node.inputs[1]
        ? Array.from(s.constant(node, 1, 'constant axes').data)
        : null;
  const batch = s.mode === 'batch';
  const full = batch ? [-1, ...x.shape] : x.shape;
  let shape: number[];
  if (node.opType === 'Unsqueeze') {
    const rank = full.length + (axesIn ?? []).length;
    const axes = new Set((axesIn ?? []).map((v) => s.normalize(v, rank, 'axis')));
    shape = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : full[k++]!);
  } else {
    if (!axesIn && batch && s.model.inputs[0]!.shape[0] === 1)
      s.batchAxis(`${s.where}: squeezes every unit axis, the batch axis of 1 included`);
    const axes = axesIn ? new Set(axesIn.map((v) => s.normalize(v, full.length, 'axis'))) : null;
    shape = full.filter((d, i) => (axes ? !axes.has(i) : d !== 1));
  }
  if (batch && shape[0] !== -1) s.batchAxis(`${s.where}: moves the batch axis`);
  view(s, node, x, batch ? shape.slice(1) : shape);
}

/** One Slice of an activation: one slice node per sliced axis (step 1). */
function slice(s: ImportState, node: OnnxNode): number | Act {
  const a = node.attributes;
  let x = s.act(node, 0);
  const list = (attr: string, i: number): number[] | undefined =>
    a[attr] !== undefined
      ? ints(a[attr], [])
      : node.inputs[i]
        ? Array.from(s.constant(node, i, `constant ${attr}`).data)
        : undefined;
  const starts = list('starts', 1) ?? [];
  const ends = list('ends', 2) ?? [];
  const rank = s.onnxRank(x);
  const axes = list('axes', 3) ?? starts.map((_, i) => i);
  const steps = list('steps', 4) ?? starts.map(() => 1);
  let out: number | Act = x;
  axes.forEach((axisIn, k) => {
    const onnx = s.normalize(axisIn, rank, 'axis');
    if (steps[k] !== 1) s.fail(`${s.where}: step ${steps[k]} is not supported on activations (only 1)`);
    if (s.mode === 'batch' && onnx === 0) {
      if (starts[k] === 0 && ends[k]! >= INT_BIG) return;
      s.batchAxis(`${s.where}: slices the batch axis`);
    }
    const axis = s.mode === 'batch' ? onnx - 1 : onnx;
    const dim = x.shape[axis]!;
    const r = sliceRange(dim, starts[k]!, ends[k]!, 1);
    if (r.length === dim) return;
    if (r.length === 0) s.fail(`${s.where}: slices axis ${axisIn} to nothing`);
    const idx = s.g.slice(s.uniqueName(node.name), s.node(x), axis, r[0]!, r[r.length - 1]! + 1);
    x = { node: idx, shape: s.shapes()[idx]! };
    out = idx;
  });
  return out;
}

function split(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const x = s.act(node, 0);
  const axis = s.rowAxis(num(a.axis, 0), x, 'axis');
  const dim = x.shape[axis]!;
  const outs = node.outputs.length;
  let sizes =
    a.split !== undefined
      ? ints(a.split, [])
      : node.inputs[1]
        ? Array.from(s.constant(node, 1, 'constant split sizes').data)
        : null;
  if (!sizes) {
    const n = num(a.num_outputs, outs);
    const size = Math.ceil(dim / n);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(size, dim - i * size)));
  }
  if (sizes.length !== outs || sizes.reduce((s, v) => s + v, 0) !== dim)
    s.fail(
      `${s.where}: split sizes [${sizes.join(', ')}] do not cover axis ${num(a.axis, 0)} of ${dim} in ${outs} parts`,
    );
  let start = 0;
  sizes.forEach((size, k) => {
    const idx = s.g.slice(s.uniqueName(`${node.name}_${k}`), s.node(x), axis, start, start + size);
    start += size;
    s.define(node, idx, k);
  });
}

/** Shape of an activation: static, except the batch entry (a symbol) in batch mode. */
function shapeOf(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const batch = s.mode === 'batch';
  const full = batch ? [1, ...x.shape] : x.shape;
  const mask = Uint8Array.from(full, (_, i) => (batch && i === 0 ? 1 : 0));
  const rank = full.length;
  const start = num(node.attributes.start, 0);
  const end = num(node.attributes.end, rank);
  const axes = sliceRange(rank, start, end, 1);
  s.consts.set(node.outputs[0]!, {
    shape: [axes.length],
    data: Float64Array.from(axes, (i) => full[i]!),
    dtype: 'int',
    batch: Uint8Array.from(axes, (i) => mask[i]!),
  });
}

function transposeAct(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  const rank = s.onnxRank(x);
  const perm = ints(
    node.attributes.perm,
    Array.from({ length: rank }, (_, i) => rank - 1 - i),
  );
  const rowPerm =
    s.mode === 'batch'
      ? perm[0] === 0
        ? perm.slice(1).map((p) => p - 1)
        : s.batchAxis(`${s.where}: perm [${perm.join(', ')}] moves the batch axis`)
      : perm;
  if (rowPerm.every((p, i) => p === i)) return s.define(node, x);
  const idx = s.g.transpose(s.uniqueName(node.name), s.node(x), rowPerm);
  s.define(node, idx);
}

function concat(s: ImportState, node: OnnxNode): void {
  if (node.inputs.some((n) => s.consts.has(n))) return s.define(node, concatWithConstants(s, node));
  const parts = node.inputs.map((_, i) => s.act(node, i));
  const axis = s.rowAxis(num(node.attributes.axis, s.model.opset < 4 ? 1 : 0), parts[0]!, 'axis');
  if (parts.length === 1) return s.define(node, parts[0]!);
  s.define(
    node,
    s.g.concat(
      s.uniqueName(node.name),
      parts.map((p) => s.node(p)),
      axis,
    ),
  );
}

function foldShape({ x, a }: FoldArgs): ConstValue[] {
  const rank = x.shape.length;
  const start = num(a.start, 0);
  const end = num(a.end, rank);
  const dims = sliceRange(rank, start, end, 1).map((i) => x.shape[i]!);
  return [{ shape: [dims.length], data: Float64Array.from(dims), dtype: 'int' }];
}

function foldGather({ x, inputs, a, reserve }: FoldArgs): ConstValue[] {
  const idx = inputs[1]!;
  const axis = normAxis(num(a.axis, 0), x.shape.length);
  const dim = x.shape[axis]!;
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const strides = stridesOf(x.shape);
  const idxStrides = stridesOf(idx.shape);
  return [
    gatherElements(
      x,
      shape,
      (index) => {
        const j = idx.data[flatIndex(index.slice(axis, axis + idx.shape.length), idxStrides)]!;
        const at = j < 0 ? j + dim : j;
        if (!(at >= 0 && at < dim)) throw new FoldError(`Gather index ${j} is out of range for a dim of ${dim}`);
        const src = [...index.slice(0, axis), at, ...index.slice(axis + idx.shape.length)];
        return flatIndex(src, strides);
      },
      reserve,
    ),
  ];
}

function foldUnsqueeze({ x, inputs, node }: FoldArgs): ConstValue[] {
  const axesIn = axesOf(node, inputs[1]) ?? [];
  const rank = x.shape.length + axesIn.length;
  const axes = new Set(axesIn.map((v) => normAxis(v, rank)));
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : x.shape[k++]!);
  return [{ ...x, shape }];
}

function foldSqueeze({ x, inputs, node }: FoldArgs): ConstValue[] {
  const axesIn = axesOf(node, inputs[1]);
  const axes = axesIn ? new Set(axesIn.map((v) => normAxis(v, x.shape.length))) : null;
  return [{ ...x, shape: x.shape.filter((d, i) => (axes ? !axes.has(i) : d !== 1)) }];
}

function foldFlatten({ x, a }: FoldArgs): ConstValue[] {
  const axis = normAxis(num(a.axis, 1), x.shape.length + 1);
  return [{ ...x, shape: [count(x.shape.slice(0, axis)), count(x.shape.slice(axis))] }];
}

function foldConcat({ x, inputs, a, reserve }: FoldArgs): ConstValue[] {
  const parts = inputs.filter((t): t is ConstValue => !!t);
  const axis = normAxis(num(a.axis, 0), x.shape.length);
  const shape = [...x.shape];
  shape[axis] = parts.reduce((s, t) => s + t.shape[axis]!, 0);
  reserve(shape, 8);
  const n = count(shape);
  const data = parts.every((t) => t.data instanceof Float32Array) ? new Float32Array(n) : new Float64Array(n);
  const batch = parts.some((t) => t.batch) ? new Uint8Array(n) : undefined;
  const outer = count(shape.slice(0, axis));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of parts) {
      const len = count(t.shape.slice(axis));
      for (let i = 0; i < len; i++, at++) {
        data[at] = t.data[o * len + i]!;
        if (batch && t.batch) batch[at] = t.batch[o * len + i]!;
      }
    }
  }
  return [{ shape, data, dtype: x.dtype, batch }];
}

function foldSlice({ x, inputs, node, reserve }: FoldArgs): ConstValue[] {
  const ranges = sliceIndices(node, x.shape, inputs);
  const strides = stridesOf(x.shape);
  return [
    gatherElements(
      x,
      ranges.map((r) => r.length),
      (index) => index.reduce((s, v, d) => s + ranges[d]![v]! * strides[d]!, 0),
      reserve,
    ),
  ];
}

function foldTranspose({ x, a, reserve }: FoldArgs): ConstValue[] {
  return [transpose(x, optionalInts(a.perm) ?? x.shape.map((_, i) => x.shape.length - 1 - i), reserve)];
}

function foldReshape({ x, inputs, a }: FoldArgs): ConstValue[] {
  const target = optionalInts(a.shape) ?? listOf(inputs[1]) ?? [];
  noBatch(inputs.slice(1), 'Reshape');
  return [{ ...x, shape: resolveReshape(x.shape, target, num(a.allowzero, 0) === 1) }];
}

function foldExpand({ x, inputs, reserve }: FoldArgs): ConstValue[] {
  const target = listOf(inputs[1]) ?? [];
  noBatch(inputs.slice(1), 'Expand');
  return [broadcastTo(x, broadcastShape(x.shape, target), reserve)];
}

export const VIEW_OPS: Record<string, OnnxOp> = {
  Flatten: { build: flatten, fold: foldFlatten },
  Reshape: { build: reshape, fold: foldReshape },
  Squeeze: { build: squeeze, fold: foldSqueeze },
  Unsqueeze: { build: squeeze, fold: foldUnsqueeze },
  Transpose: { build: transposeAct, fold: foldTranspose },
  Slice: { build: (s, node) => s.define(node, slice(s, node)), fold: foldSlice },
  Split: { build: split },
  Concat: { build: concat, fold: foldConcat },
  Gather: { build: (s, node) => s.define(node, gather(s, node)), fold: foldGather },
  Expand: { build: (s, node) => s.define(node, expand(s, node)), fold: foldExpand },
  Shape: { build: shapeOf, fold: foldShape },
};
