/**
 * ONNX IR (from `decodeOnnx`) → model graph + parameters, walking the nodes with one ImportState
 * (state.ts) and the op table (ops/index.ts): a node whose inputs are all constants is folded by
 * its entry's `fold`; every other becomes graph nodes by its entry's `build` (Conv → conv2d,
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
import type { InputDeclaration } from '../../nn/model.js';
import { declareInput } from '../../data/preprocess.js';
import { decodeOnnx, OnnxError, type OnnxDecodeOptions, type OnnxModel, type OnnxNode } from './decode.js';
import { asFloat32, DT } from './tensor.js';
import { FoldError } from './fold.js';
import { fuseModel, type ModelSpec } from '../fuse.js';
import { BatchAxisError, count, ImportState, type OnnxImportMode } from './state.js';
import { FOLDABLE_OPS, foldNode, ONNX_OPS } from './ops/index.js';
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
  constructor(
    source: string,
    message: string,
    readonly shape: number[],
  ) {
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
export function foldConstantGraph(
  model: OnnxModel,
  source = 'model',
  options: { maxModelBytes?: number } = {},
): OnnxConstantGraph | null {
  const [input, ...more] = model.inputs;
  const empty = input && !more.length && input.shape.every((d) => d >= 0) && count(input.shape) === 0;
  return model.inputs.length === 0 || empty
    ? constants(new ImportState(model, source, 'whole', options.maxModelBytes))
    : null;
}

export function importOnnx(model: OnnxModel, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  if (options.mode) return run(new ImportState(model, source, options.mode, options.maxModelBytes), options);
  try {
    return run(new ImportState(model, source, 'batch', options.maxModelBytes), options);
  } catch (e) {
    if (!(e instanceof BatchAxisError)) throw e;
    try {
      const r = run(new ImportState(model, source, 'whole', options.maxModelBytes), options);
      r.notes.push(
        `imported in whole-tensor mode: one row is the whole ONNX tensor [${r.onnxInputShape.join(', ')}] (${e.message.replace(/^ONNX [^:]*: /, '')})`,
      );
      return r;
    } catch (whole) {
      if (
        whole instanceof OnnxError &&
        !(whole instanceof BatchAxisError) &&
        !/needs the batch axis|whole-tensor/.test(whole.message)
      )
        throw whole;
      throw e;
    }
  }
}

function run(s: ImportState, options: OnnxImportOptions): OnnxImport {
  const m = s.model;
  if (m.inputs.length !== 1) {
    s.fail(
      m.inputs.length === 0
        ? 'has no graph input (a constant graph)'
        : `has ${m.inputs.length} graph inputs (${m.inputs.map((i) => i.name).join(', ')}); exactly one activation input is supported (bind the others with constants)`,
    );
  }
  const input = m.inputs[0]!;
  const batch = s.mode === 'batch';
  if (batch && input.shape.length < 2)
    s.batchAxis(`graph input "${input.name}" has shape [${input.shape.join(', ')}], with no axis after the batch axis`);
  const rowShape = fixedInput(s, input.shape, options.inputShape, input.name);
  s.guard(() => s.bytes.checkActivation(rowShape), `graph input "${input.name}"`);
  s.staticBatch1 = batch && input.shape[0] === 1;
  s.inputShape = rowShape;
  s.integerInput = integerOf(s, input.elemType);
  s.acts.set(input.name, { node: 0, shape: rowShape });

  const outputName = m.outputs[0]!.name;
  s.finalOutput = outputName;
  s.keepFinalSoftmax = !!options.keepFinalSoftmax;
  for (const node of m.nodes) {
    s.where = `node "${node.name}" (${node.opType})`;
    importNode(s, node);
    while (s.origin.length < s.g.nodes.length) s.origin.push(s.where);
  }
  s.where = '';

  if (s.consts.has(outputName)) s.fail(`graph output "${outputName}" is a constant (it does not depend on the input)`);
  const outAct = s.acts.get(outputName);
  if (!outAct) s.fail(`graph output "${outputName}" is not computed from the graph input`);
  const extraOutputs = m.outputs.slice(1).map((o) => {
    if (s.consts.has(o.name)) s.fail(`graph output "${o.name}" is a constant (it does not depend on the input)`);
    const a = s.acts.get(o.name) ?? s.fail(`graph output "${o.name}" is not computed from the graph input`);
    return { name: o.name, node: s.node(a), shape: batch ? [-1, ...a.shape] : a.shape };
  });
  let out = s.node(outAct);
  // The first output is the model's (explained) output, the last node: an identity graph, or one
  // whose first output is not computed last, ends in a view of it.
  if (out === 0 || out !== s.g.nodes.length - 1)
    out = s.g.reshape(s.uniqueName(`${outputName}_output`), out, [...outAct.shape]);
  const last = s.g.nodes.length - 1;
  s.checkNoDeadNodes([last, ...extraOutputs.map((o) => o.node)]);

  const shapes = s.shapes();
  const outShape = shapes[last]!;
  const linears = s.g.nodes.map((n, i) => (n.kind === 'linear' ? i : -1)).filter((i) => i >= 0);
  const lastLinear = linears.length ? s.g.nodes[linears[linears.length - 1]!]! : null;
  const representationNode = lastLinear && lastLinear.kind === 'linear' ? lastLinear.input : last - 1;
  const info = {
    name: options.name ?? 'onnx',
    inputShape: rowShape,
    numClasses: count(outShape),
    representationNode,
    classNames: options.classNames,
    ...declareInput(options.input, rowShape, options.name ?? 'onnx'),
  };
  // an ONNX value names a node when the node holds exactly it (not a pending pad or view)
  const valueNames = new Map(
    [...s.acts]
      .filter(([, a]) => a.node > 0 && !a.pad && shapes[a.node]!.join() === a.shape.join())
      .map(([k, a]) => [k, a.node]),
  );
  const spec: ModelSpec = { nodes: s.g.nodes.map((n) => ({ ...n })), params: s.params, info, valueNames };
  s.checkWeightRange();
  // Fusing renumbers nodes: a graph with extra outputs keeps one node per op.
  return {
    spec: options.fuse === false || extraOutputs.length ? spec : fuseModel(spec),
    extraOutputs,
    outputBatchStrides: m.outputs.map((o) => s.indexStrides.get(o.name) ?? 0),
    notes: s.notes,
    mode: s.mode,
    onnxInputShape: batch ? [-1, ...rowShape] : rowShape,
    onnxOutputShape: batch ? [-1, ...outAct.shape] : outAct.shape,
  };
}

/** The input's shape per row (batch mode) or whole, its free sizes fixed by `given` (sizes after N). */
function fixedInput(s: ImportState, declared: number[], given: readonly number[] | undefined, name: string): number[] {
  const batch = s.mode === 'batch';
  const shape = batch ? declared.slice(1) : [...declared];
  const what = `graph input "${name}" has shape [${declared.join(', ')}]`;
  if (given !== undefined) {
    const full =
      !batch && given.length === declared.length - 1 ? [declared[0]! > 0 ? declared[0]! : 1, ...given] : [...given];
    const fits =
      full.length === shape.length &&
      full.every((d, i) => Number.isSafeInteger(d) && d > 0 && (shape[i]! < 0 || shape[i] === d));
    if (!fits)
      s.fail(
        `inputShape [${given.join(', ')}] does not fit: ${what} (give its sizes after N, with the fixed ones as declared)`,
      );
    return full;
  }
  if (shape.length === 0 || shape.some((d) => d === 0) || (!batch && shape.some((d) => d < 0)))
    s.fail(
      `${what}; ${batch ? 'the sizes after N must be fixed and positive' : 'whole-tensor mode needs every size fixed and positive'}`,
    );
  if (shape.some((d) => d < 0)) {
    throw new FreeInputSizesError(
      s.source,
      `${what}: its free sizes after N must be fixed (inputShape / --input-shape, e.g. ${shape.map((d) => (d > 0 ? d : 'S')).join(',')})`,
      [...declared],
    );
  }
  return shape;
}

function constants(s: ImportState): OnnxConstantGraph {
  const input = s.model.inputs[0];
  const why = input
    ? `the graph input "${input.name}" is empty ([${input.shape.join(', ')}])`
    : 'the graph has no input';
  if (input)
    s.consts.set(input.name, {
      shape: [...input.shape],
      data: new Float64Array(0),
      dtype: integerOf(s, input.elemType) ? 'int' : 'float',
    });
  for (const node of s.model.nodes) {
    s.where = `node "${node.name}" (${node.opType})`;
    const inputs = node.inputs.filter((i) => i !== '');
    if (!FOLDABLE_OPS.has(node.opType) || !inputs.every((i) => s.consts.has(i)))
      s.fail(`${s.where}: ${why}, so every node must fold to a constant, and this op does not`);
    fold(s, node);
  }
  const outputs = s.model.outputs.map((o) => {
    const t = s.consts.get(o.name) ?? s.fail(`graph output "${o.name}" is not computed (${why})`);
    return { name: o.name, shape: [...t.shape], data: asFloat32(t, `graph output "${o.name}"`, s.source) };
  });
  return { inputShape: input ? [...input.shape] : [], outputs };
}

function integerOf(s: ImportState, elemType: number): boolean {
  return ![DT.FLOAT, DT.DOUBLE, DT.FLOAT16].includes(elemType as 1);
}

/** One node: folded where it can be and all its inputs are constants, else built by its table entry. */
function importNode(s: ImportState, node: OnnxNode): void {
  const inputs = node.inputs.filter((i) => i !== '');
  const op = ONNX_OPS.get(node.opType);
  if (op?.fold && inputs.every((i) => s.consts.has(i))) return fold(s, node);
  if (!op?.build)
    s.fail(`${s.where}: op ${node.opType} reads an activation; it is only folded where all its inputs are constants`);
  op.build(s, node);
}

function fold(s: ImportState, node: OnnxNode): void {
  try {
    const outs = foldNode(
      node,
      node.inputs.map((i) => (i === '' ? undefined : s.consts.get(i))),
      s.model.opset,
      (shape, b) => s.bytes.reserve(shape, b),
    );
    outs.forEach((t, k) => node.outputs[k] && s.consts.set(node.outputs[k]!, t));
  } catch (e) {
    if (e instanceof FoldError || e instanceof ModelBytesError) s.fail(`${s.where}: ${e.message}`);
    throw e;
  }
}
