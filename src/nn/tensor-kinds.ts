/**
 * Node kinds of the tensor ops (the node table's entries, spread into NODE_KINDS in layers.ts):
 * activations, broadcasting arithmetic, layout (pad, concat, slice, transpose, reshape), means
 * and softmax on any axis. Nodes see per-row shapes and axes; the tensors carry the batch axis
 * in front, so a per-row axis k is tensor axis k + 1. Broadcasting is right-aligned per row: both
 * sides are viewed at the output's rank (an activation as [N, 1…, ...row], a constant as
 * [1, 1…, ...shape]) and the broadcast kernels take it from there.
 */
import { shapeStr } from '../errors.js';
import { Tensor, reshapeOwned, sizeOf } from '../tensor/tensor.js';
import { checkUnary, prelu, preluBackward, unary, unaryBackward } from '../ops/activation.js';
import { binary, binaryBackward, broadcastShape, sumTo } from '../ops/broadcast.js';
import { concat, crop, expand, pad, slice, transpose } from '../ops/strided.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from '../ops/softmax.js';
import type { GraphNode, NodeKind, ShapeArgs } from './node.js';

type Kinds =
  | 'unary'
  | 'prelu'
  | 'binary'
  | 'constop'
  | 'pad'
  | 'concat'
  | 'reducemean'
  | 'softmax'
  | 'reshape'
  | 'transpose'
  | 'slice';
type Node<K extends Kinds> = Extract<GraphNode, { kind: K }>;

const ones = (n: number): number[] => Array<number>(Math.max(0, n)).fill(1);

/** `t` viewed at per-row rank `rank`: [N, 1…, ...row], or for a parameter (no batch axis) [1, 1…, ...shape]. */
function lift(t: Tensor, rank: number, batched = true): Tensor {
  const row = batched ? t.shape.slice(1) : t.shape;
  return t.reshape([batched ? t.shape[0]! : 1, ...ones(rank - row.length), ...row]);
}

/** `fn` on views, which are disposed after. */
export function withViews<R>(views: Tensor[], fn: (...v: Tensor[]) => R): R {
  try {
    return fn(...views);
  } finally {
    for (const v of views) v.dispose();
  }
}

/** Per-row broadcast shape of two per-row shapes (right-aligned). */
function rowBroadcast(what: string, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return broadcastShape(what, [...ones(r - a.length), ...a], [...ones(r - b.length), ...b]);
}

const isIndex = (v: number, below: number): boolean => Number.isInteger(v) && v >= 0 && v < below;

function checkAxes(n: GraphNode, s: ShapeArgs, axes: readonly number[]): void {
  if (axes.some((a) => !isIndex(a, s.x.length)) || new Set(axes).size !== axes.length)
    s.fail(`${n.kind} '${n.name}': axes ${JSON.stringify(axes)} must be distinct axes of ${shapeStr(s.x)}`);
}

/** Gradient views back at each input's own shape. */
const unlift = (grads: (Tensor | null)[], like: readonly Tensor[]) =>
  grads.map((g, k) => g && reshapeOwned(g, like[k]!.shape));

/** A softmax node as (tensor, axis): the coerced form flattens the axes from `axis` on (ONNX opset < 13). */
function softmaxView(n: Node<'softmax'>, t: Tensor): [Tensor, number] {
  const axis = (n.axis ?? t.rank - 2) + 1;
  return n.coerce
    ? [t.reshape([sizeOf(t.shape.slice(0, axis)), sizeOf(t.shape.slice(axis))]), 1]
    : [t.reshape(t.shape), axis];
}

/** Keep-dims shape of a mean over `axes` (per-row). */
const meanShape = (row: readonly number[], axes: readonly number[]) => row.map((d, k) => (axes.includes(k) ? 1 : d));

export const TENSOR_KINDS: { readonly [K in Kinds]: NodeKind<Node<K>> } = {
  unary: {
    shape: (n, s) => (checkUnary(n.op, (message) => s.fail(`unary '${n.name}': ${message}`)), [...s.x]),
    forward: (n, x) => ({ output: unary(x, n.op) }),
    backward: (n, { x0, dy }) => ({ inputs: [unaryBackward(x0, dy, n.op)] }),
  },
  prelu: {
    params: (n) => [n.slope],
    shape: (n, s) => {
      const out = rowBroadcast(`prelu '${n.name}'`, s.x, s.param(n.slope));
      if (shapeStr(out) !== shapeStr(s.x))
        s.fail(
          `prelu '${n.name}': slope ${shapeStr(s.param(n.slope))} does not broadcast to the input ${shapeStr(s.x)}`,
        );
      return out;
    },
    forward: (n, x, _, params) => ({
      output: withViews([lift(params.get(n.slope)!, x.rank - 1, false)], (w) => prelu(x, w)),
    }),
    backward: (n, { x0, dy, params, wantParams }) => {
      const slope = params.get(n.slope)!;
      const { dx, dslope } = withViews([lift(slope, x0.rank - 1, false)], (w) => preluBackward(x0, w, dy, wantParams));
      return { inputs: [dx], params: dslope ? new Map([[n.slope, reshapeOwned(dslope, slope.shape)]]) : undefined };
    },
  },
  binary: {
    inputs: (n) => [n.a, n.b],
    shape: (n, s) => rowBroadcast(`${n.op} '${n.name}'`, s.x, s.second!),
    forward: (n, a, [, b]) => {
      const r = Math.max(a.rank, b!.rank) - 1;
      return { output: withViews([lift(a, r), lift(b!, r)], (u, v) => binary(n.op, u, v)) };
    },
    backward: (n, { xs, y, dy }) => ({
      inputs: unlift(
        withViews([lift(xs[0]!, y.rank - 1), lift(xs[1]!, y.rank - 1)], (u, v) => binaryBackward(n.op, u, v, y, dy)),
        xs,
      ),
    }),
  },
  constop: {
    params: (n) => [n.constant],
    shape: (n, s) => rowBroadcast(`${n.op} '${n.name}'`, s.x, s.param(n.constant)),
    forward: (n, x, _, params) => {
      const c = params.get(n.constant)!;
      const r = Math.max(x.rank - 1, c.rank);
      return {
        output: withViews([lift(x, r), lift(c, r, false)], (u, v) =>
          n.constantFirst ? binary(n.op, v, u) : binary(n.op, u, v),
        ),
      };
    },
    backward: (n, { x0, y, dy, params, wantParams }) => {
      const c = params.get(n.constant)!;
      const [dx, dc] = withViews([lift(x0, y.rank - 1), lift(c, y.rank - 1, false)], (u, v) =>
        n.constantFirst
          ? binaryBackward(n.op, v, u, y, dy, [wantParams, true]).reverse()
          : binaryBackward(n.op, u, v, y, dy, [true, wantParams]),
      );
      return {
        inputs: [reshapeOwned(dx!, x0.shape)],
        params: dc ? new Map([[n.constant, reshapeOwned(dc, c.shape)]]) : undefined,
      };
    },
  },
  pad: {
    shape: (n, s) => {
      const r = s.x.length;
      if (n.pads.length !== 2 * r || n.pads.some((p) => !Number.isInteger(p) || p < 0) || !Number.isFinite(n.value))
        s.fail(
          `pad '${n.name}': pads ${JSON.stringify(n.pads)} must be ${2 * r} non-negative integers (begins, then ends) and the value finite`,
        );
      return s.x.map((d, k) => d + n.pads[k]! + n.pads[k + r]!);
    },
    forward: (n, x) => {
      const r = x.rank - 1;
      return { output: pad(x, [0, ...n.pads.slice(0, r)], [0, ...n.pads.slice(r)], n.value) };
    },
    backward: (n, { x0, dy }) => ({
      inputs: [crop(dy, [0, ...n.pads.slice(0, x0.rank - 1)], x0.shape, 'padBackward')],
    }),
  },
  concat: {
    inputs: (n) => n.inputs,
    shape: (n, s) => {
      if (
        !isIndex(n.axis, s.x.length) ||
        s.inputs.some((t) => t.length !== s.x.length || t.some((d, k) => k !== n.axis && d !== s.x[k]))
      ) {
        s.fail(
          `concat '${n.name}' on axis ${n.axis} of shapes ${s.inputs.map(shapeStr).join(', ')}: the other axes must match`,
        );
      }
      return s.x.map((d, k) => (k === n.axis ? s.inputs.reduce((t, q) => t + q[k]!, 0) : d));
    },
    forward: (n, _, inputs) => ({ output: concat(inputs, n.axis + 1) }),
    backward: (n, { xs, dy }) => {
      let at = 0;
      return {
        inputs: xs.map((t) =>
          crop(
            dy,
            dy.shape.map((_, k) => (k === n.axis + 1 ? (at += t.shape[k]!) - t.shape[k]! : 0)),
            t.shape,
            'concatBackward',
          ),
        ),
      };
    },
  },
  reducemean: {
    shape: (n, s) => (
      checkAxes(n, s, n.axes),
      n.keepDims ? meanShape(s.x, n.axes) : s.x.filter((_, k) => !n.axes.includes(k))
    ),
    forward: (n, x) => {
      const keep = [x.shape[0]!, ...meanShape(x.shape.slice(1), n.axes)];
      const m = sumTo(x, keep, sizeOf(keep) / x.size, 'reduceMean');
      return {
        output: reshapeOwned(m, [
          x.shape[0]!,
          ...(n.keepDims ? keep.slice(1) : x.shape.slice(1).filter((_, k) => !n.axes.includes(k))),
        ]),
      };
    },
    backward: (n, { x0, dy }) => {
      const keep = [x0.shape[0]!, ...meanShape(x0.shape.slice(1), n.axes)];
      return { inputs: [withViews([dy.reshape(keep)], (g) => expand(g, x0.shape, sizeOf(keep) / x0.size))] };
    },
  },
  softmax: {
    shape: (n, s) => {
      if (n.axis !== undefined && !isIndex(n.axis, s.x.length))
        s.fail(`softmax '${n.name}': axis ${n.axis} is out of range for ${shapeStr(s.x)}`);
      return [...s.x];
    },
    forward: (n, x) => {
      const [v, axis] = softmaxView(n, x);
      return { output: withViews([v], (u) => reshapeOwned((n.log ? logSoftmax : softmax)(u, axis), x.shape)) };
    },
    backward: (n, { y, dy }) => {
      const [yv, axis] = softmaxView(n, y);
      return {
        inputs: [
          withViews([yv, dy.reshape(yv.shape)], (u, g) =>
            reshapeOwned((n.log ? logSoftmaxBackward : softmaxBackward)(u, g, axis), y.shape),
          ),
        ],
      };
    },
  },
  reshape: {
    shape: (n, s) => {
      if (n.shape.some((d) => !Number.isInteger(d) || d < 1) || sizeOf(n.shape) !== sizeOf(s.x))
        s.fail(`reshape '${n.name}': cannot view ${shapeStr(s.x)} as ${shapeStr(n.shape)}`);
      return [...n.shape];
    },
    forward: (n, x) => ({ output: x.reshape([x.shape[0]!, ...n.shape]) }),
    backward: (_, { x0, dy }) => ({ inputs: [dy.reshape(x0.shape)] }),
  },
  transpose: {
    shape: (n, s) => {
      if (
        n.perm.length !== s.x.length ||
        n.perm.some((p) => !isIndex(p, s.x.length)) ||
        new Set(n.perm).size !== n.perm.length
      )
        s.fail(`transpose '${n.name}': ${JSON.stringify(n.perm)} is not a permutation of the axes of ${shapeStr(s.x)}`);
      return n.perm.map((p) => s.x[p]!);
    },
    forward: (n, x) => ({ output: transpose(x, [0, ...n.perm.map((p) => p + 1)]) }),
    backward: (n, { dy }) => ({ inputs: [transpose(dy, [0, ...n.perm.map((_, k) => n.perm.indexOf(k) + 1)])] }),
  },
  slice: {
    shape: (n, s) => {
      const d = s.x[n.axis];
      if (
        d === undefined ||
        !isIndex(n.axis, s.x.length) ||
        !(Number.isInteger(n.start) && Number.isInteger(n.end) && 0 <= n.start && n.start < n.end && n.end <= d)
      )
        s.fail(`slice '${n.name}': [${n.start}, ${n.end}) on axis ${n.axis} does not fit ${shapeStr(s.x)}`);
      return s.x.map((q, k) => (k === n.axis ? n.end - n.start : q));
    },
    forward: (n, x) => ({ output: slice(x, n.axis + 1, n.start, n.end) }),
    backward: (n, { x0, dy }) => {
      const at = (v: number) => x0.shape.map((_, k) => (k === n.axis + 1 ? v : 0));
      return { inputs: [pad(dy, at(n.start), at(x0.shape[n.axis + 1]! - n.end), 0, 'sliceBackward')] };
    },
  },
};
