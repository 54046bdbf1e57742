/**
 * float64 execution of a model graph (the same GraphNode list the GPU Model runs) on the reference
 * ops: forward for a batch, and backward from seeds at any nodes to the input and parameters.
 * Also adapts a graph to the RefModel interface of the method references (one image at a time).
 * [N, C, L] activations of conv / pooling / batch-norm nodes are computed as [N, C, 1, L] planes.
 */
import type { GraphNode } from '../../src/nn/graph.js';
import { nodeInputs } from '../../src/nn/graph.js';
import * as conv from './conv2d.js';
import * as lin from './linear.js';
import * as pool from './pool.js';
import * as bnr from './batch-norm.js';
import * as ew from './elementwise.js';
import * as sm from './softmax.js';
import * as to from './tensor-ops.js';
import type { RefModel } from './methods/model.js';

export type RefParams = ReadonlyMap<string, Float64Array>;
export type ParamShapes = ReadonlyMap<string, readonly number[]>;

/** [N, C, L] as the [N, C, 1, L] plane the 4-D references take (a 1-D conv weight likewise) */
const planar = (s: readonly number[]): number[] => (s.length === 3 ? [s[0]!, s[1]!, 1, s[2]!] : [...s]);
/** a planar result shape back at the rank of `like` */
const unplanar = (s: number[], like: readonly number[]): number[] => (like.length === 3 ? [s[0]!, s[1]!, s[3]!] : s);

/** A batch shape [N, ...row] (or with `batched` false a parameter's shape) at total rank r, right-aligned per row. */
const lift = (s: readonly number[], r: number, batched = true): number[] => {
  const row = batched ? s.slice(1) : s;
  return [batched ? s[0]! : 1, ...Array<number>(r - 1 - row.length).fill(1), ...row];
};
/** A softmax node's (shape, axis): the coerced form flattens from the axis on. */
function softmaxLayout(node: Extract<GraphNode, { kind: 'softmax' }>, s: readonly number[]): [number[], number] {
  const axis = (node.axis ?? s.length - 2) + 1;
  return node.coerce ? [[to.size(s.slice(0, axis)), to.size(s.slice(axis))], 1] : [[...s], axis];
}
const meanAxes = (node: Extract<GraphNode, { kind: 'reducemean' }>) => node.axes.map((a) => a + 1);

const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v;

function convSpec(
  node: Extract<GraphNode, { kind: 'conv2d' }>,
  xShape: readonly number[],
  wShape: readonly number[],
): conv.ConvSpec {
  return {
    xShape: planar(xShape) as [number, number, number, number],
    wShape: planar(wShape) as [number, number, number, number],
    stride: pair(node.params.stride, 1),
    padding: (typeof node.params.padding === 'object'
      ? [...node.params.padding]
      : pair(node.params.padding, 0)) as conv.ConvSpec['padding'],
    dilation: pair(node.params.dilation, 1),
    groups: node.params.groups ?? 1,
  };
}

function bnOf(params: RefParams, prefix: string, eps: number): bnr.BnRef {
  return {
    gamma: params.get(`${prefix}.weight`)!,
    beta: params.get(`${prefix}.bias`)!,
    mean: params.get(`${prefix}.running_mean`)!,
    variance: params.get(`${prefix}.running_var`)!,
    eps,
  };
}

export interface RefForward {
  outs: Float64Array[];
  shapes: number[][];
  argmax: (Float64Array | null)[];
}

export function refForward(
  nodes: readonly GraphNode[],
  params: RefParams,
  shapesOf: ParamShapes,
  x: Float64Array,
  xShape: readonly number[],
  splice?: ReadonlyMap<number, Float64Array>,
): RefForward {
  const outs: Float64Array[] = [x];
  const shapes: number[][] = [[...xShape]];
  const argmax: (Float64Array | null)[] = [null];
  for (let i = 1; i < nodes.length; i++) {
    const node = nodes[i]!;
    const ins = nodeInputs(node);
    const a = outs[ins[0]!]!;
    const s = shapes[ins[0]!]!;
    let y: Float64Array;
    let ys: number[] = s;
    let am: Float64Array | null = null;
    switch (node.kind) {
      case 'conv2d': {
        const spec = convSpec(node, s, shapesOf.get(node.weight)!);
        y = conv.conv2d(a, params.get(node.weight)!, node.bias ? params.get(node.bias)! : null, spec, {
          relu: node.relu,
          residual: ins[1] !== undefined ? outs[ins[1]]! : undefined,
        });
        ys = unplanar(conv.outputShape(spec), s);
        break;
      }
      case 'linear': {
        // over the last axis: rows of [..., K]
        const [m, k] = shapesOf.get(node.weight)!;
        y = lin.linear(
          a,
          params.get(node.weight)!,
          node.bias ? params.get(node.bias)! : null,
          a.length / k!,
          k!,
          m!,
          node.relu,
        );
        ys = [...s.slice(0, -1), m!];
        break;
      }
      case 'relu':
        y = ew.relu(a);
        break;
      case 'maxpool': {
        const r = pool.maxPool2d(a, planar(s), node.params);
        y = r.y;
        am = r.argmax;
        ys = unplanar(pool.outputShape(planar(s), node.params), s);
        break;
      }
      case 'maxpoolargmax': {
        // the plane-local argmax, row-major (h·W + w) or column-major (w·H + h)
        const ps = planar(s);
        const { argmax: k } = pool.maxPool2d(a, ps, node.params);
        const [h, w] = [ps[2]!, ps[3]!];
        y = node.columnMajor ? k.map((i) => (i % w) * h + Math.floor(i / w)) : k;
        ys = unplanar(pool.outputShape(ps, node.params), s);
        break;
      }
      case 'avgpool':
        y = pool.avgPool2d(a, planar(s), node.params, node.params.countIncludePad ?? true);
        ys = unplanar(pool.outputShape(planar(s), node.params), s);
        break;
      case 'gap':
        y = pool.globalAvgPool(a, planar(s));
        ys = [s[0]!, s[1]!];
        break;
      case 'batchnorm': {
        const bn = bnOf(params, node.prefix, node.eps);
        // batch statistics: the row [N, C, ...] is the batch (one row at a time)
        y = node.batchStatistics
          ? bnr.batchNormTraining(a, planar(s.slice(1)), bn.gamma, bn.beta, bn.eps, node.relu)
          : bnr.batchNorm(a, planar(s), bn, node.relu);
        break;
      }
      case 'add': {
        y = ew.add(a, outs[ins[1]!]!);
        if (node.relu) y = ew.relu(y);
        break;
      }
      case 'flatten':
        y = a;
        ys = [s[0]!, s.slice(1).reduce((p, q) => p * q, 1)];
        break;
      case 'softmax': {
        const [shape, axis] = softmaxLayout(node, s);
        y = to.softmaxAxis(a, shape, axis, node.log);
        break;
      }
      case 'unary':
        y = to.unary(a, node.op);
        break;
      case 'prelu':
        y = to.prelu(a, s, params.get(node.slope)!, lift(shapesOf.get(node.slope)!, s.length, false));
        break;
      case 'binary':
      case 'constop': {
        const cs = node.kind === 'binary' ? shapes[ins[1]!]! : shapesOf.get(node.constant)!;
        const r = Math.max(s.length, cs.length + (node.kind === 'binary' ? 0 : 1));
        const [xs, ks] = [lift(s, r), lift(cs, r, node.kind === 'binary')];
        const k = node.kind === 'binary' ? outs[ins[1]!]! : params.get(node.constant)!;
        y =
          node.kind === 'constop' && node.constantFirst
            ? to.binary(node.op, k, ks, a, xs)
            : to.binary(node.op, a, xs, k, ks);
        ys = to.broadcastShape(xs, ks);
        break;
      }
      case 'pad': {
        const r = s.length - 1;
        y = to.pad(a, s, [0, ...node.pads.slice(0, r)], [0, ...node.pads.slice(r)], node.value);
        ys = s.map((d, k) => (k === 0 ? d : d + node.pads[k - 1]! + node.pads[k - 1 + r]!));
        break;
      }
      case 'concat':
        y = to.concat(
          ins.map((j) => outs[j]!),
          ins.map((j) => shapes[j]!),
          node.axis + 1,
        );
        ys = s.map((d, k) => (k === node.axis + 1 ? ins.reduce((n, j) => n + shapes[j]![k]!, 0) : d));
        break;
      case 'reducemean': {
        const axes = meanAxes(node);
        y = to.meanKeep(a, s, axes);
        ys = node.keepDims ? s.map((d, k) => (axes.includes(k) ? 1 : d)) : s.filter((_, k) => !axes.includes(k));
        break;
      }
      case 'reshape':
        y = a;
        ys = [s[0]!, ...node.shape];
        break;
      case 'transpose': {
        const perm = [0, ...node.perm.map((p) => p + 1)];
        y = to.transpose(a, s, perm);
        ys = perm.map((p) => s[p]!);
        break;
      }
      case 'slice': {
        const starts = s.map((_, k) => (k === node.axis + 1 ? node.start : 0));
        ys = s.map((d, k) => (k === node.axis + 1 ? node.end - node.start : d));
        y = to.crop(a, s, starts, ys);
        break;
      }
      case 'input':
        throw new Error('second input node');
    }
    outs.push(splice?.get(i) ?? y); // a layer's values given in place of its output (layer attribution)
    shapes.push(ys);
    argmax.push(am);
  }
  return { outs, shapes, argmax };
}

/** Backward from seeds (gradients at node outputs) to the input; parameter gradients too. */
export function refBackward(
  nodes: readonly GraphNode[],
  params: RefParams,
  shapesOf: ParamShapes,
  fw: RefForward,
  seeds: ReadonlyMap<number, Float64Array>,
): { dx: Float64Array; params: Map<string, Float64Array>; grads: Map<number, Float64Array> } {
  const grads = new Map<number, Float64Array>();
  const acc = (i: number, g: Float64Array) => {
    const p = grads.get(i);
    grads.set(i, p ? ew.add(p, g) : g);
  };
  for (const [i, s] of seeds) acc(i, s);
  const pgrads = new Map<string, Float64Array>();
  for (let i = nodes.length - 1; i >= 1; i--) {
    const dy0 = grads.get(i);
    if (!dy0) continue;
    const node = nodes[i]!;
    const ins = nodeInputs(node);
    const x = fw.outs[ins[0]!]!;
    const xs = fw.shapes[ins[0]!]!;
    const y = fw.outs[i]!;
    const relu = node.kind !== 'relu' && 'relu' in node && !!node.relu;
    const dy = relu ? ew.reluBackward(y, dy0) : dy0; // fused relu epilogue
    switch (node.kind) {
      case 'conv2d': {
        const spec = convSpec(node, xs, shapesOf.get(node.weight)!);
        acc(ins[0]!, conv.conv2dBackwardInput(dy, params.get(node.weight)!, spec));
        const { dw, db } = conv.conv2dBackwardWeight(x, dy, spec);
        pgrads.set(node.weight, dw);
        if (node.bias) pgrads.set(node.bias, db);
        if (ins[1] !== undefined) acc(ins[1], dy);
        break;
      }
      case 'linear': {
        const [m, k] = shapesOf.get(node.weight)!;
        acc(ins[0]!, lin.linearBackwardInput(dy, params.get(node.weight)!, x.length / k!, k!, m!));
        const { dw, db } = lin.linearBackwardWeight(x, dy, x.length / k!, k!, m!);
        pgrads.set(node.weight, dw);
        if (node.bias) pgrads.set(node.bias, db);
        break;
      }
      case 'relu':
        acc(ins[0]!, ew.reluBackward(y, dy));
        break;
      case 'maxpool':
        acc(ins[0]!, pool.maxPool2dBackward(dy, fw.argmax[i]!, planar(xs), node.params));
        break;
      case 'avgpool':
        acc(ins[0]!, pool.avgPool2dBackward(dy, planar(xs), node.params, node.params.countIncludePad ?? true));
        break;
      case 'gap':
        acc(ins[0]!, pool.globalAvgPoolBackward(dy, planar(xs)));
        break;
      case 'maxpoolargmax':
        break; // piecewise constant
      case 'batchnorm': {
        const running = bnOf(params, node.prefix, node.eps);
        const shape = planar(node.batchStatistics ? xs.slice(1) : xs);
        const bn = node.batchStatistics ? { ...running, ...bnr.batchStatistics(x, shape) } : running;
        acc(
          ins[0]!,
          node.batchStatistics
            ? bnr.batchNormTrainingBackwardInput(x, dy, shape, bn.gamma, bn.eps)
            : bnr.batchNormBackwardInput(dy, shape, bn),
        );
        const { dgamma, dbeta } = bnr.batchNormBackwardParams(x, dy, shape, bn);
        pgrads.set(`${node.prefix}.weight`, dgamma);
        pgrads.set(`${node.prefix}.bias`, dbeta);
        break;
      }
      case 'add':
        acc(ins[0]!, dy);
        acc(ins[1]!, dy);
        break;
      case 'flatten':
        acc(ins[0]!, dy);
        break;
      case 'softmax': {
        const [shape, axis] = softmaxLayout(node, xs);
        acc(ins[0]!, to.softmaxAxisBackward(y, dy, shape, axis, node.log));
        break;
      }
      case 'unary':
        acc(ins[0]!, to.unaryBackward(x, dy, node.op));
        break;
      case 'prelu': {
        const r = to.preluBackward(
          x,
          xs,
          params.get(node.slope)!,
          lift(shapesOf.get(node.slope)!, xs.length, false),
          dy,
        );
        acc(ins[0]!, r.dx);
        pgrads.set(node.slope, r.dw);
        break;
      }
      case 'binary':
      case 'constop': {
        const ys = fw.shapes[i]!;
        const isB = node.kind === 'binary';
        const [ax, as] = [x, lift(xs, ys.length)];
        const [bx, bs] = isB
          ? [fw.outs[ins[1]!]!, lift(fw.shapes[ins[1]!]!, ys.length)]
          : [params.get(node.constant)!, lift(shapesOf.get(node.constant)!, ys.length, false)];
        const first = !isB && node.constantFirst;
        const [g0, g1] = first
          ? to.binaryBackward(node.op, bx, bs, ax, as, dy).reverse()
          : to.binaryBackward(node.op, ax, as, bx, bs, dy);
        acc(ins[0]!, g0!);
        if (isB) acc(ins[1]!, g1!);
        else pgrads.set(node.constant, g1!);
        break;
      }
      case 'pad':
        acc(ins[0]!, to.crop(dy, fw.shapes[i]!, [0, ...node.pads.slice(0, xs.length - 1)], xs));
        break;
      case 'concat': {
        let at = 0;
        for (const j of ins) {
          const s = fw.shapes[j]!;
          acc(
            j,
            to.crop(
              dy,
              fw.shapes[i]!,
              s.map((_, k) => (k === node.axis + 1 ? at : 0)),
              s,
            ),
          );
          at += s[node.axis + 1]!;
        }
        break;
      }
      case 'reducemean':
        acc(ins[0]!, to.meanKeepBackward(dy, xs, meanAxes(node)));
        break;
      case 'reshape':
        acc(ins[0]!, dy);
        break;
      case 'transpose':
        acc(ins[0]!, to.transpose(dy, fw.shapes[i]!, [0, ...node.perm.map((_, k) => node.perm.indexOf(k) + 1)]));
        break;
      case 'slice': {
        const begin = xs.map((_, k) => (k === node.axis + 1 ? node.start : 0));
        const end = xs.map((d, k) => (k === node.axis + 1 ? d - node.end : 0));
        acc(ins[0]!, to.pad(dy, fw.shapes[i]!, begin, end, 0));
        break;
      }
      case 'input':
        break;
    }
  }
  return { dx: grads.get(0) ?? new Float64Array(fw.outs[0]!.length), params: pgrads, grads };
}

/** One-image RefModel over a graph, for the attribution-method references. */
export function graphRefModel(
  nodes: readonly GraphNode[],
  params: RefParams,
  shapesOf: ParamShapes,
  inputShape: readonly [number, number, number],
  representationNode: number,
): RefModel {
  const last = nodes.length - 1;
  const shape = [1, ...inputShape];
  const fwd = (x: Float64Array) => refForward(nodes, params, shapesOf, x, shape);
  const logits = (x: Float64Array) => fwd(x).outs[last]!;
  const numClasses =
    shapesOf.get((nodes[last] as { weight?: string }).weight ?? '')?.[0] ??
    logits(new Float64Array(inputShape.reduce((a, b) => a * b, 1))).length;
  return {
    shape: inputShape,
    numClasses,
    logits,
    grad(x, target, output) {
      const f = fwd(x);
      const z = f.outs[last]!;
      const seed = new Float64Array(z.length);
      if (output === 'logit') seed[target] = 1;
      else {
        const p = sm.softmax(z, 1, z.length);
        for (let j = 0; j < z.length; j++) seed[j] = p[target]! * ((j === target ? 1 : 0) - p[j]!);
      }
      return refBackward(nodes, params, shapesOf, f, new Map([[last, seed]])).dx;
    },
    rep: (x) => fwd(x).outs[representationNode]!,
    repVjp(x, v) {
      const f = fwd(x);
      return refBackward(nodes, params, shapesOf, f, new Map([[representationNode, v]])).dx;
    },
  };
}
