/**
 * Insertion / deletion curves (RISE, Petsiuk et al. 2018). Pixels are ranked by saliency (CPU,
 * once); at K + 1 checkpoints n_k = round(k·H·W/K) the first n_k ranked pixels (all channels) come
 * from `finish`, the rest from `start`, and the score is the target's softmax probability.
 * Insertion: reference → x (higher AUC is better); deletion: x → reference (lower is better).
 * Both curves' 2(K + 1) images are built by one kernel, run as one batch, and read back once.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { revealImages } from './reveal-images.js';
import { concatBatch } from '../tensor/batch.js';
import { Tensor } from '../tensor/tensor.js';
import {
  checkTarget,
  imageTensor,
  referenceTensor,
  softmaxRows,
  trapezoidAuc,
  type ReferenceImage,
} from './curve-scores.js';
import { reduceToPixels, rankPixels, rankPositions, type PixelReduction } from './pixel-order.js';

export interface InsertionDeletionOptions {
  target: number;
  /** K intervals, K + 1 scores per curve (default 32) */
  steps?: number;
  /** default 'black' */
  reference?: ReferenceImage;
  /** what deletion sets pixels to, when not `reference` (e.g. insertion from blur, deletion to black) */
  deletionReference?: ReferenceImage;
  /** σ of the 'blur' reference (default 5) */
  blurSigma?: number;
  reduction?: PixelReduction;
}

export interface PixelCurve {
  /** revealed fraction n_k / (H·W) */
  fractions: Float64Array;
  scores: Float64Array;
  auc: number;
}

export interface InsertionDeletionResult {
  insertion: PixelCurve;
  deletion: PixelCurve;
  /** pixel indices, most salient first */
  order: Int32Array;
}

export async function insertionDeletion(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: InsertionDeletionOptions,
): Promise<InsertionDeletionResult> {
  const op = 'insertionDeletion';
  const steps = opts.steps ?? 32;
  if (!Number.isInteger(steps) || steps < 1) fail(`${op}: steps must be an integer ≥ 1, got ${steps}`);
  checkTarget(model, opts.target, op);
  const shape = imageInputShape(model.info, `${op} (an image-only metric)`);
  const hw = shape[1] * shape[2];
  const order = rankPixels(reduceToPixels(attribution, shape, opts.reduction ?? 'abs-sum'));
  const fractions = new Float64Array(steps + 1);
  const bounds = new Float32Array(steps + 1);
  for (let k = 0; k <= steps; k++) {
    const revealed = Math.round((k * hw) / steps);
    fractions[k] = revealed / hw;
    bounds[k] = revealed - 1; // pixel at rank r is revealed when r ≤ n_k − 1
  }

  const image = imageTensor(engine, model, x, op);
  const reference = referenceTensor(engine, model, image, opts.reference ?? 'black', opts.blurSigma ?? 5, op);
  const deletionReference =
    opts.deletionReference === undefined
      ? reference
      : referenceTensor(engine, model, image, opts.deletionReference, opts.blurSigma ?? 5, op);
  const key = Tensor.from(engine, rankPositions(order), [hw], { label: `${op} ranks` });
  const bound = Tensor.from(engine, bounds, [steps + 1], { label: `${op} checkpoints` });
  const inserted = revealImages(reference, image, key, bound);
  const deleted = revealImages(image, deletionReference, key, bound);
  const batch = concatBatch([inserted, deleted]);
  const probs = softmaxRows(model, batch);
  if (deletionReference !== reference) deletionReference.dispose();
  for (const t of [image, reference, key, bound, inserted, deleted, batch]) t.dispose();
  const data = await probs.download();
  probs.dispose();

  const classes = model.info.numClasses;
  const curve = (first: number): PixelCurve => {
    const scores = Float64Array.from({ length: steps + 1 }, (_, k) => data[(first + k) * classes + opts.target]!);
    return { fractions, scores, auc: trapezoidAuc(fractions, scores) };
  };
  return { insertion: curve(0), deletion: curve(steps + 1), order };
}
