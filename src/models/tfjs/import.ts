/**
 * TF.js graph model (`model.json` + weights) → model graph + parameters, in pathlight's NCHW.
 * TF activations are NHWC; every 4-D activation is kept as NCHW here and each op is rewritten for
 * it: conv filters HWIO → OIHW, depthwise HW·C·M → [C·M, 1, KH, KW] with groups = C, constants
 * and axes permuted, and a flatten in HWC order becomes the CHW flatten with the next dense
 * layer's weight rows permuted (no transpose at run time). Only where that is impossible (a
 * reshape to another 4-D shape, a mean or concat mixing layouts) is a transpose node emitted.
 * SAME padding is computed from the static input size (TF puts the odd pad at the bottom / right).
 * A final Softmax or Sigmoid is dropped: models are explained on logits (`output: 'prob'` for
 * probabilities); `predict` keeps it (`keepFinalActivation`). Everything else unknown is refused,
 * naming the op and the node. The graph is walked without recursion, and a cycle (a node reading
 * itself included) is refused, naming its nodes.
 */
import { GraphBuilder, type UnaryOp } from '../../nn/graph.js';
import { GraphShapeError, inferShapes } from '../../nn/shapes.js';
import type { BinaryOp } from '../../ops/broadcast.js';
import type { InputDeclaration } from '../../nn/model.js';
import { declareInput } from '../../data/preprocess.js';
import { fuseModel, type ModelSpec, type ParamValues } from '../fuse.js';
import { ModelBytes, ModelBytesError } from '../model-bytes.js';
import { weightRangeNote } from '../weight-range.js';
import { attr, readTfjsWeights, TfjsError, type TfjsModelJson, type TfjsNode, type TfjsTensor } from './format.js';

/** A model's image input, declared per model (ModelInfo.preprocess; data/preprocess.ts). */
export type InputPreprocess = InputDeclaration;

export interface TfjsImportOptions {
  /** names the model in errors and in ModelInfo (default: 'tfjs') */
  name?: string;
  classNames?: readonly string[];
  /** the model's image input: affine map, channel order, gray, resize (see InputDeclaration) */
  input?: InputDeclaration;
  /** fold batch norms / fuse epilogues (default true) */
  fuse?: boolean;
  /** the input's sizes after N as pathlight takes them ([C, H, W] or [D]): fixes free (-1) sizes of the Placeholder */
  inputShape?: readonly number[];
  /** keep a final Softmax / Sigmoid as the model's last node (predict) instead of dropping it (explain) */
  keepFinalActivation?: boolean;
  /** the load-time limit on each weight and their total, and on one row of an activation, in bytes (default 1 GiB) */
  maxModelBytes?: number;
}

/** A Placeholder with free sizes after N and no inputShape; `shape`: the input in pathlight's order, [-1, C, H, W] or [-1, D], -1 where free. */
export class TfjsFreeInputSizesError extends TfjsError {
  constructor(source: string, message: string, readonly shape: number[]) {
    super(source, message);
  }
}

export interface TfjsImport {
  spec: ModelSpec;
  /** what the import changed that a user may want to know (a dropped final Softmax) */
  notes: string[];
}

export function importTfjs(json: TfjsModelJson, weightBytes: Uint8Array, options: TfjsImportOptions & { source?: string } = {}): TfjsImport {
  const source = options.source ?? 'model.json';
  if (!json || typeof json !== 'object' || !Array.isArray(json.modelTopology?.node) || !Array.isArray(json.weightsManifest)) {
    throw new TfjsError(source, 'not a TF.js graph model (expected modelTopology.node and weightsManifest)');
  }
  const limit = new ModelBytes(options.maxModelBytes);
  return new Importer(json, readTfjsWeights(json, weightBytes, source, limit), source, limit).run(options);
}

/**
 * An imported value. `nchw`: a 4-D NHWC TF tensor held as NCHW. `hwc`: a TF [N, H·W·C] flatten of
 * the NCHW node `node`, not materialised (a MatMul absorbs it by permuting its weight rows).
 */
interface Value {
  node: number;
  nchw: boolean;
  hwc?: [number, number, number];
}

/** TF's NHWC axis (1…3) → the per-row axis of the NCHW row [C, H, W]. */
const NHWC_TO_ROW = [-1, 1, 2, 0];
const ACTIVATIONS: Record<string, UnaryOp | 'relu'> = {
  Relu: 'relu',
  Relu6: { fn: 'clip', min: 0, max: 6 },
  Sigmoid: { fn: 'sigmoid' },
  Tanh: { fn: 'tanh' },
  Elu: { fn: 'elu', alpha: 1 },
};
const ARITHMETIC: Record<string, BinaryOp> = { BiasAdd: 'add', Add: 'add', AddV2: 'add', Sub: 'sub', Mul: 'mul', RealDiv: 'div' };
const PASS_THROUGH = new Set(['Identity', 'StopGradient', 'Snapshot']);

class Importer {
  private readonly g = new GraphBuilder();
  private readonly params: ParamValues = new Map();
  private readonly nodes = new Map<string, TfjsNode>();
  private readonly values = new Map<string, Value>();
  private readonly notes: string[] = [];
  /** TF names that are the graph output or pass straight through to it (a Softmax there is dropped) */
  private readonly outputChain = new Set<string>();
  private readonly tfView = new Map<number, number>();
  private shapeCache: number[][] = [];
  /** how many node inputs read each TF value */
  private readonly tfReaders = new Map<string, number>();

  constructor(
    private readonly json: TfjsModelJson,
    private readonly weights: Map<string, TfjsTensor>,
    private readonly source: string,
    private readonly limit: ModelBytes,
  ) {
    for (const n of json.modelTopology.node) this.nodes.set(n.name, n);
    for (const n of json.modelTopology.node) for (const i of n.input ?? []) this.tfReaders.set(ref(i), (this.tfReaders.get(ref(i)) ?? 0) + 1);
  }

  run(options: TfjsImportOptions): TfjsImport {
    this.checkAcyclic();
    const output = this.outputName();
    for (let name: string | undefined = output; name; ) {
      this.outputChain.add(name);
      const n = this.nodes.get(name);
      if (!n) break;
      name = PASS_THROUGH.has(n.op) ? ref(n.input?.[0] ?? '') : undefined;
    }
    this.keepFinal = !!options.keepFinalActivation;
    this.givenInput = options.inputShape;
    for (const n of this.order(output)) this.importNode(n);
    const out = this.features(this.value(output, 'the graph output'));
    if (out === 0) this.fail('the graph has no layers');
    const last = this.g.nodes.length - 1;
    if (out !== last) this.fail(`the graph output "${output}" is not the last value computed`);
    const outShape = this.shape(last);
    if (outShape.length !== 1) this.fail(`the output "${output}" has shape [N, ${outShape.join(', ')}]; expected [N, classes]`);
    const lastLinear = [...this.g.nodes].reverse().find((n) => n.kind === 'linear');
    const info = {
      name: options.name ?? 'tfjs',
      inputShape: this.shape(0),
      numClasses: outShape[0]!,
      representationNode: lastLinear?.kind === 'linear' ? lastLinear.input : last - 1,
      ...(options.classNames ? { classNames: options.classNames } : {}),
      ...declareInput(options.input, this.shape(0), options.name ?? 'tfjs'),
    };
    const spec: ModelSpec = { nodes: this.g.nodes.map((n) => ({ ...n })), params: this.params, info };
    this.checkWeightRange();
    return { spec: options.fuse === false ? spec : fuseModel(spec), notes: this.notes };
  }

  /** The signature's single output, else the single node nobody reads. */
  private outputName(): string {
    const sig = this.json.signature ?? this.json.userDefinedMetadata?.signature;
    const declared = Object.entries(sig?.outputs ?? {}).map(([k, v]) => ref(v.name ?? k));
    const read = new Set([...this.nodes.values()].flatMap((n) => (n.input ?? []).map(ref)));
    const outputs = declared.length ? declared : [...this.nodes.values()].filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
    if (outputs.length !== 1) this.fail(`has ${outputs.length} outputs (${outputs.join(', ')}); exactly one (the logits or probabilities) is supported`);
    if (!this.nodes.has(outputs[0]!)) this.fail(`the signature's output "${outputs[0]}" is not a node of the graph`);
    return outputs[0]!;
  }

  /** A node's data inputs (control inputs `^name` skipped), as node names. */
  private dataInputs(n: TfjsNode): string[] {
    return (n.input ?? []).filter((i) => !i.startsWith('^')).map(ref);
  }

  /**
   * Every node of the graph, whether the output reads it or not, is on no cycle: a cycle has no
   * order to compute it in, and one off the output's path would hide which node is the output.
   * Depth-first with an explicit stack (a chain of thousands of nodes is no problem).
   */
  private checkAcyclic(): void {
    const state = new Map<string, 'open' | 'done'>();
    for (const root of this.nodes.keys()) {
      if (state.has(root)) continue;
      const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
      state.set(root, 'open');
      while (stack.length) {
        const top = stack[stack.length - 1]!;
        const inputs = this.dataInputs(this.nodes.get(top.name)!);
        if (top.next === inputs.length) {
          state.set(top.name, 'done');
          stack.pop();
          continue;
        }
        const next = inputs[top.next++]!;
        if (!this.nodes.has(next) || state.get(next) === 'done') continue;
        if (state.get(next) === 'open') {
          if (next === top.name) this.fail(`node "${next}" (${this.nodes.get(next)!.op}) reads its own output: the graph has a cycle`);
          const cycle = stack.slice(stack.findIndex((f) => f.name === next)).map((f) => `"${f.name}"`);
          this.fail(`the graph has a cycle: ${[...cycle, `"${next}"`].join(' reads ')}`);
        }
        state.set(next, 'open');
        stack.push({ name: next, next: 0 });
      }
    }
  }

  /** The nodes the output depends on, inputs first (the JSON's order is not topological; the graph is acyclic). */
  private order(output: string): TfjsNode[] {
    const done = new Set<string>([output]);
    const out: TfjsNode[] = [];
    const stack: { node: TfjsNode; next: number }[] = [{ node: this.nodes.get(output)!, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const inputs = this.dataInputs(top.node);
      if (top.next === inputs.length) {
        out.push(top.node);
        stack.pop();
        continue;
      }
      const name = inputs[top.next++]!;
      if (done.has(name)) continue;
      const n = this.nodes.get(name);
      if (!n) this.fail(`node "${top.node.name}" reads "${name}", which is not in the graph`);
      done.add(name);
      stack.push({ node: n, next: 0 });
    }
    return out;
  }

  /** A parameter beyond float32's range (±Inf, e.g. dequantised past it) or NaN is refused, naming it; one near the limit is noted. */
  private checkWeightRange(): void {
    for (const [name, p] of this.params) {
      try {
        const note = weightRangeNote(name, p.data);
        if (note) this.notes.push(note);
      } catch (e) {
        this.fail((e as Error).message);
      }
    }
  }

  private importNode(n: TfjsNode): void {
    const where = `node "${n.name}" (${n.op})`;
    const set = (v: Value | number): void => void this.values.set(n.name, typeof v === 'number' ? { node: v, nchw: false } : v);
    const op = n.op;
    if (op === 'Const') {
      if (!this.weights.has(n.name)) this.fail(`${where}: no weight of that name in weightsManifest`);
      return;
    }
    if (op === 'Placeholder') return set(this.placeholder(n, where));
    if (PASS_THROUGH.has(op)) return this.isConst(n, 0) ? void this.weights.set(n.name, this.constant(n, 0, where)) : set(this.input(n, 0, where));
    if ((op === 'Softmax' || op === 'Sigmoid') && this.outputChain.has(n.name) && !this.keepFinal) {
      this.notes.push(`dropped the final ${op} (${n.name}): the model is explained on logits; use output 'prob' to explain probabilities`);
      return set(this.input(n, 0, where));
    }
    if (Object.hasOwn(ACTIVATIONS, op)) return set(this.activation(n.name, this.input(n, 0, where), ACTIVATIONS[op]!));
    if (op === 'LeakyRelu') return set(this.activation(n.name, this.input(n, 0, where), { fn: 'leakyrelu', alpha: attr.float(n, 'alpha', 0.2) }));
    if (op === 'Prelu') return set(this.prelu(n.name, this.input(n, 0, where), this.constant(n, 1, where)));
    switch (op) {
      case 'Conv2D':
      case '_FusedConv2D':
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return set(this.conv(n, where));
      case 'MatMul':
      case '_FusedMatMul':
        return set(this.matmul(n, where));
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
        return set(this.arithmetic(n, ARITHMETIC[op]!, where));
      case 'FusedBatchNorm':
      case 'FusedBatchNormV3':
        return set(this.batchNorm(n, where));
      case 'MaxPool':
      case 'AvgPool':
        return set(this.pool(n, where));
      case 'Mean':
        return set(this.mean(n, where));
      case 'Reshape':
        return set(this.reshape(n.name, this.input(n, 0, where), [...this.constant(n, 1, where).data], where));
      case 'Squeeze':
        return set(this.squeeze(n, where));
      case 'Pad':
      case 'PadV2':
        return set(this.pad(n, where));
      case 'ConcatV2':
        return set(this.concat(n, where));
      case 'Softmax': {
        const x = this.input(n, 0, where);
        return set(x.nchw ? { node: this.g.softmax(n.name, x.node, { axis: 0 }), nchw: true } : this.g.softmax(n.name, this.features(x)));
      }
      default:
        this.fail(`${where}: op ${op} is not supported by the TF.js importer`);
    }
  }

  private placeholder(n: TfjsNode, where: string): Value {
    if (this.g.nodes.length > 1 || this.values.size > 0) this.fail(`${where}: a second graph input; exactly one is supported`);
    const dims = (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
    let row = dims.slice(1);
    const given = this.givenInput;
    if (given) {
      const tfRow = given.length === 3 ? [given[1]!, given[2]!, given[0]!] : [...given];
      if (tfRow.length !== row.length || tfRow.some((d, i) => !(Number.isSafeInteger(d) && d > 0) || (row[i]! > 0 && row[i] !== d))) {
        this.fail(`${where}: inputShape [${given.join(', ')}] does not fit the input shape [${dims.join(', ')}] (give [C, H, W] or [D], with the fixed sizes as declared)`);
      }
      row = tfRow;
    }
    if ((dims.length === 2 || dims.length === 4) && row.every((d) => d > 0 || d === -1) && row.some((d) => d === -1)) {
      const declared = row.length === 3 ? [-1, row[2]!, row[0]!, row[1]!] : [-1, ...row];
      throw new TfjsFreeInputSizesError(this.source, `${where}: input shape [${dims.join(', ')}] has free sizes after N: fix them with inputShape / --input-shape (C,H,W or D; here ${declared.slice(1).map((d) => (d > 0 ? d : 'S')).join(',')})`, declared);
    }
    if ((dims.length !== 2 && dims.length !== 4) || row.some((d) => !(d > 0))) {
      this.fail(`${where}: input shape [${dims.join(', ')}]; expected [N, H, W, C] or [N, D] with fixed sizes after N${row.some((d) => d < 0) ? ' (fix the free ones with inputShape / --input-shape)' : ''}`);
    }
    this.inputRow = row.length === 3 ? [row[2]!, row[0]!, row[1]!] : row;
    return { node: 0, nchw: row.length === 3 };
  }

  private inputRow: number[] = [];
  private keepFinal = false;
  private givenInput: readonly number[] | undefined;

  // ---- convolutions and dense layers

  private conv(n: TfjsNode, where: string): Value {
    this.checkNhwc(n, where);
    const depthwise = n.op.includes('Depthwise');
    const x = this.nchw(this.input(n, 0, where), where);
    const [inC, h, w] = this.shape(x) as [number, number, number];
    const f = this.constant(n, 1, where);
    if (f.shape.length !== 4) this.fail(`${where}: filter has shape [${f.shape.join(', ')}], expected [KH, KW, Cin, Cout]`);
    const [kh, kw, fc, m] = f.shape as [number, number, number, number];
    // TF.js runs no grouped convolutions: a Conv2D filter spans every input channel
    if (fc !== inC) this.fail(`${where}: a filter for ${fc} input channels on an input with ${inC}`);
    const groups = depthwise ? inC : 1;
    const outC = depthwise ? inC * m : m;
    const stride = this.spatial(n, 'strides', where);
    const dilation = this.spatial(n, 'dilations', where);
    const padding = this.padding(n, [h, w], [kh, kw], stride, dilation, where);
    // HWIO → OIHW; depthwise [KH, KW, C, M] → [C·M, 1, KH, KW] (out channel c·M + k): the same index map with O = c·M + k
    const weight = new Float32Array(f.data.length);
    const perGroup = depthwise ? 1 : fc;
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < fc; c++) for (let o = 0; o < m; o++) {
      const [oc, ic] = depthwise ? [c * m + o, 0] : [o, c];
      weight[((oc * perGroup + ic) * kh + i) * kw + j] = f.data[((i * kw + j) * fc + c) * m + o]!;
    }
    const { bias, after } = this.fused(n, outC, where);
    const idx = this.g.conv2d(n.name, x, inC, outC, [kh, kw], { stride, padding, dilation, groups, bias: !!bias, relu: after === 'relu' });
    this.params.set(`${n.name}.weight`, { shape: [outC, perGroup, kh, kw], data: weight });
    if (bias) this.params.set(`${n.name}.bias`, { shape: [outC], data: bias });
    return this.fusedActivation(n, { node: idx, nchw: true }, after, where);
  }

  private matmul(n: TfjsNode, where: string): Value {
    if (attr.bool(n, 'transpose_a', false)) this.fail(`${where}: transpose_a is not supported`);
    const a = this.input(n, 0, where);
    const b = this.constant(n, 1, where, 'a constant weight (activation × activation is not supported)');
    if (b.shape.length !== 2) this.fail(`${where}: weight has shape [${b.shape.join(', ')}], expected 2-D`);
    const tb = attr.bool(n, 'transpose_b', false);
    const [inF, outF] = (tb ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
    // pathlight's linear weight is [out, in]; a pending HWC flatten reads its rows in CHW order
    const hwc = a.hwc;
    const x = hwc ? this.g.flatten(`${n.name}/flatten`, a.node) : this.features(a);
    const row = (k: number): number => {
      if (!hwc) return k;
      const [c, h, w] = hwc;
      const ch = Math.floor(k / (h * w)), p = k % (h * w);
      return p * c + ch; // CHW index k → the HWC index TF flattened it to
    };
    const have = this.shape(x)[0];
    if (this.shape(x).length !== 1 || have !== inF) this.fail(`${where}: multiplies [N, ${this.shape(x).join(', ')}] by a [${inF}, ${outF}] weight`);
    const weight = new Float32Array(inF * outF);
    for (let o = 0; o < outF; o++) for (let k = 0; k < inF; k++) weight[o * inF + k] = b.data[tb ? o * inF + row(k) : row(k) * outF + o]!;
    const { bias, after } = this.fused(n, outF, where);
    const idx = this.g.linear(n.name, x, inF, outF, { bias: !!bias, relu: after === 'relu' });
    this.params.set(`${n.name}.weight`, { shape: [outF, inF], data: weight });
    if (bias) this.params.set(`${n.name}.bias`, { shape: [outF], data: bias });
    return this.fusedActivation(n, { node: idx, nchw: false }, after, where);
  }

  /** A fused op's bias (its first extra input) and activation. */
  private fused(n: TfjsNode, channels: number, where: string): { bias: Float32Array | null; after: string | null } {
    if (!n.op.startsWith('_Fused') && !n.op.startsWith('Fused')) return { bias: null, after: null };
    const ops = attr.strings(n, 'fused_ops');
    const known = ['BiasAdd', 'Relu', 'Relu6', 'Prelu', 'LeakyRelu', 'Elu', 'Sigmoid', 'Tanh'];
    const bad = ops.find((o, k) => !known.includes(o) || (o === 'BiasAdd') !== (k === 0));
    if (bad || ops.length > 2 || ops.length === 0) this.fail(`${where}: fused_ops [${ops.join(', ')}] are not supported (BiasAdd, then optionally one of ${known.slice(1).join(', ')})`);
    let bias: Float32Array | null = null;
    if (ops[0] === 'BiasAdd') {
      bias = this.constant(n, 2, where).data;
      if (bias.length !== channels) this.fail(`${where}: bias has ${bias.length} values for ${channels} channels`);
    }
    return { bias, after: ops[ops.length - 1] === 'BiasAdd' ? null : ops[ops.length - 1]!.toLowerCase() };
  }

  private fusedActivation(n: TfjsNode, v: Value, after: string | null, where: string): Value {
    if (after === null || after === 'relu') return v;
    if (after === 'prelu') return this.prelu(`${n.name}/prelu`, v, this.constant(n, 3, where));
    const op = after === 'leakyrelu' ? { fn: 'leakyrelu' as const, alpha: attr.float(n, 'leakyrelu_alpha', 0.2) } : ACTIVATIONS[{ relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', tanh: 'Tanh' }[after]!]!;
    return this.activation(`${n.name}/${after}`, v, op);
  }

  private activation(name: string, x: Value, op: UnaryOp | 'relu'): Value {
    // elementwise: a pending HWC flatten stays pending (the node runs on its NCHW source)
    const idx = op === 'relu' ? this.g.relu(name, x.node) : this.g.unary(name, x.node, op);
    return { ...x, node: idx };
  }

  private prelu(name: string, x: Value, slope: TfjsTensor): Value {
    const v = this.materialised(x);
    const c = this.constantFor(v, slope, name);
    const idx = this.g.prelu(name, v.node, c.shape);
    this.params.set(`${name}.weight`, c);
    return { ...v, node: idx };
  }

  // ---- arithmetic

  private arithmetic(n: TfjsNode, op: BinaryOp, where: string): Value {
    const [c0, c1] = [this.isConst(n, 0), this.isConst(n, 1)];
    if (c0 && c1) this.fail(`${where}: both operands are constants`);
    if (!c0 && !c1) {
      const [a, b] = [this.materialised(this.input(n, 0, where)), this.materialised(this.input(n, 1, where))];
      const both = a.nchw && b.nchw;
      const [x, y] = both ? [a.node, b.node] : [this.features(a), this.features(b)];
      const same = this.shape(x).join() === this.shape(y).join();
      return { node: op === 'add' && same ? this.g.add(n.name, x, y) : this.g.binary(n.name, x, y, op), nchw: both };
    }
    const x = this.materialised(this.input(n, c0 ? 1 : 0, where));
    const c = this.constant(n, c0 ? 0 : 1, where);
    if (op === 'add' && this.foldBias(x, this.inputName(n, c0 ? 1 : 0), c)) return x;
    const v = this.constantFor(x, c, where);
    const idx = this.g.constant(n.name, x.node, v.shape, op, c0);
    this.params.set(`${n.name}.value`, v);
    return { ...x, node: idx };
  }

  /** A per-channel constant added to a bias-free conv / dense layer read by nothing else becomes its bias. */
  private foldBias(x: Value, from: string, c: TfjsTensor): boolean {
    const producer = this.g.nodes[x.node]!;
    if ((producer.kind !== 'conv2d' && producer.kind !== 'linear') || producer.name !== from || producer.bias || producer.relu || this.tfReaders.get(from) !== 1) return false;
    const channels = this.g.paramShapes.get(producer.weight)![0]!;
    if (c.data.length !== channels || c.shape[c.shape.length - 1] !== channels) return false;
    producer.bias = `${producer.name}.bias`;
    this.g.paramShapes.set(producer.bias, [channels]);
    this.params.set(producer.bias, { shape: [channels], data: c.data });
    return true;
  }

  /** A TF constant broadcast against `x`, in x's layout (NHWC → NCHW), as a per-row shape. */
  private constantFor(x: Value, c: TfjsTensor, where: string): TfjsTensor {
    const rowRank = this.shape(x.node).length;
    let shape = c.shape.length === 0 ? [1] : [...c.shape];
    let data = c.data;
    if (x.nchw) {
      if (shape.length > 4) this.fail(`${where}: a constant of shape [${c.shape.join(', ')}] on a 4-D activation`);
      while (shape.length < 4) shape.unshift(1);
      const [a, h, w, ch] = shape as [number, number, number, number];
      data = new Float32Array(data.length);
      for (let i = 0; i < a; i++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) for (let k = 0; k < ch; k++) data[((i * ch + k) * h + y) * w + z] = c.data[((i * h + y) * w + z) * ch + k]!;
      shape = [a, ch, h, w];
    }
    if (shape.length > rowRank) {
      if (shape[0] !== 1 || shape.length > rowRank + 1) this.fail(`${where}: a constant of shape [${c.shape.join(', ')}] does not broadcast per image`);
      shape = shape.slice(1);
    }
    return { shape, data };
  }

  private batchNorm(n: TfjsNode, where: string): Value {
    this.checkNhwc(n, where);
    if (attr.bool(n, 'is_training', false)) this.fail(`${where}: is_training=true; export the model for inference`);
    const x = this.nchw(this.input(n, 0, where), where);
    const c = this.shape(x)[0]!;
    const idx = this.g.batchNorm(n.name, x, c, { eps: attr.float(n, 'epsilon', 1e-4) });
    ['weight', 'bias', 'running_mean', 'running_var'].forEach((s, k) => {
      const t = this.constant(n, k + 1, where);
      if (t.data.length !== c) this.fail(`${where}: ${s} has ${t.data.length} values for ${c} channels`);
      this.params.set(`${n.name}.${s}`, { shape: [c], data: t.data });
    });
    return { node: idx, nchw: true };
  }

  // ---- pooling, means and layout

  private pool(n: TfjsNode, where: string): Value {
    this.checkNhwc(n, where);
    const x = this.nchw(this.input(n, 0, where), where);
    const [, h, w] = this.shape(x) as [number, number, number];
    const kernel = this.spatial(n, 'ksize', where);
    const stride = this.spatial(n, 'strides', where);
    const padding = this.padding(n, [h, w], kernel, stride, [1, 1], where);
    // TF's average divides by the taps inside the input (SAME's padding is not counted)
    const idx = n.op === 'MaxPool' ? this.g.maxPool(n.name, x, { kernel, stride, padding }) : this.g.avgPool(n.name, x, { kernel, stride, padding, countIncludePad: false });
    return { node: idx, nchw: true };
  }

  private mean(n: TfjsNode, where: string): Value | number {
    const x = this.materialised(this.input(n, 0, where));
    const keep = attr.bool(n, 'keep_dims', false);
    const tfRank = this.shape(x.node).length + 1;
    const axes = [...new Set([...this.constant(n, 1, where).data].map((a) => (a < 0 ? a + tfRank : a)))];
    if (axes.some((a) => !(a >= 1 && a < tfRank && Number.isInteger(a)))) this.fail(`${where}: a mean over axes [${[...this.constant(n, 1, where).data].join(', ')}] (the batch axis, or out of range)`);
    const spatial = axes.length === 2 && axes.includes(1) && axes.includes(2);
    if (x.nchw && spatial && !keep) return this.g.globalAvgPool(n.name, x.node);
    if (x.nchw && keep) return { node: this.g.reduceMean(n.name, x.node, axes.map((a) => NHWC_TO_ROW[a]!), true), nchw: true };
    return this.g.reduceMean(n.name, this.tfOrder(x), axes.map((a) => a - 1), keep);
  }

  /** `target`: the TF shape, batch axis first (-1 or any: the batch), one other -1 at most. */
  private reshape(name: string, x: Value, target: number[], where: string): Value | number {
    const from = this.tfShape(x);
    const size = from.reduce((p, d) => p * d, 1);
    const row = target.slice(1);
    const known = row.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const resolved = row.map((d) => (d === -1 ? size / known : d));
    if (target.length < 1 || row.filter((d) => d === -1).length > 1 || resolved.some((d) => !(Number.isInteger(d) && d >= 1)) || resolved.reduce((p, d) => p * d, 1) !== size) {
      this.fail(`${where}: cannot reshape [N, ${from.join(', ')}] to [${target.join(', ')}]`);
    }
    if (x.nchw && resolved.join() === from.join()) return x;
    if (x.nchw && resolved.length === 1) {
      const [c, h, w] = this.shape(x.node) as [number, number, number];
      // C = 1 or H = W = 1: HWC and CHW orders agree
      return c > 1 && h * w > 1 ? { node: x.node, nchw: false, hwc: [c, h, w] } : this.g.flatten(name, x.node);
    }
    if (x.hwc) return resolved.length === 1 ? x : this.g.reshape(name, this.features(x), resolved);
    const src = this.features(x);
    return this.shape(src).join() === resolved.join() ? src : this.g.reshape(name, src, resolved);
  }

  private squeeze(n: TfjsNode, where: string): Value | number {
    const x = this.input(n, 0, where);
    const shape = this.tfShape(x);
    const dims = attr.ints(n, 'squeeze_dims', attr.ints(n, 'axis', [])).map((a) => (a < 0 ? a + shape.length + 1 : a));
    if (dims.some((a) => a === 0 || shape[a - 1] !== 1)) this.fail(`${where}: squeeze_dims [${dims.join(', ')}] of [N, ${shape.join(', ')}] are not unit axes after the batch`);
    const kept = shape.filter((d, k) => (dims.length ? !dims.includes(k + 1) : d !== 1));
    return this.reshape(n.name, x, [-1, ...kept], where);
  }

  private pad(n: TfjsNode, where: string): Value {
    const x = this.materialised(this.input(n, 0, where));
    const p = [...this.constant(n, 1, where).data];
    const value = n.op === 'PadV2' ? this.constant(n, 2, where).data[0]! : 0;
    const rank = this.shape(x.node).length + 1;
    if (p.length !== 2 * rank || p[0] !== 0 || p[1] !== 0) this.fail(`${where}: paddings [${p.join(', ')}] must be ${rank} [begin, end] pairs, the batch axis unpadded`);
    const tfAxisOf = (rowAxis: number): number => (x.nchw ? NHWC_TO_ROW.indexOf(rowAxis) : rowAxis + 1);
    const begins = Array.from({ length: rank - 1 }, (_, k) => p[2 * tfAxisOf(k)]!);
    const ends = Array.from({ length: rank - 1 }, (_, k) => p[2 * tfAxisOf(k) + 1]!);
    return { node: this.g.pad(n.name, x.node, [...begins, ...ends], value), nchw: x.nchw };
  }

  private concat(n: TfjsNode, where: string): Value | number {
    const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
    const count = attr.int(n, 'N', inputs.length - 1);
    const values = Array.from({ length: count }, (_, k) => this.materialised(this.input(n, k, where)));
    const tfRank = this.shape(values[0]!.node).length + 1;
    const axis0 = this.constant(n, count, where).data[0]!;
    const axis = axis0 < 0 ? axis0 + tfRank : axis0;
    if (!(axis >= 1 && axis < tfRank)) this.fail(`${where}: concat on axis ${axis0} (the batch axis, or out of range)`);
    if (values.every((v) => v.nchw)) return { node: this.g.concat(n.name, values.map((v) => v.node), NHWC_TO_ROW[axis]!), nchw: true };
    return this.g.concat(n.name, values.map((v) => this.tfOrder(v)), axis - 1);
  }

  // ---- values and layouts

  /** The node holding `x` in TF's own axis order (a transpose of an NCHW value, cached). */
  private tfOrder(x: Value): number {
    if (x.hwc) return this.features(x);
    if (!x.nchw) return x.node;
    const cached = this.tfView.get(x.node);
    if (cached !== undefined) return cached;
    const [c, h, w] = this.shape(x.node) as [number, number, number];
    const name = `${this.g.nodes[x.node]!.name}/nhwc`;
    // moving only unit axes is a reshape
    const idx = c === 1 || h * w === 1 ? this.g.reshape(name, x.node, [h, w, c]) : this.g.transpose(name, x.node, [1, 2, 0]);
    this.tfView.set(x.node, idx);
    return idx;
  }

  /** A non-4-D value in TF order: a pending HWC flatten is materialised (transpose, then flatten). */
  private features(x: Value): number {
    if (x.nchw) return this.tfOrder(x);
    if (!x.hwc) return x.node;
    const t = this.tfOrder({ node: x.node, nchw: true });
    return this.g.flatten(`${this.g.nodes[t]!.name}/flatten`, t);
  }

  private materialised(x: Value): Value {
    return x.hwc ? { node: this.features(x), nchw: false } : x;
  }

  /** A 4-D activation as NCHW (a 4-D value in TF order is transposed back). */
  private nchw(x: Value, where: string): number {
    if (x.nchw) return x.node;
    const s = this.shape(x.node);
    if (x.hwc || s.length !== 3) this.fail(`${where}: expects a 4-D [N, H, W, C] input, got [N, ${this.tfShape(x).join(', ')}]`);
    return this.g.transpose(`${this.g.nodes[x.node]!.name}/nchw`, x.node, [2, 0, 1]);
  }

  /** The TF shape of a value, batch axis excluded. */
  private tfShape(x: Value): number[] {
    if (x.hwc) return [x.hwc.reduce((a, b) => a * b, 1)];
    const s = this.shape(x.node);
    return x.nchw ? [s[1]!, s[2]!, s[0]!] : s;
  }

  private shape(node: number): number[] {
    if (this.shapeCache.length !== this.g.nodes.length) {
      try {
        const from = this.shapeCache.length;
        this.shapeCache = inferShapes(this.g.nodes, this.g.paramShapes, this.inputRow);
        for (let i = from; i < this.shapeCache.length; i++) {
          try {
            this.limit.checkActivation(this.shapeCache[i]!);
          } catch (e) {
            throw e instanceof ModelBytesError ? new GraphShapeError(i, e.message) : e;
          }
        }
      } catch (e) {
        const at = e instanceof GraphShapeError ? `node "${this.g.nodes[e.node]?.name}": ` : '';
        this.fail(`${at}${(e as Error).message}`);
      }
    }
    return this.shapeCache[node]!;
  }

  /** The k-th data input's name (control inputs `^name` skipped). */
  private inputName(n: TfjsNode, k: number): string {
    return ref((n.input ?? []).filter((i) => !i.startsWith('^'))[k] ?? '');
  }

  private input(n: TfjsNode, k: number, where: string): Value {
    const name = this.inputName(n, k);
    const v = this.values.get(name);
    if (!v) this.fail(`${where}: input ${k} ("${name}") is ${this.weights.has(name) ? 'a constant, where an activation is expected' : 'not an activation of the graph input'}`);
    return v;
  }

  private value(name: string, what: string): Value {
    const v = this.values.get(name);
    if (!v) this.fail(`${what} "${name}" is not computed from the graph input`);
    return v;
  }

  private isConst(n: TfjsNode, k: number): boolean {
    return this.weights.has(this.inputName(n, k));
  }

  private constant(n: TfjsNode, k: number, where: string, what = 'a constant'): TfjsTensor {
    const name = this.inputName(n, k);
    const t = this.weights.get(name);
    if (!t) this.fail(`${where}: input ${k} ("${name}") must be ${what}`);
    return t;
  }

  private checkNhwc(n: TfjsNode, where: string): void {
    const f = attr.string(n, 'data_format', 'NHWC');
    if (f !== 'NHWC') this.fail(`${where}: data_format ${f} is not supported (only NHWC, what TF.js runs)`);
  }

  /** An [N, H, W, C] attribute's H and W (N and C must be 1). */
  private spatial(n: TfjsNode, key: string, where: string): [number, number] {
    const v = attr.ints(n, key, [1, 1, 1, 1]);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || !(v[1]! >= 1 && v[2]! >= 1)) this.fail(`${where}: ${key} [${v.join(', ')}] must be [1, h, w, 1]`);
    return [v[1]!, v[2]!];
  }

  /** VALID, SAME (the odd pad at the end, as TF) or EXPLICIT, as [top, left, bottom, right]. */
  private padding(n: TfjsNode, size: [number, number], kernel: [number, number], stride: [number, number], dilation: [number, number], where: string): [number, number, number, number] {
    const mode = attr.string(n, 'padding', 'VALID');
    if (mode === 'VALID') return [0, 0, 0, 0];
    if (mode === 'EXPLICIT') {
      const p = attr.ints(n, 'explicit_paddings', []);
      if (p.length !== 8 || p[0] || p[1] || p[6] || p[7]) this.fail(`${where}: explicit_paddings [${p.join(', ')}] must pad H and W only`);
      return [p[2]!, p[4]!, p[3]!, p[5]!];
    }
    if (mode !== 'SAME') this.fail(`${where}: padding ${mode} is not supported`);
    const total = (k: 0 | 1): number => Math.max((Math.ceil(size[k] / stride[k]) - 1) * stride[k] + (kernel[k] - 1) * dilation[k] + 1 - size[k], 0);
    const [th, tw] = [total(0), total(1)];
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }

  private fail(message: string): never {
    throw new TfjsError(this.source, message);
  }
}

/** A node input reference without its output index (`name:0` → `name`). */
function ref(input: string): string {
  const m = /^(.*?)(?::(\d+))?$/.exec(input)!;
  return m[1]!;
}
