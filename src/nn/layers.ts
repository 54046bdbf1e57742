/**
 * Forward and backward of one graph node, side by side (micrograd style): forward returns the
 * node's output plus what its backward needs; backward maps the output gradient to input
 * gradients (and parameter gradients when asked). Fused epilogues (relu, residual) are undone
 * here: the relu mask is applied inside the backward kernels via `reluOutput`, except for conv2d,
 * whose masked gradient is materialised once (see the conv2d case). Conv, pooling and batch norm
 * nodes on [N, C, L] activations run the same kernels on planes of height 1 (planes.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { GraphNode } from './graph.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from '../ops/conv2d.js';
import { linear, linearBackwardInput, linearBackwardWeight } from '../ops/linear.js';
import { relu, reluBackward } from '../ops/relu.js';
import { add } from '../ops/add.js';
import { maxPool2d, maxPool2dBackward } from '../ops/max-pool.js';
import { avgPool2d, avgPool2dBackward } from '../ops/avg-pool.js';
import { globalAvgPool, globalAvgPoolBackward } from '../ops/global-avg-pool.js';
import { batchNorm, batchNormBackwardInput, batchNormBackwardParams, batchNormBackwardTraining, batchStatistics, type BatchNormParams } from '../ops/batch-norm.js';
import { softmax, softmaxBackward } from '../ops/softmax.js';
import { onPlanes, planeShape, unplane } from './planes.js';

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

function param(params: Params, name: string | undefined): Tensor | null {
  if (name === undefined) return null;
  const t = params.get(name);
  if (!t) throw new Error(`model parameter '${name}' is missing`);
  return t;
}

function bnParams(params: Params, prefix: string, eps: number): BatchNormParams {
  return {
    gamma: param(params, `${prefix}.weight`)!,
    beta: param(params, `${prefix}.bias`)!,
    mean: param(params, `${prefix}.running_mean`)!,
    variance: param(params, `${prefix}.running_var`)!,
    eps,
  };
}

/**
 * `training`: batch norms normalise by the batch's statistics and update their running ones
 * (PyTorch's train mode); otherwise they use the running statistics (eval mode).
 */
export function forwardNode(node: GraphNode, inputs: Tensor[], params: Params, training = false): NodeForward {
  const x = inputs[0]!;
  switch (node.kind) {
    case 'input':
      throw new Error('the input node has no forward');
    case 'conv2d': {
      const y = onPlanes([x, param(params, node.weight)!, inputs[1]], (x, w, residual) => conv2d(x, w, param(params, node.bias), node.params, { relu: node.relu, residual }));
      return { output: unplane(y, x.rank) };
    }
    case 'linear':
      return { output: linear(x, param(params, node.weight)!, param(params, node.bias), { relu: node.relu }) };
    case 'relu':
      return { output: relu(x) };
    case 'maxpool': {
      // the argmax stays planar: only maxPool2dBackward reads it
      const { y, argmax } = onPlanes([x], (x) => maxPool2d(x, node.params));
      return { output: unplane(y, x.rank), saved: [argmax] };
    }
    case 'avgpool':
      return { output: unplane(onPlanes([x], (x) => avgPool2d(x, node.params)), x.rank) };
    case 'gap':
      return { output: onPlanes([x], (x) => globalAvgPool(x)) };
    case 'batchnorm': {
      const bn = bnParams(params, node.prefix, node.eps);
      if (!training) return { output: unplane(onPlanes([x], (x) => batchNorm(x, bn, { relu: node.relu })), x.rank) };
      const stats = onPlanes([x], (x) => batchStatistics(x, { running: { mean: bn.mean, variance: bn.variance } }));
      return { output: unplane(onPlanes([x], (x) => batchNorm(x, { ...bn, ...stats }, { relu: node.relu })), x.rank), saved: [stats.mean, stats.variance] };
    }
    case 'add':
      return { output: node.relu ? addRelu(x, inputs[1]!) : add(x, inputs[1]!) };
    case 'flatten':
      return { output: x.reshape([x.shape[0]!, x.size / x.shape[0]!]) };
    case 'softmax':
      return { output: softmax(x) };
  }
}

/** Backward of a batch norm run in training mode (its batch statistics saved by the forward). */
function batchNormTrainingBackward(node: Extract<GraphNode, { kind: 'batchnorm' }>, x0: Tensor, y: Tensor, saved: Tensor[], dy: Tensor, params: Params, wantParams: boolean): NodeBackward {
  const bn = { ...bnParams(params, node.prefix, node.eps), mean: saved[0]!, variance: saved[1]! };
  const g = node.relu ? reluBackward(y, dy) : dy;
  const { dx: dxPlanar, dgamma, dbeta } = onPlanes([x0, g], (x0, g) => batchNormBackwardTraining(x0, g, bn));
  const dx = unplane(dxPlanar, x0.rank);
  if (g !== dy) g.dispose();
  if (!wantParams) {
    dgamma.dispose();
    dbeta.dispose();
    return { inputs: [dx] };
  }
  return { inputs: [dx], params: new Map([[`${node.prefix}.weight`, dgamma], [`${node.prefix}.bias`, dbeta]]) };
}

function addRelu(a: Tensor, b: Tensor): Tensor {
  const s = add(a, b);
  const y = relu(s);
  s.dispose();
  return y;
}

/**
 * Backward of one node. `x` are the node's inputs (as saved by the forward), `y` its output,
 * `dy` the gradient of the output. Caller owns and disposes everything returned.
 */
export function backwardNode(node: GraphNode, x: Tensor[], y: Tensor, saved: Tensor[], dy: Tensor, params: Params, wantParams: boolean): NodeBackward {
  const x0 = x[0]!;
  switch (node.kind) {
    case 'input':
      throw new Error('the input node has no backward');
    case 'conv2d': {
      const w = param(params, node.weight)!;
      // The relu-masked gradient is materialised once rather than masked inside the GEMMs: those
      // read every dY value KH·KW times per channel block, and a second load per read (the mask)
      // costs more than one elementwise pass on a load-bound adapter (measured on SwiftShader).
      const g = node.relu ? reluBackward(y, dy) : null;
      const dyEff = g ?? dy;
      const dx = unplane(onPlanes([dyEff, w], (dy, w) => conv2dBackwardInput(dy, w, planeShape(x0.shape), node.params)), x0.rank);
      let paramGrads: Map<string, Tensor> | undefined;
      if (wantParams) {
        const { dw, db } = onPlanes([x0, dyEff], (x0, dy) => conv2dBackwardWeight(x0, dy, planeShape(w.shape), node.params));
        paramGrads = new Map([[node.weight, unplane(dw, w.rank)]]);
        if (node.bias) paramGrads.set(node.bias, db);
        else db.dispose();
      }
      const inputs: (Tensor | null)[] = [dx];
      if (node.residual !== undefined) inputs.push(g ?? dy.reshape(dy.shape));
      else g?.dispose();
      return { inputs, params: paramGrads };
    }
    case 'linear': {
      const w = param(params, node.weight)!;
      const mask = node.relu ? y : undefined;
      const dx = linearBackwardInput(dy, w, mask);
      let paramGrads: Map<string, Tensor> | undefined;
      if (wantParams) {
        const { dw, db } = linearBackwardWeight(x0, dy, mask);
        paramGrads = new Map([[node.weight, dw]]);
        if (node.bias) paramGrads.set(node.bias, db);
        else db.dispose();
      }
      return { inputs: [dx], params: paramGrads };
    }
    case 'relu':
      return { inputs: [reluBackward(y, dy)] };
    case 'maxpool':
      return { inputs: [unplane(onPlanes([dy], (dy) => maxPool2dBackward(dy, saved[0]!, planeShape(x0.shape), node.params)), x0.rank)] };
    case 'avgpool':
      return { inputs: [unplane(onPlanes([dy], (dy) => avgPool2dBackward(dy, planeShape(x0.shape), node.params)), x0.rank)] };
    case 'gap':
      return { inputs: [unplane(globalAvgPoolBackward(dy, planeShape(x0.shape)), x0.rank)] };
    case 'batchnorm': {
      if (saved.length === 2) return batchNormTrainingBackward(node, x0, y, saved, dy, params, wantParams);
      const bn = bnParams(params, node.prefix, node.eps);
      const mask = node.relu ? y : undefined;
      const dx = unplane(onPlanes([dy, mask], (dy, mask) => batchNormBackwardInput(dy, bn, mask)), x0.rank);
      let paramGrads: Map<string, Tensor> | undefined;
      if (wantParams) {
        const g = mask ? reluBackward(y, dy) : dy;
        const { dgamma, dbeta } = onPlanes([x0, g], (x0, g) => batchNormBackwardParams(x0, g, bn));
        if (g !== dy) g.dispose();
        paramGrads = new Map([
          [`${node.prefix}.weight`, dgamma],
          [`${node.prefix}.bias`, dbeta],
        ]);
      }
      return { inputs: [dx], params: paramGrads };
    }
    case 'add': {
      const g = node.relu ? reluBackward(y, dy) : dy.reshape(dy.shape);
      return { inputs: [g, g.reshape(g.shape)] };
    }
    case 'flatten':
      return { inputs: [dy.reshape(x0.shape)] };
    case 'softmax':
      return { inputs: [softmaxBackward(y, dy)] };
  }
}
