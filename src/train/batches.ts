/**
 * Mini-batches of a labelled image set: a seeded shuffle per epoch and a gather into one
 * contiguous Float32Array per batch (uploaded with one write).
 */
import { fail } from '../errors.js';
import { seededRandom } from '../nn/init.js';

export interface LabelledImages {
  /** N images, each `imageSize` float32 values (NCHW) */
  images: Float32Array;
  labels: ArrayLike<number>;
  count: number;
}

/** Fisher–Yates with the project's seeded generator: same seed, same order. */
export function shuffledIndices(count: number, rand: () => number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The first `limit` examples (a view, no copy). */
export function limitImages(data: LabelledImages, limit: number): LabelledImages {
  if (!Number.isInteger(limit) || limit < 1) fail(`limit must be a positive integer, got ${limit}`);
  if (limit >= data.count) return data;
  const imageSize = data.images.length / data.count;
  return {
    images: data.images.subarray(0, limit * imageSize),
    labels: Array.prototype.slice.call(data.labels, 0, limit) as number[],
    count: limit,
  };
}

/**
 * `size` distinct examples drawn by a seeded shuffle, kept in dataset order and copied: the same
 * seed gives the same indices on every machine (the random-label twins' fixed training subset).
 */
export function seededSubset(
  data: LabelledImages,
  size: number,
  seed: number,
): LabelledImages & { indices: Uint32Array } {
  if (!Number.isInteger(size) || size < 1) fail(`subset size must be a positive integer, got ${size}`);
  if (size > data.count) fail(`subset of ${size} exceeds the ${data.count} training images`);
  const indices = shuffledIndices(data.count, seededRandom(seed)).subarray(0, size).sort();
  const imageSize = data.images.length / data.count;
  const images = new Float32Array(size * imageSize);
  const labels = new Int32Array(size);
  indices.forEach((src, i) => {
    images.set(data.images.subarray(src * imageSize, (src + 1) * imageSize), i * imageSize);
    labels[i] = data.labels[src]!;
  });
  return { images, labels, count: size, indices };
}

/**
 * The labels dealt out again by a seeded shuffle: the same multiset of classes, paired with the
 * images at random (Adebayo et al.'s data-randomisation test trains a twin on these).
 */
export function permutedLabels(labels: ArrayLike<number>, seed: number): Int32Array {
  const order = shuffledIndices(labels.length, seededRandom(seed));
  return Int32Array.from(order, (src) => labels[src]!);
}

/**
 * Yields full batches in a seeded random order, one epoch after another (`epoch` counted from 0).
 * The last incomplete batch of each epoch is dropped, so every step has the same shape (one
 * pipeline set) and the same gradient scale.
 */
export function* epochBatches(
  data: LabelledImages,
  batchSize: number,
  epochs: number,
  seed: number,
): Generator<{ epoch: number; images: Float32Array; labels: Float32Array }> {
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batch size must be a positive integer, got ${batchSize}`);
  if (batchSize > data.count) fail(`batch size ${batchSize} exceeds the ${data.count} training images`);
  const imageSize = data.images.length / data.count;
  const rand = seededRandom(seed);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffledIndices(data.count, rand);
    for (let start = 0; start + batchSize <= data.count; start += batchSize) {
      const images = new Float32Array(batchSize * imageSize);
      const labels = new Float32Array(batchSize);
      for (let b = 0; b < batchSize; b++) {
        const src = order[start + b]!;
        images.set(data.images.subarray(src * imageSize, (src + 1) * imageSize), b * imageSize);
        labels[b] = data.labels[src]!;
      }
      yield { epoch, images, labels };
    }
  }
}
