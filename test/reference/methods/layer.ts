/**
 * float64 references of attribution at a layer, after Captum's definitions (captum/attr/_core/layer/
 * layer_integrated_gradients.py, layer_conductance.py, internal_influence.py, grad_cam.py,
 * layer_gradient_x_activation.py; neuron/neuron_integrated_gradients.py), on a graph evaluated in
 * float64 (graph.ts) one image at a time. Layer IDGI is IDGI's step on layer IG's path.
 */
import type { GraphNode } from '../../../src/nn/graph.js';
import { refBackward, refForward, type ParamShapes, type RefParams } from '../graph.js';
import { idgiFromEvaluations } from './idgi.js';
import { quadrature, type QuadratureRule } from './integrators.js';

export interface RefLayer {
  act(x: Float64Array): Float64Array;
  /** f(x) with the layer's values `a` in place (the rest run from x), and ∂f/∂layer there */
  f(x: Float64Array, target: number, a?: Float64Array): number;
  layerGrad(x: Float64Array, target: number, a?: Float64Array): Float64Array;
  unit(x: Float64Array, unit: number): number;
  unitGrad(x: Float64Array, unit: number): Float64Array;
  shape: number[];
}

export function refLayer(
  nodes: readonly GraphNode[],
  params: RefParams,
  shapes: ParamShapes,
  inputShape: readonly number[],
  k: number,
): RefLayer {
  const last = nodes.length - 1;
  const run = (x: Float64Array, a?: Float64Array) =>
    refForward(nodes, params, shapes, x, [1, ...inputShape], a && new Map([[k, a]]));
  const oneHot = (n: number, i: number) => Object.assign(new Float64Array(n), { [i]: 1 });
  const back = (x: Float64Array, seedAt: number, seed: Float64Array, a?: Float64Array) =>
    refBackward(nodes, params, shapes, run(x, a), new Map([[seedAt, seed]]));
  const logits = (x: Float64Array, a?: Float64Array) => run(x, a).outs[last]!;
  return {
    shape: run(new Float64Array(inputShape.reduce((p, d) => p * d, 1))).shapes[k]!.slice(1),
    act: (x) => run(x).outs[k]!,
    f: (x, t, a) => logits(x, a)[t]!,
    layerGrad: (x, t, a) => back(x, last, oneHot(logits(x, a).length, t), a).grads.get(k)!,
    unit: (x, u) => run(x).outs[k]![u]!,
    unitGrad: (x, u) => back(x, k, oneHot(run(x).outs[k]!.length, u)).dx,
  };
}

const lerp = (b: Float64Array, x: Float64Array, t: number) => b.map((v, i) => v + t * (x[i]! - v));
const axpy = (acc: Float64Array, w: number, g: Float64Array, dir?: Float64Array) =>
  acc.forEach((v, i) => (acc[i] = v + w * g[i]! * (dir ? dir[i]! : 1)));

/** LayerIntegratedGradients: attr and the f it starts from, f(x, layer at the baseline's activation). */
export function refLayerIg(
  m: RefLayer,
  x: Float64Array,
  b: Float64Array,
  t: number,
  steps: number,
  rule: QuadratureRule = 'trapezoid',
) {
  const [ax, ab] = [m.act(x), m.act(b)];
  const q = quadrature(rule, steps);
  const acc = new Float64Array(ax.length);
  q.alphas.forEach((al, k) => axpy(acc, q.weights[k]!, m.layerGrad(x, t, lerp(ab, ax, al))));
  return { attribution: acc.map((v, i) => v * (ax[i]! - ab[i]!)), fStart: m.f(x, t, ab) };
}

export function refLayerIdgi(m: RefLayer, x: Float64Array, b: Float64Array, t: number, steps: number) {
  const [ax, ab] = [m.act(x), m.act(b)];
  const pts = Array.from({ length: steps + 1 }, (_, k) => lerp(ab, ax, k / steps));
  const r = idgiFromEvaluations(
    pts.slice(0, steps).map((a) => m.layerGrad(x, t, a)),
    pts.map((a) => m.f(x, t, a)),
  );
  return { attribution: r.attribution, fStart: m.f(x, t, ab) };
}

/** LayerConductance with Captum's riemann_trapezoid points α_k = k/m. */
export function refConductance(m: RefLayer, x: Float64Array, b: Float64Array, t: number, steps: number) {
  const pts = Array.from({ length: steps + 1 }, (_, k) => lerp(b, x, k / steps));
  const acts = pts.map((p) => m.act(p));
  const acc = new Float64Array(acts[0]!.length);
  for (let k = 0; k < steps; k++)
    axpy(
      acc,
      1,
      m.layerGrad(pts[k]!, t),
      acts[k + 1]!.map((v, i) => v - acts[k]![i]!),
    );
  return acc;
}

export function refInternalInfluence(m: RefLayer, x: Float64Array, b: Float64Array, t: number, steps: number) {
  const q = quadrature('trapezoid', steps);
  const acc = new Float64Array(m.act(x).length);
  q.alphas.forEach((al, k) => axpy(acc, q.weights[k]!, m.layerGrad(lerp(b, x, al), t)));
  return acc;
}

/** LayerGradCam: ReLU(Σ_c mean over the spatial axes of ∂f/∂a_c · a_c), [1, ...spatial]. */
export function refGradCam(m: RefLayer, x: Float64Array, t: number) {
  const [a, g] = [m.act(x), m.layerGrad(x, t)];
  const c = m.shape[0]!;
  const hw = a.length / c;
  const cam = new Float64Array(hw);
  for (let ch = 0; ch < c; ch++) {
    let w = 0;
    for (let p = 0; p < hw; p++) w += g[ch * hw + p]! / hw;
    for (let p = 0; p < hw; p++) cam[p] += w * a[ch * hw + p]!;
  }
  return cam.map((v) => Math.max(0, v));
}

export const refGradXActivation = (m: RefLayer, x: Float64Array, t: number) =>
  m.layerGrad(x, t).map((g, i) => g * m.act(x)[i]!);

/** NeuronIntegratedGradients: input IG of one unit of the layer. */
export function refNeuronIg(m: RefLayer, x: Float64Array, b: Float64Array, unit: number, steps: number) {
  const q = quadrature('trapezoid', steps);
  const acc = new Float64Array(x.length);
  q.alphas.forEach((al, k) => axpy(acc, q.weights[k]!, m.unitGrad(lerp(b, x, al), unit)));
  return acc.map((v, i) => v * (x[i]! - b[i]!));
}
