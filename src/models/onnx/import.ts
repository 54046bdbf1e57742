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
import type { UnaryOp } from '../../nn/graph.js';
import type { InputDeclaration } from '../../nn/model.js';
import { declareInput } from '../../data/preprocess.js';
import { decodeOnnx, OnnxError, type OnnxDecodeOptions, type OnnxModel, type OnnxNode } from './decode.js';
import { asFloat32, DT, dtypeName } from './tensor.js';
import { FOLDABLE_OPS, FoldError, foldNode, sliceRange } from './fold.js';
import { fuseModel, type ModelSpec } from '../fuse.js';
import { BatchAxisError, count, ints, num, same, type Binary, type OnnxImportMode } from './state.js';
import { ViewImporter } from './ops/views.js';
import { ModelBytesError } from '../model-bytes.js';

export type { OnnxImportMode };

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
  /** per graph output: 0, or for an index output (MaxPool's Indices) the amount each image's indices are offset by (n·stride; batch mode) */
  outputBatchStrides: number[];
}

export interface OnnxImportOptions extends OnnxDecodeOptions {
  /** names the model in errors and in ModelInfo (default: 'onnx') */
  name?: string;
  classNames?: readonly string[];
  /** the model's image input: affine map (mean/std or scale/offset), channel order, resize (see InputDeclaration) */
  input?: InputDeclaration;
  /** fold BN / fuse epilogues (default true; false keeps one node per ONNX op) */
  fuse?: boolean;
  /** keep a final Softmax / LogSoftmax as the model's last node (predict) instead of dropping it (explain) */
  keepFinalSoftmax?: boolean;
  /** force a mode instead of choosing it */
  mode?: OnnxImportMode;
  /** the input's sizes after the batch axis (e.g. [C, H, W]): fixes the free ones (-1) of a graph input such as [-1, 3, -1, -1] */
  inputShape?: readonly number[];
}

/** A graph input with free sizes after the batch axis and no inputShape to fix them; `shape` is the declared one. */
export class FreeInputSizesError extends OnnxError {
  constructor(source: string, message: string, readonly shape: number[]) {
    super(source, message);
  }
}

/** Decode and import `.onnx` bytes; `source` (e.g. the file name) prefixes every error. */
export function importOnnxBytes(bytes: Uint8Array, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  return importOnnx(decodeOnnxBytes(bytes, source, options), source, options);
}

export function decodeOnnxBytes(bytes: Uint8Array, source = 'model', options: OnnxDecodeOptions = {}): OnnxModel {
  // A Node Buffer makes protobufjs hand out Buffer views whose slice() shares memory, which the
  // tensor decoder does not expect; a plain Uint8Array copy avoids that.
  return decodeOnnx(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes), source, options);
}

/** The outputs of a graph that computes nothing at run time: one without input, or whose input is empty (its value is known). */
export interface OnnxConstantGraph {
  /** the input it takes: [] where it has none */
  inputShape: number[];
  outputs: { name: string; shape: number[]; data: Float32Array }[];
}

/** A graph without input, or with one of static zero size, folded to its outputs; null for any other graph. */
export function foldConstantGraph(model: OnnxModel, source = 'model', options: { maxModelBytes?: number } = {}): OnnxConstantGraph | null {
  const [input, ...more] = model.inputs;
  const empty = input && !more.length && input.shape.every((d) => d >= 0) && count(input.shape) === 0;
  return model.inputs.length === 0 || empty ? new Importer(model, source, 'whole', options.maxModelBytes).constants() : null;
}


export function importOnnx(model: OnnxModel, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  if (options.mode) return new Importer(model, source, options.mode, options.maxModelBytes).run(options);
  try {
    return new Importer(model, source, 'batch', options.maxModelBytes).run(options);
  } catch (e) {
    if (!(e instanceof BatchAxisError)) throw e;
    try {
      const r = new Importer(model, source, 'whole', options.maxModelBytes).run(options);
      r.notes.push(`imported in whole-tensor mode: one row is the whole ONNX tensor [${r.onnxInputShape.join(', ')}] (${e.message.replace(/^ONNX [^:]*: /, '')})`);
      return r;
    } catch (whole) {
      if (whole instanceof OnnxError && !(whole instanceof BatchAxisError) && !/needs the batch axis|whole-tensor/.test(whole.message)) throw whole;
      throw e;
    }
  }
}

class Importer extends ViewImporter {
  run(options: OnnxImportOptions): OnnxImport {
    const m = this.model;
    if (m.inputs.length !== 1) {
      this.fail(m.inputs.length === 0 ? 'has no graph input (a constant graph)' : `has ${m.inputs.length} graph inputs (${m.inputs.map((i) => i.name).join(', ')}); exactly one activation input is supported (bind the others with constants)`);
    }
    const input = m.inputs[0]!;
    const batch = this.mode === 'batch';
    if (batch && input.shape.length < 2) this.batchAxis(`graph input "${input.name}" has shape [${input.shape.join(', ')}], with no axis after the batch axis`);
    const rowShape = this.fixedInput(input.shape, options.inputShape, input.name);
    this.guard(() => this.bytes.checkActivation(rowShape), `graph input "${input.name}"`);
    this.staticBatch1 = batch && input.shape[0] === 1;
    this.inputShape = rowShape;
    this.integerInput = this.integerOf(input.elemType);
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
    const info = { name: options.name ?? 'onnx', inputShape: rowShape, numClasses: count(outShape), representationNode, classNames: options.classNames, ...declareInput(options.input, rowShape, options.name ?? 'onnx') };
    const spec: ModelSpec = { nodes: this.g.nodes.map((n) => ({ ...n })), params: this.params, info };
    this.checkWeightRange();
    // Fusing renumbers nodes: a graph with extra outputs keeps one node per op.
    return {
      spec: options.fuse === false || extraOutputs.length ? spec : fuseModel(spec),
      extraOutputs,
      outputBatchStrides: m.outputs.map((o) => this.indexStrides.get(o.name) ?? 0),
      notes: this.notes,
      mode: this.mode,
      onnxInputShape: batch ? [-1, ...rowShape] : rowShape,
      onnxOutputShape: batch ? [-1, ...outAct.shape] : outAct.shape,
    };
  }

  /** The input's shape per row (batch mode) or whole, its free sizes fixed by `given` (sizes after N). */
  protected fixedInput(declared: number[], given: readonly number[] | undefined, name: string): number[] {
    const batch = this.mode === 'batch';
    const shape = batch ? declared.slice(1) : [...declared];
    const what = `graph input "${name}" has shape [${declared.join(', ')}]`;
    if (given !== undefined) {
      const full = !batch && given.length === declared.length - 1 ? [declared[0]! > 0 ? declared[0]! : 1, ...given] : [...given];
      const fits = full.length === shape.length && full.every((d, i) => Number.isSafeInteger(d) && d > 0 && (shape[i]! < 0 || shape[i] === d));
      if (!fits) this.fail(`inputShape [${given.join(', ')}] does not fit: ${what} (give its sizes after N, with the fixed ones as declared)`);
      return full;
    }
    if (shape.length === 0 || shape.some((d) => d === 0) || (!batch && shape.some((d) => d < 0))) this.fail(`${what}; ${batch ? 'the sizes after N must be fixed and positive' : 'whole-tensor mode needs every size fixed and positive'}`);
    if (shape.some((d) => d < 0)) {
      throw new FreeInputSizesError(this.source, `${what}: its free sizes after N must be fixed (inputShape / --input-shape, e.g. ${shape.map((d) => (d > 0 ? d : 'S')).join(',')})`, [...declared]);
    }
    return shape;
  }

  constants(): OnnxConstantGraph {
    const input = this.model.inputs[0];
    const why = input ? `the graph input "${input.name}" is empty ([${input.shape.join(', ')}])` : 'the graph has no input';
    if (input) this.consts.set(input.name, { shape: [...input.shape], data: new Float64Array(0), dtype: this.integerOf(input.elemType) ? 'int' : 'float' });
    for (const node of this.model.nodes) {
      this.where = `node "${node.name}" (${node.opType})`;
      const inputs = node.inputs.filter((i) => i !== '');
      if (!FOLDABLE_OPS.has(node.opType) || !inputs.every((i) => this.consts.has(i))) this.fail(`${this.where}: ${why}, so every node must fold to a constant, and this op does not`);
      this.fold(node);
    }
    const outputs = this.model.outputs.map((o) => {
      const t = this.consts.get(o.name) ?? this.fail(`graph output "${o.name}" is not computed (${why})`);
      return { name: o.name, shape: [...t.shape], data: asFloat32(t, `graph output "${o.name}"`, this.source) };
    });
    return { inputShape: input ? [...input.shape] : [], outputs };
  }

  protected integerOf(elemType: number): boolean {
    return ![DT.FLOAT, DT.DOUBLE, DT.FLOAT16].includes(elemType as 1);
  }

  protected importNode(node: OnnxNode, outputName: string, keepSoftmax: boolean): void {
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
        return this.batchNorm(node);
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(node);
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

  protected fold(node: OnnxNode): void {
    try {
      const outs = foldNode(node, node.inputs.map((i) => (i === '' ? undefined : this.consts.get(i))), this.model.opset, (shape, b) => this.bytes.reserve(shape, b));
      outs.forEach((t, k) => node.outputs[k] && this.consts.set(node.outputs[k]!, t));
    } catch (e) {
      if (e instanceof FoldError || e instanceof ModelBytesError) this.fail(`${this.where}: ${e.message}`);
      throw e;
    }
  }

  /** Shape of an activation: static, except the batch entry (a symbol) in batch mode. */
  protected shapeOf(node: OnnxNode): void {
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

  protected dropout(node: OnnxNode): void {
    const a = node.attributes;
    const ratio = node.inputs[1] ? this.constant(node, 1, 'a constant ratio').data[0]! : num(a.ratio, 0.5);
    const training = node.inputs[2] ? this.constant(node, 2, 'a constant training_mode').data[0]! : this.model.opset < 7 ? 1 - num(a.is_test, 0) : 0;
    if (training && ratio !== 0) this.fail(`${this.where}: training_mode is set with ratio ${ratio}; dropout is only imported at inference (export in eval mode)`);
    this.define(node, this.act(node, 0));
    // at inference (or ratio 0) nothing is dropped: the mask is all ones, x · 0 + 1 per element
    if (node.outputs[1] && this.uses.has(node.outputs[1])) {
      const name = this.uniqueName(`${node.name}_mask`);
      this.define(node, this.g.constant(name, this.scaled(node, 0), [], 'add'), 1);
      this.setParam(`${name}.value`, { shape: [], data: Float32Array.of(1), dtype: 'float' }, []);
    }
  }

  protected unaryOp(node: OnnxNode): UnaryOp {
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

  /** Add / Sub / Mul / Div: two activations, an activation and a constant, or the bias of a bias-free MatMul. */
  protected binary(node: OnnxNode, op: Binary): number {
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

  protected reduceMean(node: OnnxNode): void {
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

  protected softmax(node: OnnxNode, drop: boolean): void {
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
}
