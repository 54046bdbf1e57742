/**
 * What the ONNX importer keeps while it walks the graph: the graph being built, ONNX values as
 * activations (a graph node plus the ONNX shape per row, which may be a pending view or pad) or
 * folded constants, per-row shapes, the batch-axis convention of the mode, and naming and
 * errors. The op table's entries (ops/*.ts) build on it; import.ts walks the graph with it.
 */
import { GraphBuilder, nodeInputs } from '../../nn/graph.js';
import { GraphShapeError, inferShapes } from '../../nn/shapes.js';
import type { OnnxAttribute, OnnxModel, OnnxNode } from './ir.js';
import { asFloat32, OnnxError, type OnnxTensor } from './tensor.js';
import { normAxis, type ConstValue, type FoldArgs } from './fold.js';
import type { ParamValues } from '../fuse.js';
import { ModelBytes, ModelBytesError } from '../model-bytes.js';
import { checkWeightRanges } from '../weight-range.js';

export type OnnxImportMode = 'batch' | 'whole';

/** A graph that reads across ONNX axis 0: retried in whole-tensor mode. */
export class BatchAxisError extends OnnxError {}

export const ints = (v: OnnxAttribute | undefined, fallback: number[]): number[] =>
  Array.isArray(v) ? v : typeof v === 'number' ? [v] : fallback;
export const num = (v: OnnxAttribute | undefined, fallback: number): number => (typeof v === 'number' ? v : fallback);
export const str = (v: OnnxAttribute | undefined, fallback: string): string => (typeof v === 'string' ? v : fallback);
export const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
export const INT_BIG = 2 ** 31; // Slice ends at or past this mean "to the end"

/** An activation: its graph node and its ONNX shape per row (the node's own shape may differ: a pending view). */
export interface Act {
  node: number;
  shape: number[];
  /** a Pad not yet built: folded into a following Conv / pool, or built when something else reads it */
  pad?: { from: Act; pads: number[]; value: number; where: string };
}

export type Binary = 'add' | 'sub' | 'mul' | 'div';

/**
 * One ONNX op's table entry (ops/*.ts): `build` maps it onto graph nodes where an input is an
 * activation (reading its attributes and constant inputs from the node); `fold` evaluates it where
 * all its inputs are constants. An op without `build` is only folded; one without either is
 * decoded away (Constant).
 */
export interface OnnxOp {
  build?: (s: ImportState, node: OnnxNode) => void;
  fold?: (args: FoldArgs) => ConstValue[];
}

export class ImportState {
  readonly g = new GraphBuilder();
  readonly params: ParamValues = new Map();
  readonly acts = new Map<string, Act>();
  readonly consts = new Map<string, ConstValue>();
  readonly notes: string[] = [];
  /** graph node index → the ONNX node it came from, for shape errors */
  readonly origin: string[] = ['the graph input'];
  readonly views = new Map<string, number>();
  shapeCache: number[][] = [];
  /** how many nodes (and graph outputs) read each ONNX value */
  readonly uses = new Map<string, number>();
  /** ONNX index outputs (MaxPool's Indices) → the values per row that ONNX's flattened index steps by per image */
  readonly indexStrides = new Map<string, number>();
  where = '';
  inputShape: number[] = [];
  /** the graph input holds integers: integer division would need truncation, which float32 kernels do not do */
  integerInput = false;
  /** the graph's first output, and whether a final Softmax / LogSoftmax computing it is kept (else dropped) */
  finalOutput = '';
  keepFinalSoftmax = false;
  /** the graph input's batch size is declared 1 (a static-batch export): a reshape to [1, …] keeps the batch axis */
  staticBatch1 = false;
  /** the load-time limit: the initializers count first, then every folded constant and parameter made here */
  readonly bytes: ModelBytes;

  constructor(
    readonly model: OnnxModel,
    readonly source: string,
    readonly mode: OnnxImportMode,
    maxModelBytes?: number,
  ) {
    this.bytes = new ModelBytes(maxModelBytes);
    for (const [name, t] of model.initializers) {
      this.where = `initializer "${name}"`;
      this.reserve(t.shape, t.data.BYTES_PER_ELEMENT);
      this.consts.set(name, t);
    }
    this.where = '';
    for (const n of model.nodes) for (const i of n.inputs) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of model.outputs) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
  }

  /** Every node must feed an output: the model computes all of them. */
  checkNoDeadNodes(outputs: number[]): void {
    const live = new Set(outputs);
    for (let i = this.g.nodes.length - 1; i >= 1; i--)
      if (live.has(i)) for (const j of nodeInputs(this.g.nodes[i]!)) live.add(j);
    const dead = this.g.nodes.findIndex((_, i) => i > 0 && !live.has(i));
    if (dead > 0)
      this.fail(
        `${this.origin[dead] ?? 'a node'} computes a value no graph output uses; dead branches are not supported`,
      );
  }

  /** Per-row shapes of every graph node built so far (incremental; errors name the ONNX node). */
  shapes(): number[][] {
    if (this.shapeCache.length === this.g.nodes.length) return this.shapeCache;
    try {
      this.shapeCache = inferShapes(this.g.nodes, this.g.paramShapes, this.inputShape);
    } catch (e) {
      const message =
        e instanceof GraphShapeError ? `${this.origin[e.node] ?? this.where}: ${e.message}` : (e as Error).message;
      if (this.mode === 'whole' && /needs a \[C, L\] or \[C, H, W\]|\[C, H, W\]/.test(message))
        this.fail(`${message} (a conv / pool / batch norm needs the batch axis)`);
      return this.fail(message);
    }
    return this.shapeCache;
  }

  act(node: OnnxNode, i: number): Act {
    const name = node.inputs[i] ?? '';
    const a = this.acts.get(name);
    if (!a)
      this.fail(
        `${this.where}: input ${i} ("${name}") is ${this.consts.has(name) ? 'a constant, where an activation is expected' : 'not an activation of the graph input'}`,
      );
    return a;
  }

  constant(node: OnnxNode, i: number, what = 'a constant'): ConstValue {
    const name = node.inputs[i] ?? '';
    const t = this.consts.get(name);
    if (!t)
      this.fail(
        `${this.where}: input ${i} ("${name}") must be ${what}${this.acts.has(name) ? ', not an activation' : ''}`,
      );
    return t;
  }

  optionalConstant(node: OnnxNode, i: number): ConstValue | undefined {
    return node.inputs[i] ? this.constant(node, i) : undefined;
  }

  onnxRank(a: Act): number {
    return this.mode === 'batch' ? a.shape.length + 1 : a.shape.length;
  }

  /** An ONNX axis of `a` as its per-row axis; axis 0 in batch mode reads across images. */
  rowAxis(axis: number, a: Act, what: string): number {
    const onnx = this.normalize(axis, this.onnxRank(a), what);
    if (this.mode === 'whole') return onnx;
    if (onnx === 0) this.batchAxis(`${this.where}: ${what} ${axis} is the batch axis`);
    return onnx - 1;
  }

  normalize(axis: number, rank: number, what: string): number {
    try {
      return normAxis(axis, rank, what);
    } catch (e) {
      return this.fail(`${this.where}: ${(e as Error).message}`);
    }
  }

  /** The graph node holding `a` with exactly its ONNX shape (building a pending pad or view). */
  node(a: Act): number {
    if (a.pad) {
      const { from, pads, value, where } = a.pad;
      const idx = this.g.pad(this.uniqueName(where.replace(/^node "(.*)" \(.*$/, '$1')), this.node(from), pads, value);
      delete a.pad;
      a.node = idx;
      return idx;
    }
    const have = this.shapes()[a.node]!;
    if (same(have, a.shape)) return a.node;
    const key = `${a.node}:${a.shape.join(',')}`;
    const cached = this.views.get(key);
    if (cached !== undefined) return cached;
    const name = this.uniqueName(`${this.g.nodes[a.node]!.name}_view`);
    const idx = a.shape.length === 1 ? this.g.flatten(name, a.node) : this.g.reshape(name, a.node, [...a.shape]);
    this.views.set(key, idx);
    return idx;
  }

  define(node: OnnxNode, a: Act | number, k = 0): void {
    const act = typeof a === 'number' ? { node: a, shape: this.shapes()[a]! } : a;
    this.guard(() => this.bytes.checkActivation(act.shape), this.where);
    this.acts.set(node.outputs[k]!, act);
  }

  scalar(t: ConstValue, what: string): number {
    if (t.data.length !== 1) this.fail(`${this.where}: ${what} has shape [${t.shape.join(', ')}], expected a scalar`);
    return t.data[0]!;
  }

  /** A constant's shape per row, broadcast against an activation of `rank` ONNX axes. */
  constRowShape(shape: readonly number[], x: Act, what: string): number[] {
    const rank = this.onnxRank(x);
    if (this.mode === 'whole') return [...shape];
    if (shape.length < rank) return [...shape];
    if (shape.length === rank && shape[0] === 1) return shape.slice(1);
    return this.batchAxis(
      `${this.where}: ${what} of shape [${shape.join(', ')}] broadcasts over the batch axis of [N, ${x.shape.join(', ')}]`,
    );
  }

  setParam(name: string, t: OnnxTensor, shape: number[]): void {
    if (t.data.length !== count(shape))
      this.fail(`${this.where}: '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    this.params.set(name, { shape, data: asFloat32(t, `'${name}'`, this.source) });
    this.g.paramShapes.set(name, shape);
  }

  needsBatchAxis(x: Act): void {
    if (this.mode === 'whole')
      this.fail(`${this.where}: works per image and needs the batch axis, but the graph is in whole-tensor mode`);
    if (x.shape.length < 2 || x.shape.length > 3) {
      this.fail(
        `${this.where}: input has shape [N, ${x.shape.join(', ')}]; ${x.shape.length === 4 ? '3-D convolution / pooling / batch norm is not supported' : 'expected [N, C, L] or [N, C, H, W]'}`,
      );
    }
  }

  nameOf(a: Act): string {
    for (const [name, v] of this.acts) if (v === a) return name;
    return '';
  }

  /** `layer1.0.conv1.weight` → `layer1.0.conv1` (PyTorch exports keep the module names); else the node name. */
  baseName(initializer: string, nodeName: string): string {
    return initializer.endsWith('.weight') ? initializer.slice(0, -'.weight'.length) : nodeName;
  }

  uniqueName(base: string): string {
    const taken = (s: string) =>
      this.g.nodes.some((n) => n.name === s) || [...this.g.paramShapes.keys()].some((k) => k.startsWith(`${s}.`));
    let name = base || 'node';
    for (let k = 1; taken(name); k++) name = `${base}_${k}`;
    return name;
  }

  /** A parameter beyond float32's range (a float32 fold that overflowed, a stored ±Inf) or NaN is refused; one near the limit is noted. */
  checkWeightRange(): void {
    checkWeightRanges(this.params, this.notes, (m) => this.fail(m));
  }

  /** Count a constant tensor of `shape` against maxModelBytes before allocating it. */
  reserve(shape: readonly number[], bytesPerElement: number): void {
    this.guard(() => this.bytes.reserve(shape, bytesPerElement), this.where);
  }

  /** Runs `check`, a refusal by the load-time limit becoming this file's error naming `where`. */
  guard(check: () => void, where: string): void {
    try {
      check();
    } catch (e) {
      if (e instanceof ModelBytesError) this.fail(`${where || 'the model'}: ${e.message}`);
      throw e;
    }
  }

  batchAxis(message: string): never {
    throw new BatchAxisError(this.source, `${message}: it mixes images along the batch axis`);
  }

  fail(message: string): never {
    throw new OnnxError(this.source, message);
  }
}

export function transpose2d(t: OnnxTensor): OnnxTensor {
  const [r, c] = t.shape as [number, number];
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data, dtype: t.dtype };
}
