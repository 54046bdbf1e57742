/**
 * Constant folding: ONNX nodes whose inputs are all constants are evaluated here, in plain
 * TypeScript, so the shape plumbing exporters emit around Reshape (Shape → Gather → Unsqueeze →
 * Concat) and the arithmetic on initializers disappear before import. `Shape` of an activation
 * is static except its batch entry, which is kept as a symbol (the `batch` mask): it may move
 * through Gather / Concat / Unsqueeze / Slice / …, and Reshape reads it as "keep the batch
 * axis"; arithmetic on it is refused.
 */
import type { OnnxAttribute, OnnxNode } from './decode.js';
import type { OnnxDtype, OnnxTensor } from './tensor.js';

/** A folded value: a tensor whose elements flagged in `batch` stand for the symbolic batch size. */
export interface ConstValue extends OnnxTensor {
  batch?: Uint8Array;
}

export class FoldError extends Error {}

/** Counts a tensor about to be allocated against the load-time limit (throws where it is over). */
export type Reserve = (shape: readonly number[], bytesPerElement: number) => void;
const unlimited: Reserve = () => {};

export const FOLDABLE_OPS: ReadonlySet<string> = new Set([
  'Identity', 'Cast', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Transpose', 'Reshape', 'Flatten',
  'ConstantOfShape', 'Range', 'Equal', 'Where', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Sqrt', 'Pow', 'Expand', 'Dropout',
]);

const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** An axis in [-rank, rank) as 0-based. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new FoldError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A tensor whose element at each output index is `src`'s element at `from(outIndex)` (data and batch flags move together). */
function gatherElements(src: ConstValue, shape: number[], from: (index: number[]) => number, reserve: Reserve): ConstValue {
  reserve(shape, src.data.BYTES_PER_ELEMENT + (src.batch ? 1 : 0));
  const n = count(shape);
  const data = src.data instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  const batch = src.batch ? new Uint8Array(n) : undefined;
  const strides = stridesOf(shape);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let d = 0; d < shape.length; d++) {
      index[d] = Math.floor(r / strides[d]!);
      r -= index[d]! * strides[d]!;
    }
    const j = from(index);
    data[i] = src.data[j]!;
    if (batch) batch[i] = src.batch![j]!;
  }
  return { shape, data, dtype: src.dtype, batch };
}

const flatIndex = (index: readonly number[], strides: readonly number[]): number => index.reduce((a, v, d) => a + v * strides[d]!, 0);

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new FoldError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/** `t` broadcast to `shape` (NumPy rules). */
export function broadcastTo(t: ConstValue, shape: number[], reserve = unlimited): ConstValue {
  const offset = shape.length - t.shape.length;
  const strides = stridesOf(t.shape);
  return gatherElements(t, shape, (index) => t.shape.reduce((a, d, k) => a + (d === 1 ? 0 : index[k + offset]!) * strides[k]!, 0), reserve);
}

function noBatch(values: (ConstValue | undefined)[], op: string): void {
  if (values.some((v) => v?.batch?.some((b) => b))) throw new FoldError(`${op} computes with the batch size, which is not known at import`);
}

function elementwise(inputs: ConstValue[], op: string, f: (...v: number[]) => number, dtype: OnnxDtype | undefined, reserve: Reserve): ConstValue {
  noBatch(inputs, op);
  const shape = inputs.map((t) => t.shape).reduce(broadcastShape);
  const outType = dtype ?? inputs[inputs.length - 1]!.dtype;
  const float32 = outType === 'float' && inputs.every((t) => t.data instanceof Float32Array);
  reserve(shape, float32 ? 4 : 8);
  const full = inputs.map((t) => (same(t.shape, shape) ? t.data : broadcastTo(t, shape, reserve).data));
  const n = count(shape);
  const data = float32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = f(...full.map((d) => d[i]!));
  return { shape, data, dtype: outType };
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const ints = (v: OnnxAttribute | undefined): number[] | undefined => (Array.isArray(v) ? v : typeof v === 'number' ? [v] : undefined);
const num = (v: OnnxAttribute | undefined, fallback: number): number => (typeof v === 'number' ? v : fallback);
/** An optional int-list input (`Unsqueeze` axes, `Slice` starts, …) as plain numbers. */
const listOf = (t: ConstValue | undefined): number[] | undefined => (t ? Array.from(t.data) : undefined);

/** Axes from the attribute (older opsets) or the input (newer ones). */
function axesOf(node: OnnxNode, input: ConstValue | undefined): number[] | undefined {
  return ints(node.attributes.axes) ?? listOf(input);
}

function transpose(t: ConstValue, perm: number[], reserve: Reserve): ConstValue {
  const strides = stridesOf(t.shape);
  const shape = perm.map((p) => t.shape[p]!);
  return gatherElements(t, shape, (index) => index.reduce((a, v, d) => a + v * strides[perm[d]!]!, 0), reserve);
}

/** ONNX Reshape's target: 0 copies the input's dim (unless allowzero), -1 is inferred. */
export function resolveReshape(inShape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const shape = target.map((d, i) => (d === 0 && !allowZero ? inShape[i] ?? 0 : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new FoldError(`reshape target [${target.join(', ')}] has more than one -1`);
  const total = count(inShape);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0) throw new FoldError(`cannot reshape [${inShape.join(', ')}] to [${target.join(', ')}]`);
    return shape.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) throw new FoldError(`cannot reshape [${inShape.join(', ')}] (${total} values) to [${target.join(', ')}]`);
  return shape;
}

/** Slice bounds (ONNX clamping rules) for one axis of size `dim`, step 1 or more / less. */
export function sliceRange(dim: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  const out: number[] = [];
  if (step > 0) for (let i = clamp(s, 0, dim); i < clamp(e, 0, dim); i += step) out.push(i);
  else for (let i = clamp(s, -1, dim - 1); i > clamp(e, -1, dim - 1); i += step) out.push(i);
  return out;
}

/** Per-axis index lists of an ONNX Slice (attributes before opset 10, inputs after). */
export function sliceIndices(node: OnnxNode, shape: readonly number[], inputs: (ConstValue | undefined)[]): number[][] {
  const a = node.attributes;
  const starts = ints(a.starts) ?? listOf(inputs[1]) ?? [];
  const ends = ints(a.ends) ?? listOf(inputs[2]) ?? [];
  const axes = (ints(a.axes) ?? listOf(inputs[3]) ?? starts.map((_, i) => i)).map((x) => normAxis(x, shape.length));
  const steps = listOf(inputs[4]) ?? starts.map(() => 1);
  if (steps.some((s) => s === 0)) throw new FoldError('Slice step 0');
  const ranges = shape.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((ax, k) => (ranges[ax] = sliceRange(shape[ax]!, starts[k]!, ends[k]!, steps[k]!)));
  return ranges;
}

const CAST_TYPES: Record<number, OnnxDtype> = { 1: 'float', 10: 'float', 11: 'float', 9: 'bool', 2: 'int', 3: 'int', 4: 'int', 5: 'int', 6: 'int', 7: 'int', 12: 'int', 13: 'int' };

/**
 * Evaluate one node on constant inputs (undefined for an omitted optional input). Returns its
 * outputs, or throws FoldError naming the problem.
 */
export function foldNode(node: OnnxNode, inputs: (ConstValue | undefined)[], opset: number, reserve = unlimited): ConstValue[] {
  const a = node.attributes;
  const x = inputs[0]!;
  switch (node.opType) {
    case 'Identity':
    case 'Dropout':
      return [x];
    case 'Cast': {
      const to = CAST_TYPES[num(a.to, 1)];
      if (!to) throw new FoldError(`Cast to type ${String(a.to)} is not supported`);
      const f = to === 'bool' ? (v: number) => (v !== 0 ? 1 : 0) : to === 'int' ? Math.trunc : Math.fround;
      if (to !== 'int') noBatch([x], 'Cast');
      reserve(x.shape, to === 'float' ? 4 : 8);
      return [{ shape: x.shape, data: to === 'float' ? Float32Array.from(x.data, f) : Float64Array.from(x.data, f), dtype: to, batch: x.batch }];
    }
    case 'Shape': {
      const rank = x.shape.length;
      const start = num(a.start, 0);
      const end = num(a.end, rank);
      const dims = sliceRange(rank, start, end, 1).map((i) => x.shape[i]!);
      return [{ shape: [dims.length], data: Float64Array.from(dims), dtype: 'int' }];
    }
    case 'Gather': {
      const idx = inputs[1]!;
      const axis = normAxis(num(a.axis, 0), x.shape.length);
      const dim = x.shape[axis]!;
      const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
      const strides = stridesOf(x.shape);
      const idxStrides = stridesOf(idx.shape);
      return [gatherElements(x, shape, (index) => {
        const j = idx.data[flatIndex(index.slice(axis, axis + idx.shape.length), idxStrides)]!;
        const at = j < 0 ? j + dim : j;
        if (!(at >= 0 && at < dim)) throw new FoldError(`Gather index ${j} is out of range for a dim of ${dim}`);
        const src = [...index.slice(0, axis), at, ...index.slice(axis + idx.shape.length)];
        return flatIndex(src, strides);
      }, reserve)];
    }
    case 'Unsqueeze': {
      const axesIn = axesOf(node, inputs[1]) ?? [];
      const rank = x.shape.length + axesIn.length;
      const axes = new Set(axesIn.map((v) => normAxis(v, rank)));
      const shape: number[] = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : x.shape[k++]!);
      return [{ ...x, shape }];
    }
    case 'Squeeze': {
      const axesIn = axesOf(node, inputs[1]);
      const axes = axesIn ? new Set(axesIn.map((v) => normAxis(v, x.shape.length))) : null;
      return [{ ...x, shape: x.shape.filter((d, i) => (axes ? !axes.has(i) : d !== 1)) }];
    }
    case 'Flatten': {
      const axis = normAxis(num(a.axis, 1), x.shape.length + 1);
      return [{ ...x, shape: [count(x.shape.slice(0, axis)), count(x.shape.slice(axis))] }];
    }
    case 'Concat': {
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
    case 'Slice': {
      const ranges = sliceIndices(node, x.shape, inputs);
      const strides = stridesOf(x.shape);
      return [gatherElements(x, ranges.map((r) => r.length), (index) => index.reduce((s, v, d) => s + ranges[d]![v]! * strides[d]!, 0), reserve)];
    }
    case 'Transpose':
      return [transpose(x, ints(a.perm) ?? x.shape.map((_, i) => x.shape.length - 1 - i), reserve)];
    case 'Reshape': {
      const target = ints(a.shape) ?? listOf(inputs[1]) ?? [];
      noBatch(inputs.slice(1), 'Reshape');
      return [{ ...x, shape: resolveReshape(x.shape, target, num(a.allowzero, 0) === 1) }];
    }
    case 'Expand': {
      const target = listOf(inputs[1]) ?? [];
      noBatch(inputs.slice(1), 'Expand');
      return [broadcastTo(x, broadcastShape(x.shape, target), reserve)];
    }
    case 'ConstantOfShape': {
      noBatch([x], 'ConstantOfShape');
      const value = a.value as OnnxTensor | undefined;
      const shape = Array.from(x.data);
      const fill = value ? value.data[0]! : 0;
      reserve(shape, value && value.dtype !== 'float' ? 8 : 4);
      const n = count(shape);
      return [{ shape, data: value && value.dtype !== 'float' ? new Float64Array(n).fill(fill) : new Float32Array(n).fill(fill), dtype: value?.dtype ?? 'float' }];
    }
    case 'Range': {
      noBatch(inputs, 'Range');
      const [start, limit, delta] = inputs.map((t) => t!.data[0]!) as [number, number, number];
      if (![start, limit, delta].every(Number.isFinite) || delta === 0) throw new FoldError(`Range(${start}, ${limit}, ${delta}) needs a finite start and limit and a finite, non-zero delta`);
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      reserve([n], 8);
      const data = Float64Array.from({ length: n }, (_, i) => start + i * delta);
      return [{ shape: [n], data: x.dtype === 'float' ? Float32Array.from(data) : data, dtype: x.dtype }];
    }
    case 'Equal':
      return [elementwise(inputs.filter((t): t is ConstValue => !!t), 'Equal', (p, q) => (p === q ? 1 : 0), 'bool', reserve)];
    case 'Where': {
      noBatch([inputs[0]!], 'Where');
      return [elementwise([inputs[1]!, inputs[2]!, inputs[0]!], 'Where', (p, q, c) => (c ? p : q), inputs[1]!.dtype, reserve)];
    }
    case 'Neg':
      return [elementwise([x], 'Neg', (v) => -v, x.dtype, reserve)];
    case 'Sqrt':
      return [elementwise([x], 'Sqrt', Math.sqrt, x.dtype, reserve)];
    case 'Pow':
      return [elementwise(inputs.filter((t): t is ConstValue => !!t), 'Pow', (p, q) => p ** q, x.dtype, reserve)];
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      if (opset < 7 && num(a.broadcast, 0) === 1 && a.axis !== undefined) throw new FoldError(`legacy broadcast with axis ${String(a.axis)} is not supported`);
      const isInt = x.dtype !== 'float';
      const f = {
        Add: (p: number, q: number) => p + q,
        Sub: (p: number, q: number) => p - q,
        Mul: (p: number, q: number) => p * q,
        Div: (p: number, q: number) => (isInt ? Math.trunc(p / q) : p / q),
      }[node.opType];
      return [elementwise(inputs.filter((t): t is ConstValue => !!t), node.opType, f, x.dtype, reserve)];
    }
    default:
      throw new FoldError(`op ${node.opType} cannot be folded`);
  }
}
