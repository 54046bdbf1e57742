/**
 * PIC — Softmax / Accuracy Information Curves (Kapishnikov et al. 2019), structured like PAIR's
 * saliency/metrics/pic.py with MS-SSIM(bokeh, x) as the information level (the IDGI paper's
 * choice). The bokeh image at threshold t is the blurred image with the pixels whose saliency is
 * ≥ quantile(saliency, 1 − t) (plus an optional random mask) copied back from x.
 * GPU: x, the fully blurred image and every bokeh image are built by one kernel (per-pixel key =
 * the first threshold that reveals it), run as one batch, compared with x by MS-SSIM, and read
 * back once. The curve itself (normalisation, running max, interpolation, AUC) is CPU float64.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { revealImages } from './reveal-images.js';
import { Tensor } from '../tensor/tensor.js';
import { imageTensor, referenceTensor, softmaxRows, trapezoidAuc } from './curve-scores.js';
import { recordMsSsim, type MsSsimOptions } from './ms-ssim.js';
import { reduceToPixels, type PixelReduction } from './pixel-order.js';

export type PicKind = 'sic' | 'aic';

export interface PicOptions {
  kind: PicKind;
  /** ascending fractions in (0, 1) of the most salient pixels to reveal */
  thresholds: readonly number[];
  /** the fully blurred image [C, H, W]; default: x blurred with blurSigma on the GPU */
  blurred?: Float32Array;
  blurSigma?: number; // default 5
  /** H·W flags of pixels revealed at every level (the fully blurred image included) */
  randomMask?: Uint8Array;
  minPredValue?: number; // default 0.8
  keepMonotonous?: boolean; // default true
  numDataPoints?: number; // default 1000
  normalizeInformation?: boolean; // default true
  reduction?: PixelReduction;
  msSsim?: MsSsimOptions;
}

export interface PicResult {
  status: 'ok';
  /** the top class on x, whose prediction is tracked */
  target: number;
  curveX: Float64Array;
  curveY: Float64Array;
  auc: number;
  /** [0, …thresholds, 1] */
  thresholds: number[];
  /** raw predictions: fully blurred, each threshold, x */
  predictions: number[];
  /** raw MS-SSIM to x, same order */
  informationLevels: number[];
}

export type PicOutcome = PicResult | { status: 'skipped'; reason: string };

/** numpy.quantile(v, q), default 'linear' method (with numpy's two-sided lerp). */
export function quantileLinear(values: ArrayLike<number>, q: number): number {
  const v = Float64Array.from(values).sort();
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  const t = pos - lo;
  const diff = v[hi]! - v[lo]!;
  return t >= 0.5 ? v[hi]! - diff * (1 - t) : v[lo]! + diff * t;
}

/** Piecewise-linear interpolation through points sorted by (x, y); outside → the end values. */
export function interpolateCurve(points: readonly (readonly [number, number])[], queries: Float64Array): Float64Array {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return queries.map((q) => {
    const hi = pts.findIndex((p) => p[0] >= q);
    if (hi === -1) return pts[pts.length - 1]![1];
    if (hi === 0) return pts[0]![1];
    const [x0, y0] = pts[hi - 1]!;
    const [x1, y1] = pts[hi]!;
    return y0 + ((y1 - y0) * (q - x0)) / (x1 - x0);
  });
}

const clip01 = (v: number) => Math.min(1, Math.max(0, v));

function argmax(v: ArrayLike<number>, from: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (v[from + j]! > v[from + best]!) best = j;
  return best;
}

function checkKind(kind: unknown): void {
  if (kind !== 'sic' && kind !== 'aic') fail(`pic: kind must be 'sic' or 'aic', got ${String(kind)}`);
}

function checkOptions(opts: Omit<PicOptions, 'kind'>, hw: number): void {
  const t = opts.thresholds;
  if (t.length === 0) fail('pic: no thresholds');
  for (let i = 0; i < t.length; i++) {
    if (!(t[i]! >= 0 && t[i]! <= 1)) fail(`pic: threshold ${i} must be in [0, 1], got ${t[i]}`);
    if (i > 0 && !(t[i]! > t[i - 1]!)) fail(`pic: thresholds must be strictly ascending (${t[i - 1]}, ${t[i]})`);
  }
  if (opts.randomMask && opts.randomMask.length !== hw)
    fail(`pic: randomMask has ${opts.randomMask.length} flags for ${hw} pixels`);
  const n = opts.numDataPoints ?? 1000;
  if (!Number.isInteger(n) || n < 1) fail(`pic: numDataPoints must be an integer ≥ 1, got ${n}`);
}

export async function pic(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: PicOptions,
): Promise<PicOutcome> {
  checkKind(opts.kind);
  return (await picCurves(engine, model, x, attribution, opts))[opts.kind];
}

/**
 * SIC and AIC together: both curves come from the same bokeh images, predictions and MS-SSIM
 * levels, so computing them at once halves the GPU work of two pic() calls.
 */
export async function picCurves(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: Omit<PicOptions, 'kind'>,
): Promise<Record<PicKind, PicOutcome>> {
  const shape = imageInputShape(model.info, 'pic (an image-only metric)');
  const hw = shape[1] * shape[2];
  checkOptions(opts, hw);
  const map = reduceToPixels(attribution, shape, opts.reduction ?? 'abs-sum');
  const levels = opts.thresholds.length;
  // key[p] = first threshold index whose quantile reveals p (thresholds ascend, so the sets nest)
  const key = new Float32Array(hw).fill(levels);
  for (let i = levels - 1; i >= 0; i--) {
    const q = quantileLinear(map, 1 - opts.thresholds[i]!);
    for (let p = 0; p < hw; p++) if (map[p]! >= q) key[p] = i;
  }
  if (opts.randomMask) for (let p = 0; p < hw; p++) if (opts.randomMask[p]) key[p] = -1;
  // images: x (everything), fully blurred (random mask only), then one per threshold
  const bounds = Float32Array.from([levels, -1, ...opts.thresholds.map((_, i) => i)]);

  const image = imageTensor(engine, model, x, 'pic');
  const blurred = opts.blurred
    ? imageTensor(engine, model, opts.blurred, 'pic', 'blurred')
    : referenceTensor(engine, model, image, 'blur', opts.blurSigma ?? 5, 'pic');
  const keyT = Tensor.from(engine, key, [hw], { label: 'pic reveal levels' });
  const boundT = Tensor.from(engine, bounds, [bounds.length], { label: 'pic bounds' });
  const images = revealImages(blurred, image, keyT, boundT);
  const probs = softmaxRows(model, images);
  const info = recordMsSsim(images, image, opts.msSsim);
  // one readback: probabilities then MS-SSIM statistics
  const packed = Tensor.empty(engine, [probs.size + info.stats.size], 'pic results');
  engine.copy(probs.buffer, 0, packed.buffer, 0, probs.byteLength);
  engine.copy(info.stats.buffer, 0, packed.buffer, probs.byteLength, info.stats.byteLength);
  for (const t of [image, blurred, keyT, boundT, images, probs, info.stats]) t.dispose();
  const data = await packed.download();
  packed.dispose();

  const classes = model.info.numClasses;
  const msssim = info.combine(data, bounds.length * classes);
  const target = argmax(data, 0, classes);
  const softmaxOfTarget = (row: number) => data[row * classes + target]!;
  const topIsTarget = (row: number) => (argmax(data, row * classes, classes) === target ? 1 : 0);
  return { sic: picCurve(opts, target, softmaxOfTarget, msssim), aic: picCurve(opts, target, topIsTarget, msssim) };
}

/** pic.py's skip rules and curve from the predictions and information of rows [x, blurred, t_0…]. */
function picCurve(
  opts: Omit<PicOptions, 'kind'>,
  target: number,
  pred: (row: number) => number,
  information: Float64Array,
): PicOutcome {
  const minPred = opts.minPredValue ?? 0.8;
  const numPoints = opts.numDataPoints ?? 1000;
  const normalize = opts.normalizeInformation ?? true;
  const pOrig = pred(0);
  if (pOrig < minPred) return { status: 'skipped', reason: `prediction on x ${pOrig} < minPredValue ${minPred}` };
  const eOrig = information[0]!;
  const eBlur = information[1]!;
  const pBlur = pred(1);
  if (eBlur >= eOrig)
    return { status: 'skipped', reason: `MS-SSIM of the blurred image ${eBlur} ≥ that of x ${eOrig}` };
  if (pBlur >= pOrig) return { status: 'skipped', reason: `prediction on the blurred image ${pBlur} ≥ on x ${pOrig}` };

  const predictions = [pBlur];
  const informationLevels = [eBlur];
  const points: [number, number][] = [];
  let maxPred = 0;
  opts.thresholds.forEach((_, i) => {
    const e = information[2 + i]!;
    const p = pred(2 + i);
    predictions.push(p);
    informationLevels.push(e);
    const level = normalize ? clip01((e - eBlur) / (eOrig - eBlur)) : e;
    const normalizedPred = clip01((p - pBlur) / (pOrig - pBlur));
    maxPred = Math.max(maxPred, normalizedPred);
    points.push([level, (opts.keepMonotonous ?? true) ? maxPred : normalizedPred]);
  });
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
  };
}
