/**
 * One table, one entry per graph node kind: the nodes it reads, the parameters it uses, its output
 * shape per row, its forward and its backward, side by side (micrograd style) — a new kind is
 * written here and nowhere else. Forward returns the node's output plus what its backward needs;
 * backward maps the output gradient to input gradients (and parameter gradients when asked).
 * Fused epilogues (relu, residual) are undone here: the relu mask is applied inside the backward
 * kernels via `reluOutput`, except for conv2d, whose masked gradient is materialised once (see
 * its entry). Conv, pooling and batch norm nodes on [N, C, L] activations run the same kernels on
 * planes of height 1 (planes.ts).
 */
import type { Tensor } from '../tensor/tensor.js';
import { fail, intPads, intPair, shapeStr } from '../errors.js';
import type { BackwardArgs, GraphNode, NodeBackward, NodeKind, NodeSpec, Params, ShapeArgs } from './node.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dOutputShape } from '../ops/conv2d.js';
import { linear, linearBackwardInput, linearBackwardWeight } from '../ops/linear.js';
import { relu, reluBackward } from '../ops/relu.js';
import { add } from '../ops/add.js';
import { maxPool2d, maxPool2dBackward } from '../ops/max-pool.js';
import { avgPool2d, avgPool2dBackward } from '../ops/avg-pool.js';
import { globalAvgPool, globalAvgPoolBackward } from '../ops/global-avg-pool.js';
import { pool2dOutputShape } from '../ops/pool2d.js';
import {
  batchNorm,
  batchNormBackwardInput,
  batchNormBackwardParams,
  batchNormBackwardTraining,
  batchStatistics,
  batchNormTraining,
  type BatchNormParams,
} from '../ops/batch-norm.js';
import { elementwise } from '../ops/elementwise.js';
import { onPlanes, planeShape, unplane } from './planes.js';
import { TENSOR_KINDS, withViews } from './tensor-kinds.js';
import { reshapeOwned } from '../tensor/tensor.js';

export function param(params: Params, name: string | undefined): Tensor | null {
  if (name === undefined) return null;
  const t = params.get(name);
  if (!t) throw new Error(`model parameter '${name}' is missing`);
  return t;
}

/** A batch norm's parameters, after its prefix (PyTorch's names). */
export const BN_PARAMS = ['weight', 'bias', 'running_mean', 'running_var'];

function bnParams(params: Params, prefix: string, eps: number): BatchNormParams {
  const [gamma, beta, mean, variance] = BN_PARAMS.map((s) => param(params, `${prefix}.${s}`)!) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  return { gamma, beta, mean, variance, eps };
}

type BatchNormNode = Extract<GraphNode, { kind: 'batchnorm' }>;

/** Backward of a batch norm run in training mode (its batch statistics saved by the forward). */
function batchNormTrainingBackward(
  node: BatchNormNode,
  { x0, y, saved, dy, params, wantParams }: BackwardArgs,
): NodeBackward {
  const bn = { ...bnParams(params, node.prefix, node.eps), mean: saved[0]!, variance: saved[1]! };
  const g = node.relu ? reluBackward(y, dy) : dy;
  const { dx: dxPlanar, dgamma, dbeta } = onPlanes([x0, g], (x0, g) => batchNormBackwardTraining(x0, g, bn));
  if (g !== dy) g.dispose();
  return {
    inputs: [unplane(dxPlanar, x0.rank)],
    params: paramGrads(wantParams, [`${node.prefix}.weight`, dgamma], [`${node.prefix}.bias`, dbeta]),
  };
}

/** Parameter gradients as a map when they are wanted; disposed otherwise. A missing name drops its gradient. */
export function paramGrads(wanted: boolean, ...grads: [string | undefined, Tensor][]): Map<string, Tensor> | undefined {
  for (const [name, g] of grads) if (!wanted || name === undefined) g.dispose();
  return wanted ? new Map(grads.filter((e): e is [string, Tensor] => e[0] !== undefined)) : undefined;
}

function addRelu(a: Tensor, b: Tensor): Tensor {
  const s = add(a, b);
  const y = relu(s);
  s.dispose();
  return y;
}

/** A whole-tensor row [1, N, C, ...] as the batch [N, C, ...] a batch-statistics batch norm reads (a view). */
function asBatch(node: BatchNormNode, t: Tensor): Tensor {
  if (t.shape[0] !== 1)
    fail(
      `batchnorm '${node.name}' normalises by its input's own statistics: it takes one whole tensor at a time, got ${t.shape[0]}`,
    );
  return t.reshape(t.shape.slice(1));
}

/** The argmax of each window (h·W + w in its plane, f32) as w·H + h: column-major order. */
function columnMajor(argmax: Tensor, h: number, w: number): Tensor {
  // +0.5 keeps the quotient clear of integers, so floor is exact for planes up to 2^24
  const row = `floor((x + 0.5) / ${w}.0)`;
  return elementwise('maxPoolArgmax', () => `${row} + (x - ${row} * ${w}.0) * ${h}.0`, argmax);
}

/** A pooling node's shape (max and average pooling share it). */
function poolShape(n: Extract<GraphNode, { kind: 'maxpool' | 'maxpoolargmax' | 'avgpool' }>, s: ShapeArgs): number[] {
  const p = s.planar('pooling');
  if (s.x.length === 2) {
    const [kh] = intPair('pooling', 'kernel', n.params.kernel, [1, 1], 1);
    const [pt, , pb] = intPads('pooling', n.params.padding);
    if (kh !== 1 || pt + pb !== 0)
      s.fail(
        s.unitH(
          'pooling',
          `has kernel ${JSON.stringify(n.params.kernel)}, padding ${JSON.stringify(n.params.padding ?? 0)}`,
        ),
      );
  }
  return p.out(pool2dOutputShape(p.batch, n.params));
}

/** [..., K] viewed as a [rows, K] matrix (the caller disposes the view). */
const rows = (t: Tensor): Tensor => t.reshape([t.size / t.shape.at(-1)!, t.shape.at(-1)!]);

export const NODE_KINDS: { readonly [K in GraphNode['kind']]: NodeKind<Extract<GraphNode, { kind: K }>> } = {
  input: {
    inputs: () => [],
    shape: (_, s) => s.fail(`node ${s.index} is a second input`),
    forward: () => fail('the input node has no forward'),
    backward: () => fail('the input node has no backward'),
  },
  conv2d: {
    inputs: (n) => (n.residual === undefined ? [n.input] : [n.input, n.residual]),
    params: (n) => (n.bias ? [n.weight, n.bias] : [n.weight]),
    shape: (n, s) => {
      const p = s.planar('conv');
      const w = s.param(n.weight);
      if (w.length !== s.x.length + 1)
        s.fail(`conv '${n.name}' on ${shapeStr(s.x)} needs a rank-${s.x.length + 1} weight, has ${shapeStr(w)}`);
      const out = p.out(conv2dOutputShape(p.batch, planeShape(w), n.params));
      if (s.second && shapeStr(s.second) !== shapeStr(out))
        s.fail(`residual of '${n.name}' has shape ${shapeStr(s.second)}, conv output is ${shapeStr(out)}`);
      return out;
    },
    forward: (node, x, inputs, params) => {
      const y = onPlanes([x, param(params, node.weight)!, inputs[1]], (x, w, residual) =>
        conv2d(x, w, param(params, node.bias), node.params, { relu: node.relu, residual }),
      );
      return { output: unplane(y, x.rank) };
    },
    backward: (node, { x0, y, dy, params, wantParams, wantInputGradient, inputEpilogue: e }) => {
      const w = param(params, node.weight)!;
      // The relu-masked gradient is materialised once rather than masked inside the GEMMs: those
      // read every dY value KH·KW times per channel block, and a second load per read (the mask)
      // costs more than one elementwise pass on a load-bound adapter (measured on SwiftShader).
      const g = node.relu ? reluBackward(y, dy) : null;
      const dyEff = g ?? dy;
      const dx = wantInputGradient
        ? unplane(
            onPlanes([dyEff, w, e?.residual, e?.mask], (dy, w, residual, mask) =>
              conv2dBackwardInput(dy, w, planeShape(x0.shape), node.params, { residual, mask }),
            ),
            x0.rank,
          )
        : null;
      let grads: Map<string, Tensor> | undefined;
      if (wantParams) {
        const { dw, db } = onPlanes([x0, dyEff], (x0, dy) =>
          conv2dBackwardWeight(x0, dy, planeShape(w.shape), node.params),
        );
        grads = paramGrads(true, [node.weight, unplane(dw, w.rank)], [node.bias, db]);
      }
      const inputs = [dx];
      if (node.residual !== undefined) inputs.push(g ?? dy.reshape(dy.shape));
      else g?.dispose();
      return { inputs, params: grads };
    },
  },
  linear: {
    params: (n) => (n.bias ? [n.weight, n.bias] : [n.weight]),
    shape: (n, s) => {
      const w = s.param(n.weight);
      if (s.x.at(-1) !== w[1]) s.fail(`linear '${n.name}' expects ${w[1]} input features, gets shape ${shapeStr(s.x)}`);
      return [...s.x.slice(0, -1), w[0]!];
    },
    // over the last axis of any rank
    forward: (node, x, _, params) => {
      const w = param(params, node.weight)!;
      return {
        output: withViews([rows(x)], (r) =>
          reshapeOwned(linear(r, w, param(params, node.bias), { relu: node.relu }), [
            ...x.shape.slice(0, -1),
            w.shape[0]!,
          ]),
        ),
      };
    },
    backward: (node, { x0, y, dy, params, wantParams, wantInputGradient }) => {
      const w = param(params, node.weight)!;
      const mask = () => (node.relu ? [rows(y)] : []); // the fused relu's output
      const dx = wantInputGradient
        ? withViews([rows(dy), ...mask()], (g, m) => reshapeOwned(linearBackwardInput(g, w, m), x0.shape))
        : null;
      if (!wantParams) return { inputs: [dx] };
      const { dw, db } = withViews([rows(x0), rows(dy), ...mask()], (x, g, m) => linearBackwardWeight(x, g, m));
      return { inputs: [dx], params: paramGrads(true, [node.weight, dw], [node.bias, db]) };
    },
  },
  relu: {
    shape: (_, s) => [...s.x],
    forward: (_, x) => ({ output: relu(x) }),
    backward: (_, { y, dy }) => ({ inputs: [reluBackward(y, dy)] }),
  },
  maxpool: {
    shape: poolShape,
    forward: (node, x) => {
      // the argmax stays planar: only maxPool2dBackward reads it
      const { y, argmax } = onPlanes([x], (x) => maxPool2d(x, node.params, node.maskRelu));
      return { output: unplane(y, x.rank), saved: [argmax] };
    },
    backward: (node, { x0, saved, dy }) => ({
      inputs: [
        unplane(
          onPlanes([dy], (dy) => maxPool2dBackward(dy, saved[0]!, planeShape(x0.shape), node.params)),
          x0.rank,
        ),
      ],
    }),
  },
  maxpoolargmax: {
    shape: poolShape,
    forward: (node, x) => {
      const { y, argmax } = onPlanes([x], (x) => maxPool2d(x, node.params));
      y.dispose();
      const [, , h, w] = planeShape(x.shape) as [number, number, number, number];
      const out = node.columnMajor ? columnMajor(argmax, h, w) : argmax;
      if (out !== argmax) argmax.dispose();
      return { output: unplane(out, x.rank) };
    },
    // piecewise constant: no gradient flows
    backward: () => ({ inputs: [null] }),
  },
  avgpool: {
    shape: poolShape,
    forward: (node, x) => ({
      output: unplane(
        onPlanes([x], (x) => avgPool2d(x, node.params)),
        x.rank,
      ),
    }),
    backward: (node, { x0, dy }) => ({
      inputs: [
        unplane(
          onPlanes([dy], (dy) => avgPool2dBackward(dy, planeShape(x0.shape), node.params)),
          x0.rank,
        ),
      ],
    }),
  },
  gap: {
    shape: (_, s) => (s.planar('global average pooling'), [s.x[0]!]),
    forward: (_, x) => ({ output: onPlanes([x], (x) => globalAvgPool(x)) }),
    backward: (_, { x0, dy, inputEpilogue: e }) => ({
      inputs: [
        unplane(
          onPlanes([e?.mask], (mask) => globalAvgPoolBackward(dy, planeShape(x0.shape), mask)),
          x0.rank,
        ),
      ],
    }),
  },
  batchnorm: {
    params: (n) => BN_PARAMS.map((s) => `${n.prefix}.${s}`),
    shape: (n, s) => {
      const channels = s.param(`${n.prefix}.weight`)[0];
      const axis = n.batchStatistics ? 1 : 0;
      if (channels !== s.x[axis]) s.fail(`batchnorm '${n.name}' has ${channels} channels, input has ${s.x[axis]}`);
      return [...s.x];
    },
    forward: (node, x, _, params, training) => {
      const bn = bnParams(params, node.prefix, node.eps);
      if (node.batchStatistics) {
        return withViews([asBatch(node, x)], (v) => {
          const stats = onPlanes([v], (v) => batchStatistics(v));
          const y = unplane(
            onPlanes([v], (v) => batchNorm(v, { ...bn, ...stats }, { relu: node.relu })),
            v.rank,
          );
          return { output: reshapeOwned(y, x.shape), saved: [stats.mean, stats.variance] };
        });
      }
      if (!training)
        return {
          output: unplane(
            onPlanes([x], (x) => batchNorm(x, bn, { relu: node.relu })),
            x.rank,
          ),
        };
      const { y, ...stats } = onPlanes([x], (x) => batchNormTraining(x, bn, { relu: node.relu }));
      return { output: unplane(y, x.rank), saved: [stats.mean, stats.variance] };
    },
    backward: (node, b) => {
      if (node.batchStatistics) {
        return withViews([asBatch(node, b.x0), asBatch(node, b.y), asBatch(node, b.dy)], (x0, y, dy) => {
          const r = batchNormTrainingBackward(node, { ...b, x0, y, dy });
          return { ...r, inputs: [reshapeOwned(r.inputs[0]!, b.x0.shape)] };
        });
      }
      if (b.saved.length === 2) return batchNormTrainingBackward(node, b);
      const { x0, y, dy, params, wantParams } = b;
      const bn = bnParams(params, node.prefix, node.eps);
      const mask = node.relu ? y : undefined;
      const dx = unplane(
        onPlanes([dy, mask], (dy, mask) => batchNormBackwardInput(dy, bn, mask)),
        x0.rank,
      );
      if (!wantParams) return { inputs: [dx] };
      const g = mask ? reluBackward(y, dy) : dy;
      const { dgamma, dbeta } = onPlanes([x0, g], (x0, g) => batchNormBackwardParams(x0, g, bn));
      if (g !== dy) g.dispose();
      return {
        inputs: [dx],
        params: paramGrads(true, [`${node.prefix}.weight`, dgamma], [`${node.prefix}.bias`, dbeta]),
      };
    },
  },
  add: {
    inputs: (n) => [n.a, n.b],
    shape: (n, s) => {
      if (shapeStr(s.x) !== shapeStr(s.second!))
        s.fail(`add '${n.name}' joins shapes ${shapeStr(s.x)} and ${shapeStr(s.second!)}`);
      return [...s.x];
    },
    forward: (node, x, inputs) => ({ output: node.relu ? addRelu(x, inputs[1]!) : add(x, inputs[1]!) }),
    backward: (node, { y, dy }) => {
      const g = node.relu ? reluBackward(y, dy) : dy.reshape(dy.shape);
      return { inputs: [g, g.reshape(g.shape)] };
    },
  },
  flatten: {
    shape: (_, s) => [s.x.reduce((a, b) => a * b, 1)],
    forward: (_, x) => ({ output: x.reshape([x.shape[0]!, x.size / x.shape[0]!]) }),
    backward: (_, { x0, dy }) => ({ inputs: [dy.reshape(x0.shape)] }),
  },
  ...TENSOR_KINDS,
};

/** The table entry of a node, typed for any node. */
export function nodeKind(n: NodeSpec): NodeKind<GraphNode> {
  return NODE_KINDS[n.kind] as unknown as NodeKind<GraphNode>;
}
