/** The target's score on a batch of images, read back once: its logit or its softmax probability. */
import type { Model } from '../nn/model.js';
import { softmax } from '../ops/softmax.js';
import type { Tensor } from '../tensor/tensor.js';

/** 'logit' (Quantus's faithfulness correlation, infidelity: softmax=False) or 'prob'. */
export type ScoreOutput = 'logit' | 'prob';

/** images [K, C, H, W] → the target's score per image (the images tensor is left to the caller). */
export async function targetScores(
  model: Model,
  images: Tensor,
  target: number,
  output: ScoreOutput,
): Promise<Float64Array> {
  const logits = model.logits(images);
  const scores = output === 'prob' ? softmax(logits) : logits;
  if (scores !== logits) logits.dispose();
  const data = await scores.download();
  scores.dispose();
  const classes = model.info.numClasses;
  return Float64Array.from({ length: data.length / classes }, (_, k) => data[k * classes + target]!);
}
