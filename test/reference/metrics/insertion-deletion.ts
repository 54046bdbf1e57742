/**
 * Insertion / deletion curves (RISE, Petsiuk et al. 2018).
 * Pixels are ranked by Σ_c |attr| (see pixel-saliency.ts; selectable), most salient first.
 * At K + 1 checkpoints n_k = round(k·H·W/K), k = 0..K, the first n_k ranked pixels (all channels)
 * come from `finish`, the rest from `start`; the score is the target's softmax probability.
 * Insertion: start = reference (black or blurred), finish = x. Deletion: the reverse.
 * AUC: trapezoid rule over the revealed fraction n_k/(H·W) ∈ [0, 1].
 */
import { gaussianBlur } from '../methods/blur.js';
import { softmax, type RefModel } from '../methods/model.js';
import { pixelSaliency, rankPixels, type PixelReduction } from './pixel-saliency.js';

export type ReferenceImage = Float64Array | 'black' | { blurSigma: number };

export interface PixelCurveOptions {
  target: number;
  /** K: number of intervals (K + 1 scores). */
  steps: number;
  reduction?: PixelReduction;
}

export interface PixelCurve {
  fractions: Float64Array;
  scores: Float64Array;
  auc: number;
  order: Int32Array;
  forwardEvaluations: number;
}

export function trapezoidAuc(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i]! - xs[i - 1]!) * (ys[i]! + ys[i - 1]!)) / 2;
  return area;
}

export function resolveReference(
  reference: ReferenceImage,
  x: Float64Array,
  shape: readonly [number, number, number],
): Float64Array {
  if (reference === 'black') return new Float64Array(x.length);
  if (reference instanceof Float64Array) {
    if (reference.length !== x.length) throw new Error(`reference length ${reference.length} != ${x.length}`);
    return reference;
  }
  return gaussianBlur(x, shape, reference.blurSigma);
}

/** Scores while pixels move from `start` to `finish` in `order`. */
export function revealCurve(
  model: RefModel,
  start: Float64Array,
  finish: Float64Array,
  order: Int32Array,
  opts: PixelCurveOptions,
): PixelCurve {
  const [c, h, w] = model.shape;
  const hw = h * w;
  const image = Float64Array.from(start);
  const fractions = new Float64Array(opts.steps + 1);
  const scores = new Float64Array(opts.steps + 1);
  let revealed = 0;
  for (let k = 0; k <= opts.steps; k++) {
    const target = Math.round((k * hw) / opts.steps);
    for (; revealed < target; revealed++) {
      const p = order[revealed]!;
      for (let ch = 0; ch < c; ch++) image[ch * hw + p] = finish[ch * hw + p]!;
    }
    fractions[k] = revealed / hw;
    scores[k] = softmax(model.logits(image))[opts.target]!;
  }
  return { fractions, scores, auc: trapezoidAuc(fractions, scores), order, forwardEvaluations: opts.steps + 1 };
}

function orderOf(model: RefModel, attribution: Float64Array, opts: PixelCurveOptions): Int32Array {
  return rankPixels(pixelSaliency(attribution, model.shape, opts.reduction ?? 'abs-sum'));
}

/** Higher is better. */
export function insertionCurve(
  model: RefModel,
  x: Float64Array,
  attribution: Float64Array,
  reference: ReferenceImage,
  opts: PixelCurveOptions,
): PixelCurve {
  return revealCurve(model, resolveReference(reference, x, model.shape), x, orderOf(model, attribution, opts), opts);
}

/** Lower is better. */
export function deletionCurve(
  model: RefModel,
  x: Float64Array,
  attribution: Float64Array,
  reference: ReferenceImage,
  opts: PixelCurveOptions,
): PixelCurve {
  return revealCurve(model, x, resolveReference(reference, x, model.shape), orderOf(model, attribution, opts), opts);
}
