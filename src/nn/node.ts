/**
 * The graph's vocabulary, types only: the nodes a model lists (`NodeSpec`, `GraphNode`), and what
 * one node kind of the table in layers.ts must provide (`NodeKind`: inputs, parameters, shape rule,
 * forward, backward). Every file of nn/ may name these without importing the table or the builder.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Conv2dParams, InputGradientEpilogue } from '../ops/conv2d.js';
import type { Pool2dParams } from '../ops/pool-geometry.js';
import type { UnaryOp } from '../ops/activation.js';
import type { BinaryOp } from '../ops/broadcast.js';

export type NodeSpec =
  | { kind: 'input' }
  | {
      kind: 'conv2d';
      input: number;
      weight: string;
      bias?: string;
      params: Conv2dParams;
      relu?: boolean;
      residual?: number;
    }
  | { kind: 'linear'; input: number; weight: string; bias?: string; relu?: boolean }
  | { kind: 'relu'; input: number }
  | { kind: 'maxpool'; input: number; params: Pool2dParams; maskRelu?: boolean }
  | { kind: 'maxpoolargmax'; input: number; params: Pool2dParams; columnMajor?: boolean }
  | { kind: 'avgpool'; input: number; params: Pool2dParams & { countIncludePad?: boolean } }
  | { kind: 'gap'; input: number }
  | { kind: 'batchnorm'; input: number; prefix: string; eps: number; relu?: boolean; batchStatistics?: boolean }
  | { kind: 'add'; a: number; b: number; relu?: boolean }
  | { kind: 'flatten'; input: number }
  | { kind: 'softmax'; input: number; axis?: number; log?: boolean; coerce?: boolean }
  | { kind: 'unary'; input: number; op: UnaryOp }
  | { kind: 'prelu'; input: number; slope: string }
  | { kind: 'binary'; a: number; b: number; op: BinaryOp }
  | { kind: 'constop'; input: number; constant: string; op: BinaryOp; constantFirst: boolean }
  | { kind: 'pad'; input: number; pads: number[]; value: number }
  | { kind: 'concat'; inputs: number[]; axis: number }
  | { kind: 'reducemean'; input: number; axes: number[]; keepDims: boolean }
  | { kind: 'reshape'; input: number; shape: number[] }
  | { kind: 'transpose'; input: number; perm: number[] }
  | { kind: 'slice'; input: number; axis: number; start: number; end: number };

/** `reluMaskedByReaders`: its readers are max pools with `maskRelu`, so the gradient it gets already carries its relu epilogue's mask. */
export type GraphNode = NodeSpec & { name: string; reluMaskedByReaders?: boolean };

export type Params = ReadonlyMap<string, Tensor>;

export interface NodeForward {
  output: Tensor;
  /** extra tensors backward needs (maxpool argmax, training BN's batch statistics), disposed with the tape */
  saved?: Tensor[];
}

export interface NodeBackward {
  /** gradient per input, aligned with nodeInputs(node); null where no gradient flows */
  inputs: (Tensor | null)[];
  params?: Map<string, Tensor>;
}

/** What a backward gets: the node's inputs (`x0` the first) and output `y` as saved by the forward, `dy`. */
export interface BackwardArgs {
  x0: Tensor;
  xs: Tensor[];
  y: Tensor;
  saved: Tensor[];
  dy: Tensor;
  params: Params;
  wantParams: boolean;
  /** false: input 0's gradient reaches no parameter and is not wanted (training's first layer); conv2d and linear skip it */
  wantInputGradient: boolean;
  /** conv2d (and gap, mask only): input 0's gradient is returned finished, mask ⊙ (this node's part + residual) (Tape.backward) */
  inputEpilogue?: InputGradientEpilogue;
}

export interface NodeKind<N extends GraphNode> {
  /** indices of the nodes it reads (default: `[node.input]`) */
  inputs?(node: N): number[];
  /** parameter names it uses, in a fixed order (default: none) */
  params?(node: N): string[];
  /** output shape of one row; throws through `s.fail` */
  shape(node: N, s: ShapeArgs): number[];
  /**
   * `training`: batch norms normalise by the batch's statistics and update their running ones
   * (PyTorch's train mode); otherwise they use the running statistics (eval mode).
   */
  forward(node: N, x: Tensor, inputs: Tensor[], params: Params, training: boolean): NodeForward;
  /** Caller owns and disposes everything returned. */
  backward(node: N, b: BackwardArgs): NodeBackward;
}

/** What a node kind's shape rule gets (shapes.ts): its inputs' per-row shapes and helpers that name the node in errors. */
export interface ShapeArgs {
  index: number;
  x: readonly number[];
  second: readonly number[] | undefined;
  inputs: readonly (readonly number[])[];
  fail(message: string): never;
  /** the message of a 1-D layer whose parameters are not unit-H */
  unitH(what: string, problem: string): string;
  param(name: string): readonly number[];
  /** conv / pooling input: [C, H, W], or [C, L] as one plane of height 1 (`out` drops H again) */
  planar(what: string): { batch: number[]; out(s: number[]): number[] };
}
