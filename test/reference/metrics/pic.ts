/**
 * PIC — Softmax / Accuracy Information Curves (Kapishnikov et al. 2019), structured like PAIR's
 * saliency/metrics/pic.py, with the IDGI paper's information level: MS-SSIM(bokeh, x) instead of
 * the WebP size. Differences from pic.py, by design:
 *  - the bokeh image is a given blurred image with the revealed pixels (all channels) copied back
 *    from x (the IDGI reproduction's construction), not a griddata interpolation;
 *  - the random mask of always-revealed pixels is optional (PAIR needs it to seed griddata);
 *  - information is normalised like pic.py's entropy, (e − e_blur)/(1 − e_blur) clipped to
 *    [0, 1] (MS-SSIM(x, x) = 1 plays the original's entropy); `normalizeInformation: false` keeps
 *    the raw MS-SSIM as the TMLR reproduction does.
 * Kept from pic.py: threshold t reveals pixels with saliency ≥ numpy.quantile(saliency, 1 − t)
 * (linear interpolation, so ties at the quantile are all revealed); the skip rules; the monotone
 * running max; points (0, 0) and (1, 1) added; linear interpolation on the information axis at
 * numDataPoints + 1 evenly spaced points with the last forced to 1; trapezoid AUC.
 */
import { argmax, softmax, type RefModel } from '../methods/model.js';
import { trapezoidAuc } from './insertion-deletion.js';
import { msSsim, type MsSsimOptions } from './ms-ssim.js';
import { pixelSaliency, type PixelReduction } from './pixel-saliency.js';

export type PicKind = 'sic' | 'aic';

export interface PicOptions {
  kind: PicKind;
  /** The fully blurred image (e.g. gaussianBlur(x, σ)), [C, H, W]. */
  blurred: Float64Array;
  /** Ascending fractions of the most salient pixels to reveal. */
  thresholds: readonly number[];
  /** H·W flags of pixels revealed at every level, the fully blurred one included. */
  randomMask?: Uint8Array;
  minPredValue?: number; // default 0.8
  keepMonotonous?: boolean; // default true
  numDataPoints?: number; // default 1000
  normalizeInformation?: boolean; // default true
  reduction?: PixelReduction; // for a C·H·W saliency; default 'abs-sum'
  msSsim?: MsSsimOptions;
}

export interface PicResult {
  status: 'ok';
  /** The top class on x, whose prediction is tracked. */
  target: number;
  curveX: Float64Array;
  curveY: Float64Array;
  auc: number;
  /** [0, …thresholds, 1]. */
  thresholds: number[];
  /** Raw predictions: fully blurred, each threshold, original. */
  predictions: number[];
  /** Raw MS-SSIM to x, same order as predictions. */
  informationLevels: number[];
  forwardEvaluations: number;
}

export type PicOutcome = PicResult | { status: 'skipped'; reason: string };

/** numpy.quantile(v, q) with the default 'linear' method (numpy's two-sided lerp included). */
export function quantileLinear(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).sort();
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  const t = pos - lo;
  const diff = v[hi]! - v[lo]!;
  return t >= 0.5 ? v[hi]! - diff * (1 - t) : v[lo]! + diff * t;
}

/** The blurred image with the flagged pixels (all channels) restored from x. */
export function bokehImage(
  x: Float64Array,
  blurred: Float64Array,
  keep: Uint8Array,
  shape: readonly [number, number, number],
): Float64Array {
  const [c, h, w] = shape;
  const hw = h * w;
  const out = Float64Array.from(blurred);
  for (let p = 0; p < hw; p++) if (keep[p]) for (let ch = 0; ch < c; ch++) out[ch * hw + p] = x[ch * hw + p]!;
  return out;
}

/** Piecewise-linear interpolation through points sorted by (x, y); outside → the end values. */
export function interpolateCurve(points: readonly (readonly [number, number])[], queries: Float64Array): Float64Array {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return queries.map((q) => {
    let hi = pts.findIndex((p) => p[0] >= q);
    if (hi === -1) return pts[pts.length - 1]![1];
    if (hi === 0) return pts[0]![1];
    const [x0, y0] = pts[hi - 1]!;
    const [x1, y1] = pts[hi]!;
    return y0 + ((y1 - y0) * (q - x0)) / (x1 - x0);
  });
}

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

export function computePic(model: RefModel, x: Float64Array, saliency: Float64Array, opts: PicOptions): PicOutcome {
  const shape = model.shape;
  const hw = shape[1] * shape[2];
  const map = pixelSaliency(saliency, shape, opts.reduction ?? 'abs-sum');
  const minPred = opts.minPredValue ?? 0.8;
  const numPoints = opts.numDataPoints ?? 1000;
  const normalize = opts.normalizeInformation ?? true;
  const randomMask = opts.randomMask ?? new Uint8Array(hw);
  const target = argmax(model.logits(x));
  const pred = (img: Float64Array): number => {
    const z = model.logits(img);
    return opts.kind === 'sic' ? softmax(z)[target]! : argmax(z) === target ? 1 : 0;
  };
  const information = (img: Float64Array) => msSsim(img, x, shape, opts.msSsim).value;

  const pOrig = pred(x);
  if (pOrig < minPred) return { status: 'skipped', reason: `prediction on x ${pOrig} < minPredValue ${minPred}` };
  const fullyBlurred = bokehImage(x, opts.blurred, randomMask, shape);
  const eOrig = information(x);
  const eBlur = information(fullyBlurred);
  const pBlur = pred(fullyBlurred);
  if (eBlur >= eOrig)
    return { status: 'skipped', reason: `MS-SSIM of the blurred image ${eBlur} ≥ that of x ${eOrig}` };
  if (pBlur >= pOrig) return { status: 'skipped', reason: `prediction on the blurred image ${pBlur} ≥ on x ${pOrig}` };

  const predictions = [pBlur];
  const informationLevels = [eBlur];
  const points: [number, number][] = [];
  let maxPred = 0;
  for (const t of opts.thresholds) {
    const q = quantileLinear(map, 1 - t);
    const keep = map.map((s, p) => (s >= q || randomMask[p] ? 1 : 0));
    const image = bokehImage(x, opts.blurred, Uint8Array.from(keep), shape);
    const e = information(image);
    const p = pred(image);
    predictions.push(p);
    informationLevels.push(e);
    const level = normalize ? clip01((e - eBlur) / (eOrig - eBlur)) : e;
    const normalizedPred = clip01((p - pBlur) / (pOrig - pBlur));
    maxPred = Math.max(maxPred, normalizedPred);
    points.push([level, (opts.keepMonotonous ?? true) ? maxPred : normalizedPred]);
  }
  predictions.push(pOrig);
  informationLevels.push(eOrig);
  points.push([0, 0], [1, 1]);

  const curveX = new Float64Array(numPoints + 1);
  for (let i = 0; i < numPoints; i++) curveX[i] = i / numPoints;
  curveX[numPoints] = 1;
  const curveY = interpolateCurve(points, curveX);
  curveY[numPoints] = 1;
  return {
    status: 'ok',
    target,
    curveX,
    curveY,
    auc: trapezoidAuc(curveX, curveY),
    thresholds: [0, ...opts.thresholds, 1],
    predictions,
    informationLevels,
    forwardEvaluations: opts.thresholds.length + 3,
  };
}

/** Pointwise median (SIC, as the IDGI reproduction) or mean (AIC) of the curves, then the AUC. */
export function aggregatePic(
  results: readonly PicResult[],
  method: 'median' | 'mean',
): { curveX: Float64Array; curveY: Float64Array; auc: number } {
  if (results.length === 0) throw new Error('aggregatePic: no results');
  const curveX = results[0]!.curveX;
  for (const r of results) {
    if (r.curveX.length !== curveX.length || r.curveX.some((v, i) => v !== curveX[i]))
      throw new Error('aggregatePic: curve_x differ');
  }
  const curveY = curveX.map((_, i) => {
    const column = results.map((r) => r.curveY[i]!).sort((a, b) => a - b);
    if (method === 'mean') return column.reduce((s, v) => s + v, 0) / column.length;
    const mid = column.length >> 1;
    return column.length % 2 ? column[mid]! : (column[mid - 1]! + column[mid]!) / 2;
  });
  return { curveX, curveY, auc: trapezoidAuc(curveX, curveY) };
}
