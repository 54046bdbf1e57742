/**
 * A model is a list of nodes in topological order (a small DAG: residual adds join branches).
 * Each node names its inputs by index and its parameters by name; parameters live in one map of
 * tensors whose names are the model's stable, documented parameter names (`conv1.weight`, ...).
 * Fusions are explicit in the node: a conv/linear/batchnorm/add may carry `relu`, a conv may carry
 * a `residual` input added before the relu (one kernel instead of three). A maxpool reading a
 * relu epilogue's output may carry `maskRelu`: its saved argmax then routes no gradient where the
 * max is not > 0 (the relu's mask), and the node with the epilogue (marked `reluMaskedByReaders`)
 * skips its own mask pass.
 * A conv2d / maxpool / avgpool node reading an [N, C, L] activation is the 1-D layer: its weight
 * is [Cout, Cin/groups, K] and its parameters have a unit H axis (see planes.ts; `conv1d`,
 * `maxPool1d`, `avgPool1d` below build them). What each kind reads, uses, computes and returns is
 * its entry in the node table (layers.ts).
 */
import type { Conv2dParams } from '../ops/conv2d.js';
import type { Pool2dParams } from '../ops/pool-geometry.js';
import type { UnaryOp } from '../ops/activation.js';
import type { BinaryOp } from '../ops/broadcast.js';
import type { Padding } from '../errors.js';
import type { GraphNode, NodeSpec } from './node.js';
import { BN_PARAMS, nodeKind } from './layers.js';

export type { UnaryOp, BinaryOp, GraphNode, NodeSpec };

export interface ConvOptions {
  bias?: boolean;
  relu?: boolean;
  residual?: number;
}

export interface Conv1dParams {
  stride?: number;
  /** both ends, or [begin, end] */
  padding?: number | [number, number];
  dilation?: number;
  groups?: number;
}

export interface Pool1dParams {
  kernel: number;
  stride?: number;
  /** both ends, or [begin, end] */
  padding?: number | [number, number];
  dilation?: number;
  ceilMode?: boolean;
}

/** A 1-D padding as the unit-height 2-D one: [0, p], or [top, left, bottom, right] for [begin, end]. */
const planarPads = (p: number | [number, number] = 0): Padding => (typeof p === 'number' ? [0, p] : [0, p[0], 0, p[1]]);

/** A 1-D window as the unit-height 2-D window the pooling kernels run. */
function pool1dAsPlanar(p: Pool1dParams): Pool2dParams {
  return {
    kernel: [1, p.kernel],
    stride: [1, p.stride ?? p.kernel],
    padding: planarPads(p.padding),
    dilation: [1, p.dilation ?? 1],
    ceilMode: p.ceilMode,
  };
}

/** Indices of the nodes a node reads. */
export function nodeInputs(n: NodeSpec): number[] {
  return nodeKind(n).inputs?.(n as GraphNode) ?? [(n as { input: number }).input];
}

/** Parameter names a node uses, in a fixed order. */
export function nodeParams(n: NodeSpec): string[] {
  return nodeKind(n).params?.(n as GraphNode) ?? [];
}

/**
 * Builds a graph with PyTorch-like calls; each call returns the new node's index.
 * Parameter shapes are declared alongside so a model can be created with random init or loaded.
 */
export class GraphBuilder {
  readonly nodes: GraphNode[] = [{ kind: 'input', name: 'input' }];
  readonly paramShapes = new Map<string, number[]>();

  /** `k`: a square kernel size, or [KH, KW] */
  conv2d(
    name: string,
    input: number,
    inC: number,
    outC: number,
    k: number | [number, number],
    p: Conv2dParams & ConvOptions = {},
  ): number {
    const [kh, kw] = typeof k === 'number' ? [k, k] : k;
    return this.conv(name, input, [outC, inC / (p.groups ?? 1), kh, kw], p);
  }

  /** PyTorch's Conv1d on [N, C, L]: weight [outC, inC/groups, k] */
  conv1d(
    name: string,
    input: number,
    inC: number,
    outC: number,
    k: number,
    p: Conv1dParams & ConvOptions = {},
  ): number {
    const { stride = 1, padding, dilation = 1, ...rest } = p;
    return this.conv(name, input, [outC, inC / (p.groups ?? 1), k], {
      ...rest,
      stride: [1, stride],
      padding: planarPads(padding),
      dilation: [1, dilation],
    });
  }

  private conv(name: string, input: number, weightShape: number[], p: Conv2dParams & ConvOptions): number {
    this.paramShapes.set(`${name}.weight`, weightShape);
    if (p.bias !== false) this.paramShapes.set(`${name}.bias`, [weightShape[0]!]);
    const { bias, relu, residual, ...params } = p;
    return this.push({
      kind: 'conv2d',
      name,
      input,
      weight: `${name}.weight`,
      bias: bias === false ? undefined : `${name}.bias`,
      params,
      relu,
      residual,
    });
  }

  linear(
    name: string,
    input: number,
    inF: number,
    outF: number,
    opts: { relu?: boolean; bias?: boolean } = {},
  ): number {
    this.paramShapes.set(`${name}.weight`, [outF, inF]);
    if (opts.bias !== false) this.paramShapes.set(`${name}.bias`, [outF]);
    return this.push({
      kind: 'linear',
      name,
      input,
      weight: `${name}.weight`,
      bias: opts.bias === false ? undefined : `${name}.bias`,
      relu: opts.relu,
    });
  }

  /**
   * `batchStatistics`: normalise by the input's own statistics, without touching the running ones
   * (ONNX's training_mode); the row is then a whole [N, C, ...] batch, fed one row at a time.
   */
  batchNorm(
    name: string,
    input: number,
    channels: number,
    opts: { eps?: number; relu?: boolean; batchStatistics?: boolean } = {},
  ): number {
    for (const s of BN_PARAMS) this.paramShapes.set(`${name}.${s}`, [channels]);
    const stats = opts.batchStatistics ? { batchStatistics: true } : {};
    return this.push({
      kind: 'batchnorm',
      name,
      input,
      prefix: name,
      eps: opts.eps ?? 1e-5,
      relu: opts.relu,
      ...stats,
    });
  }

  relu(name: string, input: number): number {
    return this.push({ kind: 'relu', name, input });
  }

  maxPool(name: string, input: number, params: Pool2dParams): number {
    return this.push({ kind: 'maxpool', name, input, params });
  }

  /** Where each max-pool window's maximum is in its input plane: h·W + w, or w·H + h when `columnMajor`. */
  maxPoolArgmax(name: string, input: number, params: Pool2dParams, columnMajor = false): number {
    return this.push({ kind: 'maxpoolargmax', name, input, params, ...(columnMajor ? { columnMajor } : {}) });
  }

  avgPool(name: string, input: number, params: Pool2dParams & { countIncludePad?: boolean }): number {
    return this.push({ kind: 'avgpool', name, input, params });
  }

  /** PyTorch's MaxPool1d on [N, C, L] (stride defaults to the kernel) */
  maxPool1d(name: string, input: number, p: Pool1dParams): number {
    return this.maxPool(name, input, pool1dAsPlanar(p));
  }

  /** PyTorch's AvgPool1d on [N, C, L] (stride defaults to the kernel) */
  avgPool1d(name: string, input: number, p: Pool1dParams & { countIncludePad?: boolean }): number {
    return this.avgPool(name, input, { ...pool1dAsPlanar(p), countIncludePad: p.countIncludePad });
  }

  globalAvgPool(name: string, input: number): number {
    return this.push({ kind: 'gap', name, input });
  }

  add(name: string, a: number, b: number, opts: { relu?: boolean } = {}): number {
    return this.push({ kind: 'add', name, a, b, relu: opts.relu });
  }

  flatten(name: string, input: number): number {
    return this.push({ kind: 'flatten', name, input });
  }

  /**
   * Softmax (or log-softmax) over one per-row axis (default: the last); `coerce`: ONNX opset < 13,
   * over the axes from `axis` to the end, flattened.
   */
  softmax(name: string, input: number, opts: { axis?: number; log?: boolean; coerce?: boolean } = {}): number {
    return this.push({ kind: 'softmax', name, input, ...opts });
  }

  /** Axes, pads, shapes and permutations below are per row (the batch axis excluded). */
  unary(name: string, input: number, op: UnaryOp): number {
    return this.push({ kind: 'unary', name, input, op });
  }

  /** PRelu with parameter `<name>.weight` of `slopeShape`, broadcast against the input. */
  prelu(name: string, input: number, slopeShape: number[]): number {
    this.paramShapes.set(`${name}.weight`, slopeShape);
    return this.push({ kind: 'prelu', name, input, slope: `${name}.weight` });
  }

  /** a ∘ b of two activations, broadcast per row. */
  binary(name: string, a: number, b: number, op: BinaryOp): number {
    return this.push({ kind: 'binary', name, a, b, op });
  }

  /** input ∘ c (c ∘ input when `constantFirst`), c the parameter `<name>.value` of `shape`. */
  constant(name: string, input: number, shape: number[], op: BinaryOp, constantFirst = false): number {
    this.paramShapes.set(`${name}.value`, shape);
    return this.push({ kind: 'constop', name, input, constant: `${name}.value`, op, constantFirst });
  }

  /** `pads`: begin per axis, then end per axis (ONNX order). */
  pad(name: string, input: number, pads: number[], value = 0): number {
    return this.push({ kind: 'pad', name, input, pads, value });
  }

  concat(name: string, inputs: number[], axis: number): number {
    return this.push({ kind: 'concat', name, inputs, axis });
  }

  reduceMean(name: string, input: number, axes: number[], keepDims: boolean): number {
    return this.push({ kind: 'reducemean', name, input, axes, keepDims });
  }

  reshape(name: string, input: number, shape: number[]): number {
    return this.push({ kind: 'reshape', name, input, shape });
  }

  transpose(name: string, input: number, perm: number[]): number {
    return this.push({ kind: 'transpose', name, input, perm });
  }

  slice(name: string, input: number, axis: number, start: number, end: number): number {
    return this.push({ kind: 'slice', name, input, axis, start, end });
  }

  private push(node: GraphNode): number {
    if (this.nodes.some((n) => n.name === node.name)) throw new Error(`graph: duplicate node name '${node.name}'`);
    for (const i of nodeInputs(node)) {
      if (!(i >= 0 && i < this.nodes.length))
        throw new Error(`graph: node '${node.name}' reads node ${i}, which does not exist yet`);
    }
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
}
