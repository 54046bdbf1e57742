/**
 * ROAD, RemOve And Debias (Rong et al. 2022, arXiv 2202.00449), as Quantus (@ 85bc29d,
 * quantus/metrics/faithfulness/road.py) defines it: at each removal level p % the first
 * floor(H·W·p/100) pixels of the saliency order are replaced by noisy linear imputation, and the
 * score is whether the model still predicts the target (Quantus's value; averaged over images it
 * is the accuracy curve of the paper). Quantus ranks most relevant first (MoRF); LeRF, the
 * paper's other order, removes the least relevant first (the MoRF order reversed). The target's
 * softmax probability is reported too. All 2·levels images are imputed by one dispatch and scored
 * as one batch, with one readback.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTarget, imageTensor, softmaxRows } from './curve-scores.js';
import { noisyLinearImputation } from './noisy-linear-imputation.js';
import { standardNormals } from './perturbations.js';
import { rankPixels, reduceToPixels, type PixelReduction } from './pixel-order.js';

/** The ROAD paper's removal levels (its figures: 10 … 90 %); Quantus's default is 1, 3, …, 99. */
export const ROAD_PERCENTAGES = [10, 20, 30, 40, 50, 60, 70, 80, 90];

export interface RoadOptions {
  target: number;
  /** removal levels in percent, each in (0, 100) (default ROAD_PERCENTAGES) */
  percentages?: readonly number[];
  /** σ of the imputation noise (Quantus and the paper: 0.01) */
  sigma?: number;
  /** conjugate-gradient steps of the imputation (default 128) */
  iterations?: number;
  /** seed of the standard normals (default 0); ignored when `noise` is given */
  seed?: number;
  /** the standard normals themselves: [2·levels, C, H, W], MoRF levels first, then LeRF */
  noise?: Float32Array;
  /** default 'sum' (signed: Quantus's abs=False; its normalise_by_negative keeps the order) */
  reduction?: PixelReduction;
}

export interface RoadCurve {
  /** 1 where the imputed image is still classified as the target, else 0 */
  correct: Float64Array;
  /** the target's softmax probability on each imputed image */
  probability: Float64Array;
}

export interface RoadResult {
  percentages: readonly number[];
  /** most relevant first: a faithful attribution drops fast (lower is better) */
  morf: RoadCurve;
  /** least relevant first: a faithful attribution keeps the prediction (higher is better) */
  lerf: RoadCurve;
}

export async function road(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: RoadOptions,
): Promise<RoadResult> {
  const op = 'road';
  checkTarget(model, opts.target, op);
  const [c, h, w] = imageInputShape(model.info, `${op} (an image-only metric)`);
  const hw = h * w;
  const percentages = opts.percentages ?? ROAD_PERCENTAGES;
  if (percentages.length === 0 || !percentages.every((p) => p > 0 && p < 100))
    fail(`${op}: percentages must be levels in (0, 100), got [${percentages.join(', ')}]`);
  const levels = percentages.length;
  const noise = opts.noise ?? standardNormals(2 * levels * c * hw, opts.seed ?? 0);
  if (noise.length !== 2 * levels * c * hw)
    fail(`${op}: noise has ${noise.length} values, expected 2·${levels} images of ${c}×${h}×${w}`);
  const order = rankPixels(reduceToPixels(attribution, [c, h, w], opts.reduction ?? 'sum'));
  const removed = new Float32Array(2 * levels * hw);
  percentages.forEach((pct, l) => {
    const count = Math.floor((hw * pct) / 100);
    for (let i = 0; i < count; i++) {
      removed[l * hw + order[i]!] = 1; // MoRF
      removed[(levels + l) * hw + order[hw - 1 - i]!] = 1; // LeRF
    }
  });

  const image = imageTensor(engine, model, x, op);
  const masks = Tensor.from(engine, removed, [2 * levels, hw], { label: `${op} removed pixels` });
  const normals = Tensor.from(engine, noise, [2 * levels, c, h, w], { label: `${op} noise` });
  const imputed = noisyLinearImputation(image, masks, normals, {
    sigma: opts.sigma ?? 0.01,
    iterations: opts.iterations,
  });
  const probs = softmaxRows(model, imputed);
  for (const t of [image, masks, normals, imputed]) t.dispose();
  const data = await probs.download();
  probs.dispose();

  const classes = model.info.numClasses;
  const curve = (first: number): RoadCurve => {
    const correct = new Float64Array(levels);
    const probability = new Float64Array(levels);
    for (let l = 0; l < levels; l++) {
      const row = data.subarray((first + l) * classes, (first + l + 1) * classes);
      let best = 0;
      for (let j = 1; j < classes; j++) if (row[j]! > row[best]!) best = j;
      correct[l] = best === opts.target ? 1 : 0;
      probability[l] = row[opts.target]!;
    }
    return { correct, probability };
  };
  return { percentages, morf: curve(0), lerf: curve(levels) };
}
