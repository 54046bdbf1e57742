/**
 * ONNX IR (from `decodeOnnx`) → model graph + parameters. Each ONNX op becomes one graph node
 * (Conv → conv2d, BatchNormalization → batchnorm, Gemm/MatMul → linear, ...); `fuseModel` then
 * folds BN into its conv and fuses ReLU / residual adds into epilogues, exactly as for the zoo.
 * A Softmax producing the graph output is dropped: models are explained on logits (use
 * `output: 'prob'` to explain probabilities); a Softmax elsewhere stays a softmax node.
 * The input is [N, D] (features), [N, C, L] (sequences: 1-D Conv / MaxPool / AveragePool, run as
 * planes of height 1) or [N, C, H, W] (images). Environment-free: IR in, spec out.
 */
import { GraphBuilder, nodeInputs } from '../nn/graph.js';
import { GraphShapeError, inferShapes } from '../nn/shapes.js';
import { decodeOnnx, OnnxError, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx.js';
import { fuseModel, type ModelSpec, type ParamValues } from './fuse.js';

export interface OnnxImport {
  /** the inference graph (BN folded, epilogues fused) */
  spec: ModelSpec;
  /** what the import changed that a user may want to know (e.g. a dropped final Softmax) */
  notes: string[];
}

export interface OnnxImportOptions {
  /** names the model in errors and in ModelInfo (default: 'onnx') */
  name?: string;
  classNames?: readonly string[];
  /** fold BN / fuse epilogues (default true; false keeps one node per ONNX op) */
  fuse?: boolean;
}

/** Decode and import `.onnx` bytes; `source` (e.g. the file name) prefixes every error. */
export function importOnnxBytes(bytes: Uint8Array, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  // A Node Buffer makes protobufjs hand out Buffer views whose slice() shares memory, which the
  // tensor decoder does not expect; a plain Uint8Array copy avoids that.
  const plain = bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes);
  return importOnnx(decodeOnnx(plain, source), source, options);
}

export function importOnnx(model: OnnxModel, source = 'model', options: OnnxImportOptions = {}): OnnxImport {
  return new Importer(model, source).run(options);
}

const ints = (v: OnnxAttribute | undefined, fallback: number[]): number[] => (Array.isArray(v) ? v : typeof v === 'number' ? [v] : fallback);
const num = (v: OnnxAttribute | undefined, fallback: number): number => (typeof v === 'number' ? v : fallback);

class Importer {
  private readonly g = new GraphBuilder();
  private readonly params: ParamValues = new Map();
  /** ONNX value name → graph node index */
  private readonly values = new Map<string, number>();
  private readonly notes: string[] = [];
  /** Reshape targets with an explicit feature count, checked once shapes are known */
  private readonly featureChecks: { node: number; features: number; where: string }[] = [];
  /** conv / pooling nodes and the rank of input row their kernel_shape is for ([C, L]: 2, [C, H, W]: 3) */
  private readonly rankChecks: { node: number; rank: number; where: string }[] = [];
  /** graph node index → the ONNX node it came from, for shape errors */
  private readonly origin: string[] = ['the graph input'];

  constructor(
    private readonly model: OnnxModel,
    private readonly source: string,
  ) {}

  run(options: OnnxImportOptions): OnnxImport {
    const m = this.model;
    if (m.inputs.length !== 1) this.fail(`has ${m.inputs.length} graph inputs (${m.inputs.map((i) => i.name).join(', ')}); exactly one input is supported`);
    if (m.outputs.length !== 1) this.fail(`has ${m.outputs.length} graph outputs; exactly one (the logits) is supported`);
    const input = m.inputs[0]!;
    const inputShape = input.shape.slice(1);
    if (input.shape.length < 2 || input.shape.length > 4 || inputShape.some((d) => !(d > 0))) {
      this.fail(`graph input "${input.name}" has shape [${input.shape.join(', ')}]; expected [N, D], [N, C, L] or [N, C, H, W] with fixed sizes after N`);
    }
    this.values.set(input.name, 0);

    const outputName = m.outputs[0]!.name;
    for (const node of m.nodes) {
      this.importNode(node, outputName);
      while (this.origin.length < this.g.nodes.length) this.origin.push(`node "${node.name}" (${node.opType})`);
    }

    const out = this.values.get(outputName);
    const last = this.g.nodes.length - 1;
    if (out === undefined) this.fail(`graph output "${outputName}" is not computed from the graph input`);
    if (out !== last) this.fail(`graph output "${outputName}" is not the last computed value (node '${this.g.nodes[last]!.name}' comes after it); dead branches are not supported`);
    if (out === 0) this.fail('the graph has no layers');

    const shapes = this.shapes(inputShape);
    for (const c of this.rankChecks) {
      const x = shapes[nodeInputs(this.g.nodes[c.node]!)[0]!]!;
      if (x.length !== c.rank) this.fail(`${c.where}: a ${c.rank - 1}-D kernel on an input of shape [N, ${x.join(', ')}]; expected [N, ${c.rank === 2 ? 'C, L' : 'C, H, W'}]`);
    }
    for (const c of this.featureChecks) {
      const have = shapes[c.node]!.reduce((a, b) => a * b, 1);
      if (have !== c.features) this.fail(`${c.where}: reshapes ${have} features per image to ${c.features}`);
    }
    const outShape = shapes[last]!;
    if (outShape.length !== 1) this.fail(`the output has shape [${outShape.join(', ')}] per image; expected [classes]`);
    const linears = this.g.nodes.map((n, i) => (n.kind === 'linear' ? i : -1)).filter((i) => i >= 0);
    const lastLinear = linears.length ? this.g.nodes[linears[linears.length - 1]!]! : null;
    const representationNode = lastLinear && lastLinear.kind === 'linear' ? lastLinear.input : last - 1;
    const info = { name: options.name ?? 'onnx', inputShape, numClasses: outShape[0]!, representationNode, classNames: options.classNames };
    const spec: ModelSpec = { nodes: this.g.nodes.map((n) => ({ ...n })), params: this.params, info };
    return { spec: options.fuse === false ? spec : fuseModel(spec), notes: this.notes };
  }

  private shapes(inputShape: readonly number[]): number[][] {
    try {
      return inferShapes(this.g.nodes, this.g.paramShapes, inputShape);
    } catch (e) {
      if (e instanceof GraphShapeError) return this.fail(`${this.origin[e.node]}: ${e.message}`);
      return this.fail((e as Error).message);
    }
  }

  private importNode(node: OnnxNode, outputName: string): void {
    const where = `node "${node.name}" (${node.opType})`;
    const a = node.attributes;
    const out = node.outputs[0]!;
    const define = (index: number): void => void this.values.set(out, index);
    switch (node.opType) {
      case 'Identity':
        return define(this.activation(node, 0));
      case 'Conv':
        return define(this.conv(node, where));
      case 'BatchNormalization': {
        if (node.outputs.filter((o) => o !== '').length > 1) this.fail(`${where}: training-mode outputs (running statistics) are not supported; export in eval mode`);
        const x = this.activation(node, 0);
        const scale = this.initializer(node, 1, where);
        const c = scale.shape[0]!;
        const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
        const idx = this.g.batchNorm(name, x, c, { eps: num(a.epsilon, 1e-5) });
        ['weight', 'bias', 'running_mean', 'running_var'].forEach((s, i) => this.setParam(`${name}.${s}`, this.initializer(node, i + 1, where), [c], where));
        return define(idx);
      }
      case 'Relu':
        return define(this.g.relu(this.uniqueName(node.name), this.activation(node, 0)));
      case 'Add':
        return define(this.add(node, where));
      case 'MaxPool':
      case 'AveragePool': {
        if (num(a.ceil_mode, 0) !== 0) this.fail(`${where}: ceil_mode=1 is not supported`);
        this.checkAutoPad(a, where);
        const kernel = ints(a.kernel_shape, []);
        if (kernel.length !== 1 && kernel.length !== 2) this.fail(`${where}: kernel_shape [${kernel.join(', ')}] is not 1-D or 2-D`);
        const axes = kernel.length;
        if (ints(a.dilations, []).some((d) => d !== 1)) this.fail(`${where}: dilated pooling is not supported`);
        const params = { kernel: planar(kernel), stride: planar(this.perAxis(a.strides, axes, 1, 'strides', where)), padding: this.symmetricPads(a, axes, where) };
        const x = this.activation(node, 0);
        const name = this.uniqueName(node.name);
        const idx = node.opType === 'MaxPool' ? this.g.maxPool(name, x, params) : this.g.avgPool(name, x, { ...params, countIncludePad: num(a.count_include_pad, 0) === 1 });
        this.rankChecks.push({ node: idx, rank: axes + 1, where });
        return define(idx);
      }
      case 'GlobalAveragePool':
        return define(this.g.globalAvgPool(this.uniqueName(node.name), this.activation(node, 0)));
      case 'Flatten':
        if (num(a.axis, 1) !== 1) this.fail(`${where}: axis ${num(a.axis, 1)} is not supported (only axis=1, i.e. [N, -1])`);
        return define(this.g.flatten(this.uniqueName(node.name), this.activation(node, 0)));
      case 'Reshape': {
        const shape = [...this.initializer(node, 1, where).data];
        if (shape.length !== 2 || !(shape[0] === 0 || shape[0] === -1 || shape[0]! > 0) || !(shape[1] === -1 || shape[1]! > 0)) {
          this.fail(`${where}: reshape to [${shape.join(', ')}] is not supported (only [N, -1], i.e. a flatten)`);
        }
        const idx = this.g.flatten(this.uniqueName(node.name), this.activation(node, 0));
        if (shape[1]! > 0) this.featureChecks.push({ node: idx, features: shape[1]!, where });
        return define(idx);
      }
      case 'Gemm':
        return define(this.gemm(node, where));
      case 'MatMul': {
        const w = this.initializer(node, 1, where, 'a weight initializer (activation × activation is not supported)');
        if (w.shape.length !== 2) this.fail(`${where}: weight has shape [${w.shape.join(', ')}], expected [in, out]`);
        return define(this.linear(node, where, transpose(w), null));
      }
      case 'Softmax': {
        const x = this.activation(node, 0);
        if (out === outputName) {
          this.notes.push(`dropped the final Softmax (${node.name}): the model is explained on logits; use output 'prob' to explain probabilities`);
          return define(x);
        }
        const axis = num(a.axis, -1);
        if (axis !== -1 && axis !== 1) this.fail(`${where}: softmax over axis ${axis} is not supported (only the class axis)`);
        return define(this.g.softmax(this.uniqueName(node.name), x));
      }
      default:
        this.fail(`${where}: op ${node.opType} is not supported by the importer`);
    }
  }

  private conv(node: OnnxNode, where: string): number {
    const a = node.attributes;
    const w = this.initializer(node, 1, where, 'a weight initializer');
    if (w.shape.length !== 3 && w.shape.length !== 4) this.fail(`${where}: weight has shape [${w.shape.join(', ')}]; only 1-D and 2-D convolutions are supported`);
    const [outC, inPerGroup, ...taps] = w.shape as [number, number, ...number[]];
    const axes = taps.length;
    const kernel = ints(a.kernel_shape, taps);
    if (kernel.join() !== taps.join()) this.fail(`${where}: kernel_shape [${kernel.join(', ')}] disagrees with the weight's [${taps.join(', ')}]`);
    this.checkAutoPad(a, where);
    const groups = num(a.group, 1);
    const stride = this.perAxis(a.strides, axes, 1, 'strides', where);
    const dilation = this.perAxis(a.dilations, axes, 1, 'dilations', where);
    const padding = this.symmetricPads(a, axes, where);
    const bias = node.inputs[2] ? this.initializer(node, 2, where, 'a bias initializer') : null;
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const x = this.activation(node, 0);
    const idx =
      axes === 1
        ? this.g.conv1d(name, x, inPerGroup * groups, outC, taps[0]!, { stride: stride[0], padding: padding[1], dilation: dilation[0], groups, bias: !!bias })
        : this.g.conv2d(name, x, inPerGroup * groups, outC, [taps[0]!, taps[1]!], { stride: planar(stride), padding, dilation: planar(dilation), groups, bias: !!bias });
    this.rankChecks.push({ node: idx, rank: axes + 1, where });
    this.setParam(`${name}.weight`, w, w.shape, where);
    if (bias) this.setParam(`${name}.bias`, bias, [outC], where);
    return idx;
  }

  private gemm(node: OnnxNode, where: string): number {
    const a = node.attributes;
    if (num(a.transA, 0) !== 0) this.fail(`${where}: transA=1 is not supported`);
    if (num(a.alpha, 1) !== 1 || num(a.beta, 1) !== 1) this.fail(`${where}: alpha=${num(a.alpha, 1)}, beta=${num(a.beta, 1)}; only alpha = beta = 1 is supported`);
    const b = this.initializer(node, 1, where, 'a weight initializer');
    if (b.shape.length !== 2) this.fail(`${where}: B has shape [${b.shape.join(', ')}], expected 2-D`);
    const weight = num(a.transB, 0) === 1 ? b : transpose(b);
    const c = node.inputs[2] ? this.initializer(node, 2, where, 'a bias initializer') : null;
    return this.linear(node, where, weight, c);
  }

  /** weight is [out, in] (PyTorch layout) */
  private linear(node: OnnxNode, where: string, weight: OnnxTensor, bias: OnnxTensor | null): number {
    const [outF, inF] = weight.shape as [number, number];
    if (bias && bias.data.length !== outF) this.fail(`${where}: bias has shape [${bias.shape.join(', ')}], expected [${outF}]`);
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.linear(name, this.activation(node, 0), inF, outF, { bias: !!bias });
    this.setParam(`${name}.weight`, weight, [outF, inF], where);
    if (bias) this.setParam(`${name}.bias`, bias, [outF], where);
    return idx;
  }

  /** Add of two activations, or the bias of a preceding bias-free MatMul. */
  private add(node: OnnxNode, where: string): number {
    const [x, y] = node.inputs as [string, string];
    const constant = this.model.initializers.has(x) ? x : this.model.initializers.has(y) ? y : null;
    if (!constant) return this.g.add(this.uniqueName(node.name), this.activation(node, 0), this.activation(node, 1));
    const other = this.activation(node, constant === x ? 1 : 0);
    const producer = this.g.nodes[other]!;
    const bias = this.model.initializers.get(constant)!;
    if (producer.kind !== 'linear' || producer.bias) this.fail(`${where}: adding a constant is only supported as the bias of a MatMul`);
    const outF = this.g.paramShapes.get(producer.weight)![0]!;
    if (bias.data.length !== outF) this.fail(`${where}: bias "${constant}" has shape [${bias.shape.join(', ')}], expected [${outF}]`);
    producer.bias = `${producer.name}.bias`;
    this.g.paramShapes.set(producer.bias, [outF]);
    this.setParam(producer.bias, bias, [outF], where);
    return other;
  }

  private activation(node: OnnxNode, i: number): number {
    const name = node.inputs[i];
    const idx = name === undefined ? undefined : this.values.get(name);
    if (idx === undefined) {
      const what = name !== undefined && this.model.initializers.has(name) ? 'a constant, where an activation is expected' : 'not an activation of the image input';
      this.fail(`node "${node.name}" (${node.opType}): input ${i} ("${name ?? ''}") is ${what}`);
    }
    return idx;
  }

  private initializer(node: OnnxNode, i: number, where: string, what = 'an initializer'): OnnxTensor {
    const t = this.model.initializers.get(node.inputs[i] ?? '');
    if (!t) this.fail(`${where}: input ${i} ("${node.inputs[i] ?? ''}") must be ${what}`);
    return t;
  }

  private setParam(name: string, t: OnnxTensor, shape: number[], where: string): void {
    if (t.data.length !== shape.reduce((p, d) => p * d, 1)) this.fail(`${where}: '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    this.params.set(name, { shape, data: t.data });
  }

  /** ONNX pads [begin…, end…] over `axes` spatial axes, as the planar [H, W] padding; begin must equal end. */
  private symmetricPads(a: Record<string, OnnxAttribute>, axes: number, where: string): [number, number] {
    const pads = ints(a.pads, new Array<number>(2 * axes).fill(0));
    if (pads.length !== 2 * axes) this.fail(`${where}: pads [${pads.join(', ')}] should have ${2 * axes} values for a ${axes}-D kernel`);
    const begin = pads.slice(0, axes);
    if (begin.some((p, i) => p !== pads[axes + i])) {
      this.fail(`${where}: asymmetric pads [${pads.join(', ')}] are not supported (${axes === 2 ? 'top must equal bottom, left must equal right' : 'begin must equal end'})`);
    }
    return planar(begin, 0);
  }

  /** A per-axis attribute (strides, dilations) with one value per spatial axis. */
  private perAxis(v: OnnxAttribute | undefined, axes: number, fallback: number, what: string, where: string): number[] {
    const values = ints(v, new Array<number>(axes).fill(fallback));
    if (values.length !== axes) this.fail(`${where}: ${what} [${values.join(', ')}] should have ${axes} value(s) for a ${axes}-D kernel`);
    return values;
  }

  private checkAutoPad(a: Record<string, OnnxAttribute>, where: string): void {
    const autoPad = a.auto_pad;
    if (autoPad !== undefined && autoPad !== 'NOTSET' && autoPad !== 'VALID') this.fail(`${where}: auto_pad=${String(autoPad)} is not supported; export with explicit pads`);
  }

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

  private fail(message: string): never {
    throw new OnnxError(this.source, message);
  }
}

/** Per-axis values of a 1-D or 2-D kernel as the [H, W] pair of the planar kernels: a 1-D [v] is [unit, v]. */
function planar(values: readonly number[], unit = 1): [number, number] {
  return values.length === 1 ? [unit, values[0]!] : [values[0]!, values[1]!];
}

function transpose(t: OnnxTensor): OnnxTensor {
  const [r, c] = t.shape as [number, number];
  const data = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!;
  return { shape: [c, r], data, dtype: t.dtype };
}
