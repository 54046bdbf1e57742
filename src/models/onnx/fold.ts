/**
 * Constant folding: ONNX nodes whose inputs are all constants are evaluated in plain TypeScript
 * (each by its op table entry's `fold`, ops/*.ts, with the pieces here), so the shape plumbing
 * exporters emit around Reshape (Shape → Gather → Unsqueeze → Concat) and the arithmetic on
 * initializers disappear before import. `Shape` of an activation
 * is static except its batch entry, which is kept as a symbol (the `batch` mask): it may move
 * through Gather / Concat / Unsqueeze / Slice / …, and Reshape reads it as "keep the batch
 * axis"; arithmetic on it is refused.
 */
import type { OnnxAttribute, OnnxNode } from './ir.js';
import type { OnnxDtype, OnnxTensor } from './tensor.js';

/** A folded value: a tensor whose elements flagged in `batch` stand for the symbolic batch size. */
export interface ConstValue extends OnnxTensor {
  batch?: Uint8Array;
}

export class FoldError extends Error {}

/** What an op's fold (its table entry's `fold`) evaluates: input 0, all inputs (undefined where omitted), the attributes. */
export interface FoldArgs {
  x: ConstValue;
  inputs: (ConstValue | undefined)[];
  a: Record<string, OnnxAttribute>;
  node: OnnxNode;
  opset: number;
  reserve: Reserve;
}

/** Counts a tensor about to be allocated against the load-time limit (throws where it is over). */
export type Reserve = (shape: readonly number[], bytesPerElement: number) => void;
export const unlimited: Reserve = () => {};

export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** An axis in [-rank, rank) as 0-based. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new FoldError(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A tensor whose element at each output index is `src`'s element at `from(outIndex)` (data and batch flags move together). */
export function gatherElements(
  src: ConstValue,
  shape: number[],
  from: (index: number[]) => number,
  reserve: Reserve,
): ConstValue {
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

export const flatIndex = (index: readonly number[], strides: readonly number[]): number =>
  index.reduce((a, v, d) => a + v * strides[d]!, 0);

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new FoldError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    return x === 1 ? y : x;
  });
}

/** `t` broadcast to `shape` (NumPy rules). */
export function broadcastTo(t: ConstValue, shape: number[], reserve = unlimited): ConstValue {
  const offset = shape.length - t.shape.length;
  const strides = stridesOf(t.shape);
  return gatherElements(
    t,
    shape,
    (index) => t.shape.reduce((a, d, k) => a + (d === 1 ? 0 : index[k + offset]!) * strides[k]!, 0),
    reserve,
  );
}

export function noBatch(values: (ConstValue | undefined)[], op: string): void {
  if (values.some((v) => v?.batch?.some((b) => b)))
    throw new FoldError(`${op} computes with the batch size, which is not known at import`);
}

export function elementwise(
  inputs: ConstValue[],
  op: string,
  f: (...v: number[]) => number,
  dtype: OnnxDtype | undefined,
  reserve: Reserve,
): ConstValue {
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

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
export const optionalInts = (v: OnnxAttribute | undefined): number[] | undefined =>
  Array.isArray(v) ? v : typeof v === 'number' ? [v] : undefined;
/** An optional int-list input (`Unsqueeze` axes, `Slice` starts, …) as plain numbers. */
export const listOf = (t: ConstValue | undefined): number[] | undefined => (t ? Array.from(t.data) : undefined);

/** Axes from the attribute (older opsets) or the input (newer ones). */
export function axesOf(node: OnnxNode, input: ConstValue | undefined): number[] | undefined {
  return optionalInts(node.attributes.axes) ?? listOf(input);
}

export function transpose(t: ConstValue, perm: number[], reserve: Reserve): ConstValue {
  const strides = stridesOf(t.shape);
  const shape = perm.map((p) => t.shape[p]!);
  return gatherElements(t, shape, (index) => index.reduce((a, v, d) => a + v * strides[perm[d]!]!, 0), reserve);
}

/** ONNX Reshape's target: 0 copies the input's dim (unless allowzero), -1 is inferred. */
export function resolveReshape(inShape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const shape = target.map((d, i) => (d === 0 && !allowZero ? (inShape[i] ?? 0) : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1) throw new FoldError(`reshape target [${target.join(', ')}] has more than one -1`);
  const total = count(inShape);
  if (unknown === 1) {
    if (known === 0 || total % known !== 0)
      throw new FoldError(`cannot reshape [${inShape.join(', ')}] to [${target.join(', ')}]`);
    return shape.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total)
    throw new FoldError(`cannot reshape [${inShape.join(', ')}] (${total} values) to [${target.join(', ')}]`);
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
  const starts = optionalInts(a.starts) ?? listOf(inputs[1]) ?? [];
  const ends = optionalInts(a.ends) ?? listOf(inputs[2]) ?? [];
  const axes = (optionalInts(a.axes) ?? listOf(inputs[3]) ?? starts.map((_, i) => i)).map((x) =>
    normAxis(x, shape.length),
  );
  const steps = listOf(inputs[4]) ?? starts.map(() => 1);
  if (steps.some((s) => s === 0)) throw new FoldError('Slice step 0');
  const ranges = shape.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((ax, k) => (ranges[ax] = sliceRange(shape[ax]!, starts[k]!, ends[k]!, steps[k]!)));
  return ranges;
}
