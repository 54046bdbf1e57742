/**
 * Faithfulness correlation (Bhatt et al. 2020, IJCAI; Quantus @ 85bc29d,
 * quantus/metrics/faithfulness/faithfulness_correlation.py): over `runs` random subsets S of
 * `subsetSize` pixels, the Pearson correlation between Σ_{p∈S} a_p and f(x) − f(x with S set to
 * the baseline), f the target's logit. As in Quantus: a is the signed per-pixel attribution
 * normalised by `normalise_by_negative`, the baseline is Quantus's 'black': the image's minimum
 * value (0 for an image with a black pixel), 100 runs.
 * Quantus's subset of 224 pixels (one row of a 224² image) is scaled to one row here (W pixels:
 * 28 on 28², 32 on 32²). Subsets are of pixels (all channels): Quantus draws them over the
 * attribution broadcast to x's shape, which is the same on one-channel images and draws single
 * channel values on colour ones. All runs' images, and x, are built by one dispatch and scored
 * as one batch.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTarget, imageTensor } from './curve-scores.js';
import { randomSubsets } from './perturbations.js';
import { reduceToPixels, type PixelReduction } from './pixel-order.js';
import { normaliseByNegative } from './quantus-normalise.js';
import { baselineImage, replacePixels } from './replace-pixels.js';
import { targetScores, type ScoreOutput } from './target-scores.js';

export interface FaithfulnessCorrelationOptions {
  target: number;
  /** random subsets (Quantus: 100) */
  runs?: number;
  /** pixels per subset (default W, one image row) */
  subsetSize?: number;
  /** seed of the subsets (default 0); ignored when `subsets` is given */
  seed?: number;
  /** the subsets themselves: [runs, subsetSize] pixel indices */
  subsets?: Int32Array;
  /** the value removed pixels take (default: x's minimum, Quantus's 'black') */
  baseline?: number;
  /** default 'logit' (Quantus: softmax=False) */
  output?: ScoreOutput;
  /** default 'sum' (signed, Quantus abs=False) */
  reduction?: PixelReduction;
  /** Quantus normalise=True (normalise_by_negative; default true) */
  normalise?: boolean;
}

export interface FaithfulnessCorrelationResult {
  /** Pearson correlation (NaN when either side is constant); higher is better */
  correlation: number;
  attributionSums: Float64Array;
  /** f(x) − f(x_S) per run */
  scoreDrops: Float64Array;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

export async function faithfulnessCorrelation(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: FaithfulnessCorrelationOptions,
): Promise<FaithfulnessCorrelationResult> {
  const op = 'faithfulnessCorrelation';
  checkTarget(model, opts.target, op);
  const [c, h, w] = imageInputShape(model.info, `${op} (an image-only metric)`);
  const hw = h * w;
  const size = opts.subsetSize ?? w;
  const runs = opts.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 2) fail(`${op}: runs must be an integer ≥ 2, got ${runs}`);
  const subsets = opts.subsets ?? randomSubsets(hw, size, runs, opts.seed ?? 0);
  if (subsets.length !== runs * size) fail(`${op}: subsets has ${subsets.length} indices, expected ${runs}×${size}`);
  const pixels = reduceToPixels(attribution, [c, h, w], opts.reduction ?? 'sum');
  const a = opts.normalise === false ? pixels : normaliseByNegative(pixels);

  // row 0: x itself (an empty mask); rows 1 … runs: x with subset r set to the baseline
  const mask = new Float32Array((runs + 1) * hw);
  const attributionSums = new Float64Array(runs);
  for (let r = 0; r < runs; r++)
    for (let i = 0; i < size; i++) {
      const p = subsets[r * size + i]!;
      if (!(p >= 0 && p < hw)) fail(`${op}: subset pixel ${p} is outside [0, ${hw})`);
      mask[(r + 1) * hw + p] = 1;
      attributionSums[r]! += a[p]!;
    }
  const image = imageTensor(engine, model, x, op);
  const fill = baselineImage(image, x, opts.baseline, op);
  const masks = Tensor.from(engine, mask, [runs + 1, hw], { label: `${op} subsets` });
  const images = replacePixels(image, fill, masks);
  for (const t of [image, fill, masks]) t.dispose();
  const scores = await targetScores(model, images, opts.target, opts.output ?? 'logit');
  images.dispose();
  const scoreDrops = Float64Array.from({ length: runs }, (_, r) => scores[0]! - scores[r + 1]!);
  return { correlation: pearson(attributionSums, scoreDrops), attributionSums, scoreDrops };
}
