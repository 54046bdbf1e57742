/**
 * FLOPs of a model's convs and linears, counted from its graph (node output shapes and parameter
 * shapes), for the achieved-GFLOP/s figures of `npm run bench`. Useful FLOPs only: 2 per
 * multiply-add; bias, ReLU, pooling, residual adds and the methods' own kernels are not counted.
 */
import type { Model } from '../src/nn/model.js';

export interface ModelFlops {
  /** one row (image / path point) through the convs and linears */
  forward: number;
  /** one row's input gradient through them (dX = dY · Wᵀ per layer, the same count; no weight gradients) */
  inputGradient: number;
  /** per layer, forward FLOPs of one row */
  layers: { name: string; flops: number }[];
}

export const FLOPS_FORMULA =
  'per row: forward = Σ over conv2d nodes 2·Cout·Ho·Wo·(Cin/groups)·KH·KW + Σ over linear nodes 2·in·out; ' +
  'input gradient = the same count (dX = dY·Wᵀ of every conv/linear, weight gradients are not computed). ' +
  'Per attribution: gradientEvaluations·(forward + inputGradient) + forwardEvaluations·forward (Explanation counters; ' +
  "the bench passes an explicit target class, so no extra forward picks it); the methods' own kernels (path points, " +
  'IDGI step, Guided-IG selection, blur, IG2 steps) are not counted, so GFLOP/s is a lower bound on the work done';

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function modelFlops(model: Model): ModelFlops {
  const layers: ModelFlops['layers'] = [];
  model.nodes.forEach((node, i) => {
    if (node.kind !== 'conv2d' && node.kind !== 'linear') return;
    const w = model.params.get(node.weight)!.shape; // conv [Cout, Cin/groups, KH, KW], linear [out, in]
    // conv: every output element (Cout·Ho·Wo) takes Cin/groups·KH·KW multiply-adds; linear: out·in.
    const flops = node.kind === 'conv2d' ? 2 * prod(model.nodeShapes[i]!) * prod(w.slice(1)) : 2 * prod(w);
    layers.push({ name: node.name, flops });
  });
  const forward = layers.reduce((s, l) => s + l.flops, 0);
  return { forward, inputGradient: forward, layers };
}

/** FLOPs of one attribution call (see FLOPS_FORMULA). */
export function attributionFlops(
  f: ModelFlops,
  call: { gradientEvaluations: number; forwardEvaluations: number },
): number {
  return call.gradientEvaluations * (f.forward + f.inputGradient) + call.forwardEvaluations * f.forward;
}
