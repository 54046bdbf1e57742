/**
 * ONNX IR (from `decodeOnnx`) → model graph + parameters. Nodes whose inputs are all constants
 * are folded first (onnx-fold.ts); every other ONNX op becomes graph nodes (Conv → conv2d,
 * Gemm/MatMul → linear, Mul → binary or constop, ...); `fuseModel` then folds BN into its conv
 * and fuses ReLU / residual adds into epilogues, exactly as for the zoo.
 *
 * The batch axis: by default ONNX axis 0 is pathlight's batch axis and nodes work per row (ONNX
 * axis a is per-row axis a − 1). A graph that computes across axis 0 (softmax over axis 0, a
 * reshape that changes dim 0, ...) is imported in whole-tensor mode instead: one pathlight row
 * is the whole ONNX tensor (a unit batch is added). `mode` and the notes say which was used.
 * Reshape / Squeeze / Unsqueeze / Flatten are views, materialised only where a consumer needs
 * the shape; a Pad is folded into the Conv / pool it feeds when that is exact.
 * A final Softmax / LogSoftmax is dropped (models are explained on logits) unless
 * `keepFinalSoftmax` (what `predict` uses). Environment-free: IR in, spec out.
 */
import { GraphBuilder, nodeInputs, type UnaryOp } from '../nn/graph.js';
import { GraphShapeError, inferShapes } from '../nn/shapes.js';
import { decodeOnnx, OnnxError, type OnnxAttribute, type OnnxDecodeOptions, type OnnxModel, type OnnxNode } from './onnx.js';
import { asFloat32, DT, dtypeName, type OnnxTensor } from './onnx-tensor.js';
import { FOLDABLE_OPS, FoldError, foldNode, normAxis, resolveReshape, sliceRange, type ConstValue } from './onnx-fold.js';
import { onnxWindow, planarWindow, WindowError, type PlanarWindow, type Window } from './onnx-geometry.js';
import { fuseModel, type ModelSpec, type ParamValues } from './fuse.js';

export type OnnxImportMode = 'batch' | 'whole';

export interface OnnxImport {
  /** the inference graph (BN folded, epilogues fused) */
  spec: ModelSpec;
  /** what the import changed that a user may want to know (e.g. a dropped final Softmax) */
  notes: string[];
  /** 'batch': ONNX axis 0 is the batch axis; 'whole': one row is the whole ONNX tensor (feed [1, ...onnxShape]) */
  mode: OnnxImportMode;
  /** the ONNX shape of the graph input and output (dim 0 is -1 where it is the batch) */
  onnxInputShape: number[];
  onnxOutputShape: number[];
  /** graph outputs after the first: their graph nodes and ONNX shapes (read from a recorded forward) */
  extraOutputs: { name: string; node: number; shape: number[] }[];
}

export interface OnnxImportOptions extends OnnxDecodeOptions {
  /** names the model in errors and in ModelInfo (default: 'onnx') */
  name?: string;
  classNames?: readonly string[];
  /** fold BN / fuse epilogues (default true; false keeps one node per ONNX op) */
  fuse?: boolean;
  /** keep a final Softmax / LogSoftmax as the model's last node (predict) instead of dropping it (explain) */
  keepFinalSoftmax?: boolean;
  /** force a mode instead of choosing it */
  mode?: OnnxImportMode;
}

/** Decode and import `.onnx` bytes; `source` (e.g. the file name) prefixes every error. */
export function importOnnxBytes(bytes: Uint8Array, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  // A Node Buffer makes protobufjs hand out Buffer views whose slice() shares memory, which the
  // tensor decoder does not expect; a plain Uint8Array copy avoids that.
  const plain = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
  return importOnnx(decodeOnnx(plain, source, options), source, options);
}

/** A graph that reads across ONNX axis 0: retried in whole-tensor mode. */
class BatchAxisError extends OnnxError {}

export function importOnnx(model: OnnxModel, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  if (options.mode) return new Importer(model, source, options.mode).run(options);
  try {
    return new Importer(model, source, 'batch').run(options);
  } catch (e) {
    if (!(e instanceof BatchAxisError)) throw e;
    try {
      const r = new Importer(model, source, 'whole').run(options);
      r.notes.push(`imported in whole-tensor mode: one row is the whole ONNX tensor [${r.onnxInputShape.join(', ')}] (${e.message.replace(/^ONNX [^:]*: /, '')})`);
      return r;
    } catch (whole) {
      if (whole instanceof OnnxError && !(whole instanceof BatchAxisError) && !/needs the batch axis|whole-tensor/.test(whole.message)) throw whole;
      throw e;
    }
  }
}

const ints = (v: OnnxAttribute | undefined, fallback: number[]): number[] => (Array.isArray(v) ? v : typeof v === 'number' ? [v] : fallback);
const num = (v: OnnxAttribute | undefined, fallback: number): number => (typeof v === 'number' ? v : fallback);
const str = (v: OnnxAttribute | undefined, fallback: string): string => (typeof v === 'string' ? v : fallback);
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const INT_BIG = 2 ** 31; // Slice ends at or past this mean "to the end"

/** An activation: its graph node and its ONNX shape per row (the node's own shape may differ: a pending view). */
interface Act {
  node: number;
  shape: number[];
  /** a Pad not yet built: folded into a following Conv / pool, or built when something else reads it */
  pad?: { from: Act; pads: number[]; value: number; where: string };
}

type Binary = 'add' | 'sub' | 'mul' | 'div';

class Importer {
  private readonly g = new GraphBuilder();
  private readonly params: ParamValues = new Map();
  private readonly acts = new Map<string, Act>();
  private readonly consts = new Map<string, ConstValue>();
  private readonly notes: string[] = [];
  /** graph node index → the ONNX node it came from, for shape errors */
  private readonly origin: string[] = ['the graph input'];
  private readonly views = new Map<string, number>();
  private shapeCache: number[][] = [];
  /** how many nodes (and graph outputs) read each ONNX value */
  private readonly uses = new Map<string, number>();
  private where = '';
  private inputShape: number[] = [];
  /** the graph input holds integers: integer division would need truncation, which float32 kernels do not do */
  private integerInput = false;

  constructor(
    private readonly model: OnnxModel,
    private readonly source: string,
    private readonly mode: OnnxImportMode,
  ) {
    for (const [name, t] of model.initializers) this.consts.set(name, t);
    for (const n of model.nodes) for (const i of n.inputs) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of model.outputs) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
  }

  run(options: OnnxImportOptions): OnnxImport {
    const m = this.model;
    if (m.inputs.length !== 1) {
      this.fail(m.inputs.length === 0 ? 'has no graph input (a constant graph)' : `has ${m.inputs.length} graph inputs (${m.inputs.map((i) => i.name).join(', ')}); exactly one activation input is supported (bind the others with constants)`);
    }
    const input = m.inputs[0]!;
    const batch = this.mode === 'batch';
    const rowShape = batch ? input.shape.slice(1) : input.shape;
    if (batch && input.shape.length < 2) this.batchAxis(`graph input "${input.name}" has shape [${input.shape.join(', ')}], with no axis after the batch axis`);
    if (rowShape.length === 0 || rowShape.some((d) => !(d > 0))) {
      this.fail(`graph input "${input.name}" has shape [${input.shape.join(', ')}]; ${batch ? 'the sizes after N must be fixed and positive' : 'whole-tensor mode needs every size fixed and positive'}`);
    }
    this.inputShape = rowShape;
    this.integerInput = ![DT.FLOAT, DT.DOUBLE, DT.FLOAT16].includes(input.elemType as 1);
    this.acts.set(input.name, { node: 0, shape: rowShape });

    const outputName = m.outputs[0]!.name;
    for (const node of m.nodes) {
      this.where = `node "${node.name}" (${node.opType})`;
      this.importNode(node, outputName, !!options.keepFinalSoftmax);
      while (this.origin.length < this.g.nodes.length) this.origin.push(this.where);
    }
    this.where = '';

    if (this.consts.has(outputName)) this.fail(`graph output "${outputName}" is a constant (it does not depend on the input)`);
    const outAct = this.acts.get(outputName);
    if (!outAct) this.fail(`graph output "${outputName}" is not computed from the graph input`);
    const extraOutputs = m.outputs.slice(1).map((o) => {
      if (this.consts.has(o.name)) this.fail(`graph output "${o.name}" is a constant (it does not depend on the input)`);
      const a = this.acts.get(o.name) ?? this.fail(`graph output "${o.name}" is not computed from the graph input`);
      return { name: o.name, node: this.node(a), shape: batch ? [-1, ...a.shape] : a.shape };
    });
    let out = this.node(outAct);
    // The first output is the model's (explained) output, the last node: an identity graph, or one
    // whose first output is not computed last, ends in a view of it.
    if (out === 0 || out !== this.g.nodes.length - 1) out = this.g.reshape(this.uniqueName(`${outputName}_output`), out, [...outAct.shape]);
    const last = this.g.nodes.length - 1;
    this.checkNoDeadNodes([last, ...extraOutputs.map((o) => o.node)]);

    const shapes = this.shapes();
    const outShape = shapes[last]!;
    const linears = this.g.nodes.map((n, i) => (n.kind === 'linear' ? i : -1)).filter((i) => i >= 0);
    const lastLinear = linears.length ? this.g.nodes[linears[linears.length - 1]!]! : null;
    const representationNode = lastLinear && lastLinear.kind === 'linear' ? lastLinear.input : last - 1;
    const info = { name: options.name ?? 'onnx', inputShape: rowShape, numClasses: count(outShape), representationNode, classNames: options.classNames };
    const spec: ModelSpec = { nodes: this.g.nodes.map((n) => ({ ...n })), params: this.params, info };
    // Fusing renumbers nodes: a graph with extra outputs keeps one node per op.
    return {
      spec: options.fuse === false || extraOutputs.length ? spec : fuseModel(spec),
      extraOutputs,
      notes: this.notes,
      mode: this.mode,
      onnxInputShape: batch ? [-1, ...rowShape] : rowShape,
      onnxOutputShape: batch ? [-1, ...outAct.shape] : outAct.shape,
    };
  }

  /** Every node must feed an output: the model computes all of them. */
  private checkNoDeadNodes(outputs: number[]): void {
    const live = new Set(outputs);
    for (let i = this.g.nodes.length - 1; i >= 1; i--) if (live.has(i)) for (const j of nodeInputs(this.g.nodes[i]!)) live.add(j);
    const dead = this.g.nodes.findIndex((_, i) => i > 0 && !live.has(i));
    if (dead > 0) this.fail(`${this.origin[dead] ?? 'a node'} computes a value no graph output uses; dead branches are not supported`);
  }

  /** Per-row shapes of every graph node built so far (incremental; errors name the ONNX node). */
  private shapes(): number[][] {
    if (this.shapeCache.length === this.g.nodes.length) return this.shapeCache;
    try {
      this.shapeCache = inferShapes(this.g.nodes, this.g.paramShapes, this.inputShape);
    } catch (e) {
      const message = e instanceof GraphShapeError ? `${this.origin[e.node] ?? this.where}: ${e.message}` : (e as Error).message;
      if (this.mode === 'whole' && /needs a \[C, L\] or \[C, H, W\]|\[C, H, W\]/.test(message)) this.fail(`${message} (a conv / pool / batch norm needs the batch axis)`);
      return this.fail(message);
    }
    return this.shapeCache;
  }

  // ---- values -----------------------------------------------------------------------------

  private act(node: OnnxNode, i: number): Act {
    const name = node.inputs[i] ?? '';
    const a = this.acts.get(name);
    if (!a) this.fail(`${this.where}: input ${i} ("${name}") is ${this.consts.has(name) ? 'a constant, where an activation is expected' : 'not an activation of the graph input'}`);
    return a;
  }

  private constant(node: OnnxNode, i: number, what = 'a constant'): ConstValue {
    const name = node.inputs[i] ?? '';
    const t = this.consts.get(name);
    if (!t) this.fail(`${this.where}: input ${i} ("${name}") must be ${what}${this.acts.has(name) ? ', not an activation' : ''}`);
    return t;
  }

  private optionalConstant(node: OnnxNode, i: number): ConstValue | undefined {
    return node.inputs[i] ? this.constant(node, i) : undefined;
  }

  private onnxRank(a: Act): number {
    return this.mode === 'batch' ? a.shape.length + 1 : a.shape.length;
  }

  /** An ONNX axis of `a` as its per-row axis; axis 0 in batch mode reads across images. */
  private rowAxis(axis: number, a: Act, what: string): number {
    const onnx = this.normalize(axis, this.onnxRank(a), what);
    if (this.mode === 'whole') return onnx;
    if (onnx === 0) this.batchAxis(`${this.where}: ${what} ${axis} is the batch axis`);
    return onnx - 1;
  }

  private normalize(axis: number, rank: number, what: string): number {
    try {
      return normAxis(axis, rank, what);
    } catch (e) {
      return this.fail(`${this.where}: ${(e as Error).message}`);
    }
  }

  /** The graph node holding `a` with exactly its ONNX shape (building a pending pad or view). */
  private node(a: Act): number {
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

  private define(node: OnnxNode, a: Act | number, k = 0): void {
    const act = typeof a === 'number' ? { node: a, shape: this.shapes()[a]! } : a;
    this.acts.set(node.outputs[k]!, act);
  }

  // ---- nodes ------------------------------------------------------------------------------

  private importNode(node: OnnxNode, outputName: string, keepSoftmax: boolean): void {
    const inputs = node.inputs.filter((i) => i !== '');
    if (FOLDABLE_OPS.has(node.opType) && inputs.every((i) => this.consts.has(i))) return this.fold(node);
    if (node.opType === 'Shape') return this.shapeOf(node);
    const a = node.attributes;
    const op = node.opType;
    switch (op) {
      case 'Identity':
        return this.define(node, this.act(node, 0));
      case 'Dropout':
        return this.dropout(node);
      case 'Relu':
        return this.define(node, this.g.relu(this.uniqueName(node.name), this.node(this.act(node, 0))));
      case 'Sigmoid':
      case 'Tanh':
      case 'HardSigmoid':
      case 'HardSwish':
      case 'LeakyRelu':
      case 'Elu':
      case 'Clip':
        return this.define(node, this.g.unary(this.uniqueName(node.name), this.node(this.act(node, 0)), this.unaryOp(node)));
      case 'PRelu':
        return this.prelu(node);
      case 'Add':
      case 'Sub':
      case 'Mul':
      case 'Div':
        if (op === 'Div' && this.integerInput) this.fail(`${this.where}: integer division (the graph input is ${dtypeName(this.model.inputs[0]!.elemType)}) is not supported: activations run in float32`);
        return this.define(node, this.binary(node, op.toLowerCase() as Binary));
      case 'Conv':
        return this.define(node, this.conv(node));
      case 'BatchNormalization':
        return this.define(node, this.batchNorm(node));
      case 'MaxPool':
      case 'AveragePool':
        return this.define(node, this.pool(node));
      case 'GlobalAveragePool': {
        const x = this.act(node, 0);
        this.needsBatchAxis(x);
        const idx = this.g.globalAvgPool(this.uniqueName(node.name), this.node(x));
        return this.define(node, { node: idx, shape: [x.shape[0]!, ...x.shape.slice(1).map(() => 1)] });
      }
      case 'Flatten':
        return this.flatten(node);
      case 'Reshape':
        return this.reshape(node);
      case 'Squeeze':
      case 'Unsqueeze':
        return this.squeeze(node);
      case 'Transpose': {
        const x = this.act(node, 0);
        const rank = this.onnxRank(x);
        const perm = ints(a.perm, Array.from({ length: rank }, (_, i) => rank - 1 - i));
        const rowPerm = this.mode === 'batch' ? (perm[0] === 0 ? perm.slice(1).map((p) => p - 1) : this.batchAxis(`${this.where}: perm [${perm.join(', ')}] moves the batch axis`)) : perm;
        if (rowPerm.every((p, i) => p === i)) return this.define(node, x);
        const idx = this.g.transpose(this.uniqueName(node.name), this.node(x), rowPerm);
        return this.define(node, idx);
      }
      case 'Slice':
        return this.define(node, this.slice(node));
      case 'Split':
        return this.split(node);
      case 'Concat': {
        if (node.inputs.some((n) => this.consts.has(n))) return this.define(node, this.concatWithConstants(node));
        const parts = node.inputs.map((_, i) => this.act(node, i));
        const axis = this.rowAxis(num(a.axis, op === 'Concat' && this.model.opset < 4 ? 1 : 0), parts[0]!, 'axis');
        if (parts.length === 1) return this.define(node, parts[0]!);
        return this.define(node, this.g.concat(this.uniqueName(node.name), parts.map((p) => this.node(p)), axis));
      }
      case 'ReduceMean':
        return this.reduceMean(node);
      case 'Softmax':
      case 'LogSoftmax':
        return this.softmax(node, node.outputs[0] === outputName && !keepSoftmax);
      case 'Gemm':
        return this.define(node, this.gemm(node));
      case 'MatMul':
        return this.define(node, this.matmul(node));
      case 'Pad':
        return this.pad(node);
      case 'Neg':
        return this.define(node, this.scaled(node, -1));
      case 'Expand':
        return this.define(node, this.expand(node));
      case 'Gather':
        return this.define(node, this.gather(node));
      case 'Cast': {
        // float32 is what runs: a cast to FLOAT or DOUBLE changes nothing; others would round or truncate.
        const to = num(a.to, 1);
        if (to !== 1 && to !== 11) this.fail(`${this.where}: a cast of an activation to type ${to} is not supported (only to FLOAT or DOUBLE)`);
        return this.define(node, this.act(node, 0));
      }
      default:
        this.fail(`${this.where}: op ${op} reads an activation; it is only folded where all its inputs are constants`);
    }
  }

  private fold(node: OnnxNode): void {
    try {
      const outs = foldNode(node, node.inputs.map((i) => (i === '' ? undefined : this.consts.get(i))), this.model.opset);
      outs.forEach((t, k) => node.outputs[k] && this.consts.set(node.outputs[k]!, t));
    } catch (e) {
      if (e instanceof FoldError) this.fail(`${this.where}: ${e.message}`);
      throw e;
    }
  }

  /** Shape of an activation: static, except the batch entry (a symbol) in batch mode. */
  private shapeOf(node: OnnxNode): void {
    const x = this.act(node, 0);
    const batch = this.mode === 'batch';
    const full = batch ? [1, ...x.shape] : x.shape;
    const mask = Uint8Array.from(full, (_, i) => (batch && i === 0 ? 1 : 0));
    const rank = full.length;
    const start = num(node.attributes.start, 0);
    const end = num(node.attributes.end, rank);
    const axes = sliceRange(rank, start, end, 1);
    this.consts.set(node.outputs[0]!, { shape: [axes.length], data: Float64Array.from(axes, (i) => full[i]!), dtype: 'int', batch: Uint8Array.from(axes, (i) => mask[i]!) });
  }

  private dropout(node: OnnxNode): void {
    const a = node.attributes;
    const ratio = node.inputs[1] ? this.constant(node, 1, 'a constant ratio').data[0]! : num(a.ratio, 0.5);
    const training = node.inputs[2] ? this.constant(node, 2, 'a constant training_mode').data[0]! : this.model.opset < 7 ? 1 - num(a.is_test, 0) : 0;
    if (training && ratio !== 0) this.fail(`${this.where}: training_mode is set with ratio ${ratio}; dropout is only imported at inference (export in eval mode)`);
    if (node.outputs[1] && this.uses.has(node.outputs[1])) this.fail(`${this.where}: its mask output "${node.outputs[1]}" is used, which is not supported`);
    this.define(node, this.act(node, 0));
  }

  private unaryOp(node: OnnxNode): UnaryOp {
    const a = node.attributes;
    switch (node.opType) {
      case 'Sigmoid':
        return { fn: 'sigmoid' };
      case 'Tanh':
        return { fn: 'tanh' };
      case 'HardSigmoid':
        return { fn: 'hardsigmoid', alpha: num(a.alpha, 0.2), beta: num(a.beta, 0.5) };
      case 'HardSwish':
        return { fn: 'hardswish' };
      case 'LeakyRelu':
        return { fn: 'leakyrelu', alpha: num(a.alpha, 0.01) };
      case 'Elu':
        return { fn: 'elu', alpha: num(a.alpha, 1) };
      default: {
        // Clip: bounds are attributes before opset 11, optional inputs after.
        const bound = (i: number, attr: string, fallback: number) =>
          this.model.opset < 11 ? num(a[attr], fallback) : node.inputs[i] ? this.scalar(this.constant(node, i, `a constant ${attr}`), attr) : fallback;
        const min = bound(1, 'min', -Infinity);
        const max = bound(2, 'max', Infinity);
        return { fn: 'clip', min, max };
      }
    }
  }

  private scalar(t: ConstValue, what: string): number {
    if (t.data.length !== 1) this.fail(`${this.where}: ${what} has shape [${t.shape.join(', ')}], expected a scalar`);
    return t.data[0]!;
  }

  /** A constant's shape per row, broadcast against an activation of `rank` ONNX axes. */
  private constRowShape(shape: readonly number[], x: Act, what: string): number[] {
    const rank = this.onnxRank(x);
    if (this.mode === 'whole') return [...shape];
    if (shape.length < rank) return [...shape];
    if (shape.length === rank && shape[0] === 1) return shape.slice(1);
    return this.batchAxis(`${this.where}: ${what} of shape [${shape.join(', ')}] broadcasts over the batch axis of [N, ${x.shape.join(', ')}]`);
  }

  private setParam(name: string, t: OnnxTensor, shape: number[]): void {
    if (t.data.length !== count(shape)) this.fail(`${this.where}: '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    this.params.set(name, { shape, data: asFloat32(t, `'${name}'`, this.source) });
    this.g.paramShapes.set(name, shape);
  }

  private prelu(node: OnnxNode): void {
    const x = this.act(node, 0);
    const slope = this.constant(node, 1, 'a constant slope');
    // Before opset 7 a [C] slope is per channel; since then it broadcasts like NumPy.
    const legacy = this.model.opset < 7 && slope.shape.length === 1 && this.onnxRank(x) > 2 ? [slope.shape[0]!, ...x.shape.slice(this.mode === 'batch' ? 1 : 2).map(() => 1)] : null;
    const shape = legacy ?? this.constRowShape(slope.shape, x, 'slope');
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.prelu(name, this.node(x), shape);
    this.setParam(`${name}.weight`, slope, shape);
    this.define(node, idx);
  }

  /** Add / Sub / Mul / Div: two activations, an activation and a constant, or the bias of a bias-free MatMul. */
  private binary(node: OnnxNode, op: Binary): number {
    const [an, bn] = node.inputs as [string, string];
    const aConst = this.consts.get(an);
    const bConst = this.consts.get(bn);
    if (!aConst && !bConst) {
      const a = this.act(node, 0);
      const b = this.act(node, 1);
      if (this.mode === 'batch' && a.shape.length !== b.shape.length) this.batchAxis(`${this.where}: inputs of ranks ${a.shape.length + 1} and ${b.shape.length + 1} broadcast the batch axis against another`);
      // Same-shape adds stay `add` nodes, which fuse into a conv's residual epilogue.
      if (op === 'add' && same(a.shape, b.shape)) return this.g.add(this.uniqueName(node.name), this.node(a), this.node(b));
      return this.g.binary(this.uniqueName(node.name), this.node(a), this.node(b), op);
    }
    const constantFirst = !!aConst;
    const x = this.act(node, constantFirst ? 1 : 0);
    let c = (aConst ?? bConst)!;
    const legacyAxis = this.model.opset < 7 && num(node.attributes.broadcast, 0) === 1 && node.attributes.axis !== undefined;
    if (legacyAxis) {
      // Opset < 7 broadcast: the constant's axes start at `axis` instead of being right-aligned.
      const rank = this.onnxRank(x);
      const axis = this.normalize(num(node.attributes.axis, 0), rank, 'axis');
      c = { ...c, shape: [...c.shape, ...new Array<number>(Math.max(0, rank - axis - c.shape.length)).fill(1)] };
    }
    const fused = op === 'add' && !constantFirst ? this.matmulBias(node, x, c) : null;
    if (fused !== null) return fused;
    const shape = this.constRowShape(c.shape, x, 'constant');
    const name = this.uniqueName(node.name);
    const idx = this.g.constant(name, this.node(x), shape, op, constantFirst);
    this.setParam(`${name}.value`, c, shape);
    return idx;
  }

  /** Concat of one activation and constants: the activation padded with zeros, plus the constants in the padding. */
  private concatWithConstants(node: OnnxNode): number {
    const acts = node.inputs.map((n, i) => (this.consts.has(n) ? -1 : i)).filter((i) => i >= 0);
    if (acts.length !== 1) this.fail(`${this.where}: a concat of ${acts.length} activations with constants is not supported (one activation at most)`);
    const x = this.act(node, acts[0]!);
    const axis = this.rowAxis(num(node.attributes.axis, this.model.opset < 4 ? 1 : 0), x, 'axis');
    const parts = node.inputs.map((n, i): ConstValue => {
      if (i === acts[0]) return { shape: x.shape, data: new Float32Array(count(x.shape)), dtype: 'float' };
      const c = this.consts.get(n)!;
      const shape = this.constRowShape(c.shape, x, 'constant');
      if (shape.length !== x.shape.length || shape.some((d, k) => k !== axis && d !== x.shape[k])) this.fail(`${this.where}: constant [${c.shape.join(', ')}] does not match the input's shape off the concat axis`);
      return { ...c, shape };
    });
    const full = foldNode({ ...node, attributes: { axis } }, parts, this.model.opset)[0]!;
    const before = parts.slice(0, acts[0]).reduce((t, p) => t + p.shape[axis]!, 0);
    const after = parts.slice(acts[0]! + 1).reduce((t, p) => t + p.shape[axis]!, 0);
    const r = x.shape.length;
    const pads = new Array<number>(2 * r).fill(0);
    pads[axis] = before;
    pads[r + axis] = after;
    const name = this.uniqueName(node.name);
    const padded = this.g.pad(`${name}_pad`, this.node(x), pads, 0);
    const idx = this.g.constant(name, padded, full.shape, 'add');
    this.setParam(`${name}.value`, full, full.shape);
    return idx;
  }

  /** Expand: a broadcast, as a product with ones of the target shape. */
  private expand(node: OnnxNode): number | Act {
    const x = this.act(node, 0);
    const t = this.constant(node, 1, 'a constant shape');
    const target = Array.from(t.data, (d, i) => (t.batch?.[i] ? 1 : d));
    const shape = this.constRowShape(target, x, 'shape');
    const rank = Math.max(shape.length, x.shape.length);
    const out = Array.from({ length: rank }, (_, i) => Math.max(shape[shape.length - rank + i] ?? 1, x.shape[x.shape.length - rank + i] ?? 1));
    if (same(out, x.shape)) return x;
    const name = this.uniqueName(node.name);
    const idx = this.g.constant(name, this.node(x), shape, 'mul');
    this.setParam(`${name}.value`, { shape, data: new Float32Array(count(shape)).fill(1), dtype: 'float' }, shape);
    return idx;
  }

  /** Gather of an activation by constant indices: one slice per index, concatenated. */
  private gather(node: OnnxNode): number | Act {
    if (this.consts.has(node.inputs[0]!)) this.fail(`${this.where}: indices computed from the input (a lookup table) are not supported`);
    const x = this.act(node, 0);
    const indices = this.constant(node, 1, 'constant indices');
    const axis = this.rowAxis(num(node.attributes.axis, 0), x, 'axis');
    const dim = x.shape[axis]!;
    if (indices.data.length === 0 || indices.data.length > 256) this.fail(`${this.where}: ${indices.data.length} indices (1 to 256 are supported)`);
    const input = this.node(x);
    const parts = Array.from(indices.data, (j, k) => {
      const at = j < 0 ? j + dim : j;
      if (!(at >= 0 && at < dim)) this.fail(`${this.where}: index ${j} is out of range for a dim of ${dim}`);
      return this.g.slice(this.uniqueName(`${node.name}_${k}`), input, axis, at, at + 1);
    });
    const joined = parts.length === 1 ? parts[0]! : this.g.concat(this.uniqueName(node.name), parts, axis);
    return { node: joined, shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)] };
  }

  /** x · k for a scalar k (Neg). */
  private scaled(node: OnnxNode, k: number): number {
    const name = this.uniqueName(node.name);
    const idx = this.g.constant(name, this.node(this.act(node, 0)), [], 'mul');
    this.setParam(`${name}.value`, { shape: [], data: Float32Array.of(k), dtype: 'float' }, []);
    return idx;
  }

  /** x + c where x is a bias-free linear read only here and c its [out] bias: fold into the linear. */
  private matmulBias(node: OnnxNode, x: Act, c: ConstValue): number | null {
    const producer = this.g.nodes[x.node]!;
    if (x.pad || producer.kind !== 'linear' || producer.bias || this.uses.get(node.inputs[0]!) !== 1 || x.shape.length !== 1) return null;
    const outF = this.g.paramShapes.get(producer.weight)![0]!;
    if (c.data.length !== outF || c.shape.some((d, i) => d !== 1 && i !== c.shape.length - 1)) return null;
    producer.bias = `${producer.name}.bias`;
    this.setParam(producer.bias, c, [outF]);
    this.shapeCache = [];
    return x.node;
  }

  private needsBatchAxis(x: Act): void {
    if (this.mode === 'whole') this.fail(`${this.where}: works per image and needs the batch axis, but the graph is in whole-tensor mode`);
    if (x.shape.length < 2 || x.shape.length > 3) {
      this.fail(`${this.where}: input has shape [N, ${x.shape.join(', ')}]; ${x.shape.length === 4 ? '3-D convolution / pooling / batch norm is not supported' : 'expected [N, C, L] or [N, C, H, W]'}`);
    }
  }

  private window(node: OnnxNode, x: Act, kernel: number[]): Window {
    if (kernel.length !== x.shape.length - 1) {
      this.fail(`${this.where}: a ${kernel.length}-D kernel on an input of shape [N, ${x.shape.join(', ')}]; expected [N, ${kernel.length === 1 ? 'C, L' : 'C, H, W'}]`);
    }
    try {
      return onnxWindow(node.attributes, kernel, x.shape.slice(1));
    } catch (e) {
      if (e instanceof WindowError) this.fail(`${this.where}: ${e.message}`);
      throw e;
    }
  }

  /** A pending Pad in front of a Conv / pool folds into its window when that gives the same values. */
  private takePad(x: Act, w: Window, accepts: (value: number) => boolean): { x: Act; window: Window } {
    const p = x.pad;
    if (!p || !accepts(p.value) || this.uses.get(this.nameOf(x)) !== 1) return { x, window: w };
    const rank = p.pads.length / 2;
    const spatial = w.kernel.length;
    // only spatial axes padded (per-row pads: [C, ...spatial] begin, then end)
    if (p.pads[0] !== 0 || p.pads[rank] !== 0) return { x, window: w };
    const pads = w.pads.map((v, i) => v + p.pads[i < spatial ? 1 + i : rank + 1 + (i - spatial)]!);
    return { x: p.from, window: { ...w, pads } };
  }

  private nameOf(a: Act): string {
    for (const [name, v] of this.acts) if (v === a) return name;
    return '';
  }

  private conv(node: OnnxNode): number {
    const a = node.attributes;
    let x = this.act(node, 0);
    this.needsBatchAxis(x);
    const w = this.constant(node, 1, 'a weight constant');
    if (w.shape.length !== 3 && w.shape.length !== 4) this.fail(`${this.where}: weight has shape [${w.shape.join(', ')}]; only 1-D and 2-D convolutions are supported`);
    const [outC, inPerGroup, ...taps] = w.shape as [number, number, ...number[]];
    const kernel = ints(a.kernel_shape, taps);
    if (!same(kernel, taps)) this.fail(`${this.where}: kernel_shape [${kernel.join(', ')}] disagrees with the weight's [${taps.join(', ')}]`);
    let window = this.window(node, x, taps);
    ({ x, window } = this.takePad(x, window, (v) => v === 0));
    const groups = num(a.group, 1);
    const bias = node.inputs[2] ? this.constant(node, 2, 'a bias constant') : null;
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const p = planarWindow(window);
    const input = this.node(x);
    let idx: number;
    if (taps.length === 1) {
      idx = this.g.conv1d(name, input, inPerGroup * groups, outC, taps[0]!, { stride: p.stride[1], padding: p.padding[1], dilation: p.dilation[1], groups, bias: !!bias });
      const node1d = this.g.nodes[idx]!;
      if (p.padding.length === 4 && node1d.kind === 'conv2d') node1d.params = { ...node1d.params, padding: p.padding };
    } else {
      idx = this.g.conv2d(name, input, inPerGroup * groups, outC, p.kernel, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups, bias: !!bias });
    }
    this.setParam(`${name}.weight`, w, w.shape);
    if (bias) this.setParam(`${name}.bias`, bias, [outC]);
    return idx;
  }

  private pool(node: OnnxNode): number {
    const a = node.attributes;
    if (node.outputs[1] && this.uses.has(node.outputs[1])) this.fail(`${this.where}: the Indices output is not supported`);
    let x = this.act(node, 0);
    this.needsBatchAxis(x);
    const kernel = ints(a.kernel_shape, []);
    if (kernel.length === 3) this.fail(`${this.where}: 3-D pooling is not supported`);
    let window = this.window(node, x, kernel);
    const isMax = node.opType === 'MaxPool';
    const ceil = num(a.ceil_mode, 0) === 1;
    let countIncludePad = num(a.count_include_pad, 0) === 1;
    if (!ceil) {
      const ownPads = window.pads.some((v) => v > 0);
      const before = window;
      ({ x, window } = this.takePad(x, window, (v) => (isMax ? v === -Infinity : v === 0 && (!ownPads || countIncludePad))));
      if (window !== before && !isMax) countIncludePad = true;
    }
    const p: PlanarWindow = planarWindow(window);
    const params = {
      kernel: p.kernel,
      stride: p.stride,
      padding: p.padding,
      ...(p.dilation[0] !== 1 || p.dilation[1] !== 1 ? { dilation: p.dilation } : {}),
      ...(ceil ? { ceilMode: true } : {}),
    };
    const name = this.uniqueName(node.name);
    const input = this.node(x);
    return isMax ? this.g.maxPool(name, input, params) : this.g.avgPool(name, input, { ...params, countIncludePad });
  }

  private batchNorm(node: OnnxNode): number {
    const a = node.attributes;
    if (node.outputs.filter((o) => o !== '').length > 1) this.fail(`${this.where}: training-mode outputs (running statistics) are not supported; export in eval mode`);
    if (num(a.training_mode, 0) === 1) this.fail(`${this.where}: training_mode=1 (batch statistics) is not supported; export in eval mode`);
    if (this.model.opset < 9 && num(a.spatial, 1) !== 1) this.fail(`${this.where}: spatial=0 (per-element statistics) is not supported`);
    const x = this.act(node, 0);
    if (this.mode === 'whole') this.needsBatchAxis(x);
    const c = this.constant(node, 1, 'a scale constant').data.length;
    if (x.shape[0] !== c) this.fail(`${this.where}: ${c} scales for ${x.shape[0]} channels`);
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.batchNorm(name, this.node(x), c, { eps: num(a.epsilon, 1e-5) });
    ['weight', 'bias', 'running_mean', 'running_var'].forEach((s, i) => this.setParam(`${name}.${s}`, this.constant(node, i + 1, `a ${s} constant`), [c]));
    return idx;
  }

  private flatten(node: OnnxNode): void {
    const x = this.act(node, 0);
    const rank = this.onnxRank(x);
    const given = num(node.attributes.axis, 1);
    const axis = given < 0 ? given + rank : given; // Flatten's axis is in [-rank, rank]
    if (axis < 0 || axis > rank) this.fail(`${this.where}: axis ${given} is out of range for rank ${rank}`);
    const full = this.mode === 'batch' ? [-1, ...x.shape] : x.shape;
    if (this.mode === 'batch' && axis !== 1) this.batchAxis(`${this.where}: axis ${given} folds other axes into the batch axis`);
    const shape = this.mode === 'batch' ? [count(x.shape)] : [count(full.slice(0, axis)), count(full.slice(axis))];
    this.view(node, x, shape);
  }

  /** A view of `x` with another per-row shape (no node until a consumer needs it). */
  private view(node: OnnxNode, x: Act, shape: number[], k = 0): void {
    this.define(node, { node: x.pad ? this.node(x) : x.node, shape }, k);
  }

  private reshape(node: OnnxNode): void {
    const x = this.act(node, 0);
    const t = node.attributes.shape !== undefined ? { data: Float64Array.from(ints(node.attributes.shape, [])), batch: undefined, shape: [] } : this.constant(node, 1, 'a constant shape');
    const target = Array.from(t.data);
    const allowZero = num(node.attributes.allowzero, 0) === 1;
    const isBatch = (i: number) => !!t.batch?.[i];
    if (this.mode === 'whole') {
      if (target.some((_, i) => isBatch(i))) this.fail(`${this.where}: internal: batch symbol in whole-tensor mode`);
      return this.view(node, x, this.resolve(x.shape, target, allowZero));
    }
    target.forEach((_, i) => i > 0 && isBatch(i) && this.batchAxis(`${this.where}: moves the batch size to axis ${i}`));
    const head = target[0];
    const rest = target.slice(1).map((d, i) => (d === 0 && !allowZero ? x.shape[i] ?? 0 : d));
    const keepsBatch = isBatch(0) || (head === 0 && !allowZero) || (head === -1 && !rest.includes(-1) && count(rest) === count(x.shape));
    if (!keepsBatch) this.batchAxis(`${this.where}: reshape to [${target.join(', ')}] changes the batch axis`);
    this.view(node, x, this.resolve(x.shape, rest, true));
  }

  private resolve(shape: number[], target: number[], allowZero: boolean): number[] {
    try {
      return resolveReshape(shape, target, allowZero);
    } catch (e) {
      return this.fail(`${this.where}: ${(e as Error).message}`);
    }
  }

  private squeeze(node: OnnxNode): void {
    const x = this.act(node, 0);
    const axesIn = node.attributes.axes !== undefined ? ints(node.attributes.axes, []) : node.inputs[1] ? Array.from(this.constant(node, 1, 'constant axes').data) : null;
    const batch = this.mode === 'batch';
    const full = batch ? [-1, ...x.shape] : x.shape;
    let shape: number[];
    if (node.opType === 'Unsqueeze') {
      const rank = full.length + (axesIn ?? []).length;
      const axes = new Set((axesIn ?? []).map((v) => this.normalize(v, rank, 'axis')));
      shape = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : full[k++]!);
    } else {
      if (!axesIn && batch && this.model.inputs[0]!.shape[0] === 1) this.batchAxis(`${this.where}: squeezes every unit axis, the batch axis of 1 included`);
      const axes = axesIn ? new Set(axesIn.map((v) => this.normalize(v, full.length, 'axis'))) : null;
      shape = full.filter((d, i) => (axes ? !axes.has(i) : d !== 1));
    }
    if (batch && shape[0] !== -1) this.batchAxis(`${this.where}: moves the batch axis`);
    this.view(node, x, batch ? shape.slice(1) : shape);
  }

  /** One Slice of an activation: one slice node per sliced axis (step 1). */
  private slice(node: OnnxNode): number | Act {
    const a = node.attributes;
    let x = this.act(node, 0);
    const list = (attr: string, i: number): number[] | undefined => (a[attr] !== undefined ? ints(a[attr], []) : node.inputs[i] ? Array.from(this.constant(node, i, `constant ${attr}`).data) : undefined);
    const starts = list('starts', 1) ?? [];
    const ends = list('ends', 2) ?? [];
    const rank = this.onnxRank(x);
    const axes = list('axes', 3) ?? starts.map((_, i) => i);
    const steps = list('steps', 4) ?? starts.map(() => 1);
    let out: number | Act = x;
    axes.forEach((axisIn, k) => {
      const onnx = this.normalize(axisIn, rank, 'axis');
      if (steps[k] !== 1) this.fail(`${this.where}: step ${steps[k]} is not supported on activations (only 1)`);
      if (this.mode === 'batch' && onnx === 0) {
        if (starts[k] === 0 && ends[k]! >= INT_BIG) return;
        this.batchAxis(`${this.where}: slices the batch axis`);
      }
      const axis = this.mode === 'batch' ? onnx - 1 : onnx;
      const dim = x.shape[axis]!;
      const r = sliceRange(dim, starts[k]!, ends[k]!, 1);
      if (r.length === dim) return;
      if (r.length === 0) this.fail(`${this.where}: slices axis ${axisIn} to nothing`);
      const idx = this.g.slice(this.uniqueName(node.name), this.node(x), axis, r[0]!, r[r.length - 1]! + 1);
      x = { node: idx, shape: this.shapes()[idx]! };
      out = idx;
    });
    return out;
  }

  private split(node: OnnxNode): void {
    const a = node.attributes;
    const x = this.act(node, 0);
    const axis = this.rowAxis(num(a.axis, 0), x, 'axis');
    const dim = x.shape[axis]!;
    const outs = node.outputs.length;
    let sizes = a.split !== undefined ? ints(a.split, []) : node.inputs[1] ? Array.from(this.constant(node, 1, 'constant split sizes').data) : null;
    if (!sizes) {
      const n = num(a.num_outputs, outs);
      const size = Math.ceil(dim / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(size, dim - i * size)));
    }
    if (sizes.length !== outs || sizes.reduce((s, v) => s + v, 0) !== dim) this.fail(`${this.where}: split sizes [${sizes.join(', ')}] do not cover axis ${num(a.axis, 0)} of ${dim} in ${outs} parts`);
    let start = 0;
    sizes.forEach((size, k) => {
      const idx = this.g.slice(this.uniqueName(`${node.name}_${k}`), this.node(x), axis, start, start + size);
      start += size;
      this.define(node, idx, k);
    });
  }

  private reduceMean(node: OnnxNode): void {
    const a = node.attributes;
    const x = this.act(node, 0);
    const keepDims = num(a.keepdims, 1) === 1;
    const given = a.axes !== undefined ? ints(a.axes, []) : node.inputs[1] ? Array.from(this.constant(node, 1, 'constant axes').data) : [];
    if (given.length === 0 && num(a.noop_with_empty_axes, 0) === 1) return this.define(node, x);
    const rank = this.onnxRank(x);
    const axes = given.length ? given : Array.from({ length: rank }, (_, i) => i);
    const rowAxes = [...new Set(axes.map((v) => this.rowAxis(v, x, 'axis')))].sort((p, q) => p - q);
    this.define(node, this.g.reduceMean(this.uniqueName(node.name), this.node(x), rowAxes, keepDims));
  }

  private softmax(node: OnnxNode, drop: boolean): void {
    const x = this.act(node, 0);
    const coerce = this.model.opset < 13;
    const rank = this.onnxRank(x);
    const onnxAxis = this.normalize(num(node.attributes.axis, coerce ? 1 : -1), rank, 'axis');
    const axis = this.rowAxis(onnxAxis, x, 'axis');
    const log = node.opType === 'LogSoftmax';
    if (drop) {
      this.notes.push(`dropped the final ${node.opType} (${node.name}): the model is explained on logits; use output 'prob' to explain probabilities`);
      return this.define(node, x);
    }
    const lastAxis = axis === x.shape.length - 1;
    const idx = lastAxis && !log ? this.g.softmax(this.uniqueName(node.name), this.node(x)) : this.g.softmax(this.uniqueName(node.name), this.node(x), { axis, log, coerce: coerce && !lastAxis });
    this.define(node, idx);
  }

  private gemm(node: OnnxNode): number {
    const a = node.attributes;
    let x = this.act(node, 0);
    if (this.onnxRank(x) !== 2) this.fail(`${this.where}: A has shape [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}], expected a matrix [N, K]`);
    if (num(a.transA, 0) === 1) {
      if (this.mode === 'batch') this.batchAxis(`${this.where}: transA=1 transposes the batch axis`);
      x = { node: this.g.transpose(this.uniqueName(`${node.name}_transA`), this.node(x), [1, 0]), shape: [x.shape[1]!, x.shape[0]!] };
    }
    const b = this.constant(node, 1, 'a constant B');
    if (b.shape.length !== 2) this.fail(`${this.where}: B has shape [${b.shape.join(', ')}], expected 2-D`);
    const alpha = num(a.alpha, 1);
    const beta = num(a.beta, 1);
    let weight = num(a.transB, 0) === 1 ? b : transpose2d(b);
    if (alpha !== 1) weight = { ...weight, data: Float32Array.from(asFloat32(weight, 'B', this.source), (v) => v * alpha) };
    const cAct = node.inputs[2] && this.acts.has(node.inputs[2]) ? this.act(node, 2) : null;
    const c = node.inputs[2] && !cAct ? this.constant(node, 2, 'a constant C') : null;
    const outF = weight.shape[0]!;
    const scaled = c && beta !== 1 ? { ...c, data: Float32Array.from(asFloat32(c, 'C', this.source), (v) => v * beta) } : c;
    const vector = scaled && (scaled.data.length === outF || scaled.data.length === 1) && scaled.shape.every((d, i) => d === 1 || i === scaled.shape.length - 1);
    const bias = vector && scaled && beta !== 0 ? { shape: [outF], data: scaled.data.length === 1 ? new Float32Array(outF).fill(scaled.data[0]!) : scaled.data, dtype: 'float' as const } : null;
    const idx = this.linear(node, x, weight, bias);
    if (cAct && beta !== 0) {
      // C computed from the input: added as an activation (scaled by beta first)
      let cNode = this.node(cAct);
      if (beta !== 1) {
        const name = this.uniqueName(`${node.name}_beta`);
        cNode = this.g.constant(name, cNode, [], 'mul');
        this.setParam(`${name}.value`, { shape: [], data: Float32Array.of(beta), dtype: 'float' }, []);
      }
      const out = this.shapes()[idx]!;
      const cShape = this.shapes()[cNode]!;
      return same(out, cShape) ? this.g.add(this.uniqueName(`${node.name}_C`), idx, cNode) : this.g.binary(this.uniqueName(`${node.name}_C`), idx, cNode, 'add');
    }
    if (!scaled || vector || beta === 0) return idx;
    const out = { node: idx, shape: this.shapes()[idx]! };
    const shape = this.constRowShape(scaled.shape, out, 'C');
    const name = this.uniqueName(`${node.name}_C`);
    const add = this.g.constant(name, idx, shape, 'add');
    this.setParam(`${name}.value`, scaled, shape);
    return add;
  }

  /** MatMul: activation × constant ([K, M], [K], or a stack [B, K, M] matched against the activation's axis). */
  private matmul(node: OnnxNode): number {
    if (this.consts.has(node.inputs[0]!)) this.fail(`${this.where}: constant × activation is not supported (only activation × constant)`);
    const x = this.act(node, 0);
    const w = this.constant(node, 1, 'a constant (activation × activation is not supported)');
    if (w.shape.length === 1) {
      if (x.shape.length === 1 && this.mode === 'whole') this.fail(`${this.where}: a vector × vector product is a scalar, which is not supported as an activation`);
      const idx = this.linear(node, x, { shape: [1, w.shape[0]!], data: w.data, dtype: w.dtype }, null);
      return this.node({ node: idx, shape: x.shape.slice(0, -1).length ? x.shape.slice(0, -1) : [1] });
    }
    const stack = w.shape.slice(0, -2);
    const [k, m] = w.shape.slice(-2) as [number, number];
    if (stack.every((d) => d === 1)) return this.linear(node, x, transpose2d({ ...w, shape: [k, m] }), null);
    // A stack of matrices, right-aligned against the activation's leading axes (NumPy matmul):
    // each slice of the activation along the one stacked axis by its own matrix.
    const rank = this.onnxRank(x);
    if (stack.length > rank - 2) this.fail(`${this.where}: weight [${w.shape.join(', ')}] has more axes than the input`);
    const aligned = [...new Array<number>(rank - 2 - stack.length).fill(1), ...stack];
    if (this.mode === 'batch' && aligned[0] !== 1) this.batchAxis(`${this.where}: weight [${w.shape.join(', ')}] differs per image`);
    const rowStack = this.mode === 'batch' ? aligned.slice(1) : aligned;
    const axis = rowStack.findIndex((d) => d !== 1);
    if (rowStack.filter((d) => d !== 1).length !== 1 || x.shape[axis] !== rowStack[axis]) {
      this.fail(`${this.where}: weight [${w.shape.join(', ')}] on an input [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] is not supported (one stacked axis, matching the input's)`);
    }
    const parts: number[] = [];
    for (let s = 0; s < rowStack[axis]!; s++) {
      const part = this.g.slice(this.uniqueName(`${node.name}_part${s}`), this.node(x), axis, s, s + 1);
      const matrix = { shape: [k, m], data: w.data.slice(s * k * m, (s + 1) * k * m), dtype: w.dtype };
      parts.push(this.linear({ ...node, inputs: ['', `${node.name}_${s}`] }, { node: part, shape: this.shapes()[part]! }, transpose2d(matrix), null));
    }
    return this.g.concat(this.uniqueName(node.name), parts, axis);
  }

  /** weight is [out, in] (PyTorch layout); applies over the activation's last axis */
  private linear(node: OnnxNode, x: Act, weight: OnnxTensor, bias: OnnxTensor | null): number {
    const [outF, inF] = weight.shape as [number, number];
    if (x.shape[x.shape.length - 1] !== inF) this.fail(`${this.where}: input [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] times a [${inF}, ${outF}] matrix`);
    if (bias && bias.data.length !== outF) this.fail(`${this.where}: bias has shape [${bias.shape.join(', ')}], expected [${outF}]`);
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.linear(name, this.node(x), inF, outF, { bias: !!bias });
    this.setParam(`${name}.weight`, weight, [outF, inF]);
    if (bias) this.setParam(`${name}.bias`, bias, [outF]);
    return idx;
  }

  private pad(node: OnnxNode): void {
    const a = node.attributes;
    const mode = str(a.mode, 'constant');
    if (mode !== 'constant') this.fail(`${this.where}: mode "${mode}" is not supported (only constant)`);
    const x = this.act(node, 0);
    const rank = this.onnxRank(x);
    const given = this.model.opset < 11 ? ints(a.pads ?? a.paddings, []) : Array.from(this.constant(node, 1, 'constant pads').data);
    const value = this.model.opset < 11 ? num(a.value, 0) : node.inputs[2] ? this.scalar(this.constant(node, 2, 'a constant value'), 'value') : 0;
    const axes = node.inputs[3] ? Array.from(this.constant(node, 3, 'constant axes').data, (v) => this.normalize(v, rank, 'axis')) : Array.from({ length: rank }, (_, i) => i);
    if (given.length !== 2 * axes.length) this.fail(`${this.where}: pads [${given.join(', ')}] should have ${2 * axes.length} values`);
    if (given.some((p) => p < 0)) this.fail(`${this.where}: negative pads [${given.join(', ')}] (cropping) are not supported`);
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((ax, i) => {
      full[ax] = given[i]!;
      full[rank + ax] = given[axes.length + i]!;
    });
    if (this.mode === 'batch' && (full[0] !== 0 || full[rank] !== 0)) this.batchAxis(`${this.where}: pads the batch axis`);
    const pads = this.mode === 'batch' ? [...full.slice(1, rank), ...full.slice(rank + 1)] : full;
    const r = x.shape.length;
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
    this.define(node, { node: x.node, shape, pad: { from: x, pads, value, where: this.where } });
  }

  // ---- names and errors -------------------------------------------------------------------

  /** `layer1.0.conv1.weight` → `layer1.0.conv1` (PyTorch exports keep the module names); else the node name. */
  private baseName(initializer: string, nodeName: string): string {
    return initializer.endsWith('.weight') ? initializer.slice(0, -'.weight'.length) : nodeName;
  }

  private uniqueName(base: string): string {
    const taken = (s: string) => this.g.nodes.some((n) => n.name === s) || [...this.g.paramShapes.keys()].some((k) => k.startsWith(`${s}.`));
    let name = base || 'node';
    for (let k = 1; taken(name); k++) name = `${base}_${k}`;
    return name;
  }

  private batchAxis(message: string): never {
    throw new BatchAxisError(this.source, `${message}: it mixes images along the batch axis`);
  }

  private fail(message: string): never {
    throw new OnnxError(this.source, message);
  }
}

function transpose2d(t: OnnxTensor): OnnxTensor {
  const [r, c] = t.shape as [number, number];
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data, dtype: t.dtype };
}
