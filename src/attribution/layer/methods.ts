/**
 * Attribution at a layer (Captum's Layer* and Neuron* classes): what each method computes from the
 * layer keys of the seam (seam.ts), by image groups under the row budget.
 * - layer-ig, idgi: the path method on the layer's activations, from their values at the baseline
 *   to those at x, the rest of the network run from x (subjects.ts); Σ = f(x) − f(x, layer at baseline).
 * - conductance: Σ_k ∂f/∂a(x_k) ⊙ (a(x_{k+1}) − a(x_k)) on the input's straight line, α_k = k/m.
 * - internal-influence: Σ_k w_k ∂f/∂a(x_k) on the input's straight line, by explain()'s rule.
 * - gradcam: ReLU(Σ_c mean_hw(∂f/∂a_c) · a_c) at x, [N, 1, ...spatial]; layer-gradxactivation: ∂f/∂a ⊙ a at x.
 */
import { fail } from '../../errors.js';
import { Tensor, sizeOf } from '../../tensor/tensor.js';
import { concat, slice } from '../../ops/strided.js';
import { binary, sumTo } from '../../ops/broadcast.js';
import { mul, sub as minus } from '../../ops/arithmetic.js';
import { relu } from '../../ops/relu.js';
import { accumulateGradients } from '../kernels/accumulate-gradients.js';
import { straightPathPoints } from '../kernels/path-points.js';
import type { ExplainContext } from '../context.js';
import { evaluationRequest, evaluateValues } from '../evaluate.js';
import { inImageGroups, type IntegrationResult } from '../integrators.js';
import { quadrature } from '../quadrature.js';
import { getMethod, methodOptions, registerMethod, type MethodResult, type MethodSettings } from '../registry.js';
import type { EvaluationKey, Evaluation } from '../subject.js';
import { layerSubject } from './subjects.js';
import './model.js';

type LayerRun = (
  ctx: ExplainContext,
  layer: string,
  shape: readonly number[],
  o: MethodSettings,
) => Promise<MethodResult>;

/** The layer's keys at `points` (ppi rows per image of ctx), counted as evaluations. */
async function atLayer<K extends EvaluationKey>(
  ctx: ExplainContext,
  layer: string,
  points: Tensor,
  ppi: number,
  want: K[],
) {
  const ev = await ctx.subject.evaluate(points, { ...evaluationRequest(ctx, ppi), want, tap: { layer } });
  ctx.stats[want.includes('layerGrad' as K) ? 'gradientEvaluations' : 'forwardEvaluations'] += points.shape[0]!;
  return ev as Pick<Evaluation, K>;
}

/** Rows [image, k] of a [n·s, ...] tensor as [n, s, size]. */
const perImage = (t: Tensor, n: number) => t.reshape([n, t.shape[0]! / n, t.size / t.shape[0]!]);

/** Layer IG / layer IDGI: the input method `base` on [layer | input] rows from [a(x') | x] to [a(x) | x]. */
const onLayerPath =
  (base: 'ig' | 'idgi'): LayerRun =>
  (ctx, layer, shape, o) =>
    inImageGroups(ctx, Math.max(1, Math.floor(ctx.maxRows / 2)), async (g) => {
      const [n, l] = [g.x.shape[0]!, sizeOf(shape)];
      const ends = straightPathPoints(g.x, g.baseline, [0, 1]);
      const { activation } = await atLayer(g, layer, ends, 2, ['activation']);
      const pairs = perImage(activation, n);
      const input = g.x.reshape([n, sizeOf(g.x.shape) / n]);
      const [aStart, aEnd] = [0, 1].map((k) => slice(pairs, 1, k, k + 1).reshape([n, l]));
      const [start, end] = [aStart, aEnd].map((a) => concat([a!, input], 1));
      for (const t of [ends, activation, pairs, input, aStart, aEnd]) t!.dispose();
      const lctx = { ...g, x: end!, baseline: start!, subject: layerSubject(g.subject, layer, shape) };
      try {
        const r = await getMethod(base).run(lctx, o);
        const attribution = slice(r.attribution, 1, 0, l).reshape([n, ...shape]);
        r.attribution.dispose();
        return { attribution, dropped: r.dropped, fStart: await evaluateValues(lctx, start!, 1) };
      } finally {
        start!.dispose();
        end!.dispose();
      }
    });

/** Σ over the input's straight line of what `step` makes of each chunk's [n, s, ...] activations and gradients. */
function alongInputPath(
  alphas: Float64Array,
  chunkOverlap: number,
  step: (acc: Tensor, a: Tensor, g: Tensor, first: number, n: number) => void,
): LayerRun {
  return (ctx, layer, shape) =>
    inImageGroups(ctx, Math.max(1, Math.floor(ctx.maxRows / (1 + chunkOverlap))), async (g) => {
      const n = g.x.shape[0]!;
      const acc = Tensor.zeros(g.engine, [n, ...shape], 'layer attribution');
      const per = Math.max(1 + chunkOverlap, Math.floor(g.maxRows / n));
      for (let first = 0; first + chunkOverlap < alphas.length; first += per - chunkOverlap) {
        const count = Math.min(per, alphas.length - first);
        const points = straightPathPoints(g.x, g.baseline, alphas.subarray(first, first + count));
        const ev = await atLayer(g, layer, points, count, ['activation', 'layerGrad']);
        const [a, grad] = [perImage(ev.activation, n), perImage(ev.layerGrad, n)];
        step(acc, a, grad, first, n);
        for (const t of [points, ev.activation, ev.layerGrad, a, grad]) t.dispose();
        await g.checkpoint?.(first + count, alphas.length);
      }
      return { attribution: acc };
    });
}

const conductance: LayerRun = (ctx, layer, shape, o) => {
  const alphas = Float64Array.from({ length: o.steps + 1 }, (_, k) => k / o.steps);
  return alongInputPath(alphas, 1, (acc, a, g) => {
    const s = a.shape[1]! - 1;
    const [next, here, grad] = [slice(a, 1, 1, s + 1), slice(a, 1, 0, s), slice(g, 1, 0, s)];
    const delta = minus(next, here);
    accumulateGradients(acc, grad, new Float64Array(s).fill(1), { dir: delta });
    for (const t of [next, here, grad, delta]) t.dispose();
  })(ctx, layer, shape, o);
};

const internalInfluence: LayerRun = (ctx, layer, shape, o) => {
  const q = quadrature(o.rule, o.steps);
  return alongInputPath(q.alphas, 0, (acc, _a, g, first) =>
    accumulateGradients(acc, g, q.weights.subarray(first, first + g.shape[1]!)),
  )(ctx, layer, shape, o);
};

/** A method of the layer's activation and gradient at x alone. */
const atInput =
  (combine: (a: Tensor, g: Tensor, shape: readonly number[]) => Tensor): LayerRun =>
  (ctx, layer, shape) =>
    inImageGroups(ctx, ctx.maxRows, async (g) => {
      const ev = await atLayer(g, layer, g.x, 1, ['activation', 'layerGrad']);
      const attribution = combine(ev.activation, ev.layerGrad, shape);
      ev.activation.dispose();
      ev.layerGrad.dispose();
      return { attribution };
    });

/** Captum's LayerGradCam: channel weights are the gradient's spatial means (a [C] layer: the gradient itself). */
function gradCam(a: Tensor, g: Tensor, shape: readonly number[]): Tensor {
  const [n, c, hw] = [a.shape[0]!, shape[0]!, sizeOf(shape.slice(1))];
  const [a3, g3] = [a, g].map((t) => t.reshape([n, c, hw]));
  const weights = sumTo(g3!, [n, c, 1], 1 / hw);
  const weighted = binary('mul', a3!, weights);
  const summed = sumTo(weighted, [n, 1, hw]);
  const cam = relu(summed);
  for (const t of [a3, g3, weights, weighted, summed]) t!.dispose();
  return cam.reshape([n, 1, ...shape.slice(1)]);
}

export const LAYER_METHODS: ReadonlyMap<string, LayerRun> = new Map([
  ['layer-ig', onLayerPath('ig')],
  ['idgi', onLayerPath('idgi')],
  ['conductance', conductance],
  ['internal-influence', internalInfluence],
  ['gradcam', atInput(gradCam)],
  ['layer-gradxactivation', atInput((a, g) => mul(g, a))],
]);

declare module '../registry.js' {
  interface MethodRegistry {
    'layer-ig': Record<string, never>;
    conductance: Record<string, never>;
    'internal-influence': Record<string, never>;
    gradcam: Record<string, never>;
    'layer-gradxactivation': Record<string, never>;
    'neuron-ig': Record<string, never>;
  }
}

const needsLayer = (name: string) => () =>
  fail(`${name} attributes to a layer: give explain() a layer (CLI: --layer NAME)`) as IntegrationResult;
const LAYER_ONLY: [string, number, 'complete' | 'approximate' | 'none', string][] = [
  [
    'layer-ig',
    64,
    'complete',
    "Layer Integrated Gradients: IG on a layer's activations (Captum's LayerIntegratedGradients)",
  ],
  ['conductance', 64, 'approximate', "Layer conductance: Σ ∂f/∂a ⊙ Δa along the input's straight line (Captum)"],
  [
    'internal-influence',
    64,
    'none',
    "Internal influence: the layer's gradient integrated along the input's straight line (Captum)",
  ],
  ['gradcam', 1, 'none', 'Grad-CAM at a layer: ReLU of the activations weighted by the mean gradient per channel'],
  ['layer-gradxactivation', 1, 'none', "The layer's gradient times its activation (Captum's LayerGradientXActivation)"],
];
for (const [name, defaultSteps, check, description] of LAYER_ONLY)
  registerMethod(name, {
    options: (raw) => methodOptions(name, raw, []),
    run: needsLayer(name),
    defaultSteps,
    check,
    description,
  });
registerMethod('neuron-ig', {
  options: (raw) => methodOptions('neuron-ig', raw, []),
  run: (ctx, o) => getMethod('ig').run(ctx, o), // on the neuron's subject (explain's tap settings)
  defaultSteps: 64,
  check: 'complete',
  start: 'unit(baseline)',
  description: "Neuron Integrated Gradients: IG of one unit of a layer (Captum's NeuronIntegratedGradients)",
});
