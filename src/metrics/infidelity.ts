/**
 * Infidelity (Yeh et al. 2019, NeurIPS; Quantus @ 85bc29d,
 * quantus/metrics/faithfulness/infidelity.py): the mean squared error between aᵀ·I and
 * f(x) − f(x − I) over perturbations I, f the target's logit. As in Quantus, I walks square
 * patches in raster order, each set to 'black' (Quantus: the image's minimum value), and the
 * perturbations accumulate (Quantus never resets x_perturbed, so perturbation j blacks out
 * patches 1 … j; `cumulative: false` blacks out patch j alone). Quantus's patch side 4 (on 224²
 * images) is kept: it tiles 28² and 32² into 7² and 8² patches. With a black baseline every
 * sample is the same, so Quantus's 10 n_perturb_samples are one here. aᵀ·I is element-wise
 * (older Quantus releases used np.dot, a matrix product over the last two axes); an H·W
 * attribution is repeated over channels (Quantus broadcasts an [1, H, W] one). One dispatch
 * builds every perturbed image; they and x are scored as one batch.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { Tensor } from '../tensor/tensor.js';
import { checkTarget, imageTensor } from './curve-scores.js';
import { patchMasks } from './perturbations.js';
import { baselineImage, minimum, replacePixels } from './replace-pixels.js';
import { targetScores, type ScoreOutput } from './target-scores.js';

export interface InfidelityOptions {
  target: number;
  /** side of the square patches (Quantus: 4) */
  patchSize?: number;
  /** Quantus: true (patch j's perturbation includes patches 1 … j − 1) */
  cumulative?: boolean;
  /** the perturbations themselves as pixel masks [M, H·W] (1 = set to the baseline); overrides the patches */
  masks?: Float32Array;
  /** the value perturbed pixels take (default: x's minimum, Quantus's 'black') */
  baseline?: number;
  /** default 'logit' (Quantus: softmax=False) */
  output?: ScoreOutput;
}

export interface InfidelityResult {
  /** mean over perturbations of (aᵀI − (f(x) − f(x − I)))²; lower is better */
  infidelity: number;
  /** aᵀ·I per perturbation */
  attributionDots: Float64Array;
  /** f(x) − f(x − I) per perturbation */
  scoreDrops: Float64Array;
}

export async function infidelity(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: InfidelityOptions,
): Promise<InfidelityResult> {
  const op = 'infidelity';
  checkTarget(model, opts.target, op);
  const [c, h, w] = imageInputShape(model.info, `${op} (an image-only metric)`);
  const hw = h * w;
  if (attribution.length !== hw && attribution.length !== c * hw)
    fail(`${op}: attribution length ${attribution.length} is neither H·W = ${hw} nor C·H·W = ${c * hw}`);
  let masks = opts.masks;
  if (!masks) {
    masks = patchMasks(h, w, opts.patchSize ?? 4);
    if (opts.cumulative ?? true) for (let j = hw; j < masks.length; j++) masks[j] = Math.max(masks[j]!, masks[j - hw]!);
  }
  if (masks.length === 0 || masks.length % hw !== 0)
    fail(`${op}: masks must be [M ≥ 1, ${hw}], got ${masks.length} values`);
  const m = masks.length / hw;
  const image = imageTensor(engine, model, x, op);
  // aᵀ·I with I = x − x̃ = x − baseline on the masked pixels, 0 elsewhere
  const base = opts.baseline ?? minimum(x);
  const attributionDots = new Float64Array(m);
  for (let j = 0; j < m; j++)
    for (let p = 0; p < hw; p++)
      if (masks[j * hw + p] !== 0)
        for (let ch = 0; ch < c; ch++)
          attributionDots[j]! += attribution[attribution.length === hw ? p : ch * hw + p]! * (x[ch * hw + p]! - base);

  const all = new Float32Array((m + 1) * hw);
  all.set(masks, hw); // row 0: x itself
  const fill = baselineImage(image, x, base, op);
  const maskTensor = Tensor.from(engine, all, [m + 1, hw], { label: `${op} perturbations` });
  const images = replacePixels(image, fill, maskTensor);
  for (const t of [image, fill, maskTensor]) t.dispose();
  const scores = await targetScores(model, images, opts.target, opts.output ?? 'logit');
  images.dispose();
  const scoreDrops = Float64Array.from({ length: m }, (_, j) => scores[0]! - scores[j + 1]!);
  let sum = 0;
  for (let j = 0; j < m; j++) sum += (attributionDots[j]! - scoreDrops[j]!) ** 2;
  return { infidelity: sum / m, attributionDots, scoreDrops };
}
