/**
 * Images of a dataset split by index, fitted to the model's input (28×28 padded to 3×32×32 for the
 * RGB zoo), with their labels: what `pathlight eval` scores and IG2's reference pool.
 */
import { PathlightError } from '../../errors.js';
import { loadFashionMnist, loadMnist, type IdxDataset, type Split } from '../../data/datasets.js';
import type { DatasetName } from '../../data/classes.js';
import type { Model } from '../../nn/model.js';
import { fitImage } from '../inputs.js';

export function loadSplit(dataset: DatasetName, split: Split): IdxDataset {
  return dataset === 'mnist' ? loadMnist(split) : loadFashionMnist(split);
}

export function splitImages(
  data: IdxDataset,
  what: string,
  indices: readonly number[],
  model: Model,
): { data: Float32Array; labels: number[] } {
  const size = 28 * 28;
  const raw = new Float32Array(indices.length * size);
  indices.forEach((index, i) => {
    if (index >= data.count) throw new PathlightError(`${what} has ${data.count} images, index ${index} asked for`);
    raw.set(data.images.subarray(index * size, (index + 1) * size), i * size);
  });
  return { data: fitImage(raw, 1, 28, 28, model, what).data, labels: indices.map((i) => data.labels[i]!) };
}
