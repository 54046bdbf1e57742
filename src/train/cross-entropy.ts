/**
 * Batch-mean cross-entropy of logits [N, C] against integer class labels: the softmax op gives
 * the probabilities the backward needs, one kernel the scalar loss (shaders/train/cross_entropy.wgsl).
 */
import source from '../../shaders/train/cross_entropy.wgsl';
import { fail, shapeStr } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRows, softmax } from '../ops/softmax.js';

function checkLabels(op: string, labels: Tensor, n: number): void {
  if (labels.rank !== 1 || labels.shape[0] !== n)
    fail(`${op}: labels have shape ${shapeStr(labels.shape)}, expected [${n}] (one class index per row)`);
}

/**
 * Upload class indices as the float32 labels tensor, validating them on the CPU: each must be an
 * integer in [0, numClasses). (On the GPU a bad label can only turn the loss into NaN.)
 */
export function labelsTensor(engine: Engine, labels: ArrayLike<number>, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    fail(`labelsTensor: numClasses must be a positive integer, got ${numClasses}`);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses)
      fail(`labelsTensor: label ${v} at index ${i} is not a class index in [0, ${numClasses})`);
  }
  return Tensor.from(engine, labels, [labels.length], { label: 'labels' });
}

/** loss = mean over rows of −log softmax(logits)[label]; probs = softmax(logits). */
export function crossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor } {
  const op = 'crossEntropy';
  const { n, c } = checkRows(op, 'logits', logits);
  if (n === 0) fail(`${op}: logits ${shapeStr(logits.shape)} hold no rows, the mean is undefined`);
  checkLabels(op, labels, n);
  const probs = softmax(logits);
  const loss = Tensor.empty(logits.engine, [1], 'loss');
  logits.engine.run({
    op,
    source,
    params: { LOSS: true },
    bindings: { probs, labels, logits, loss, sizes: Uint32Array.of(n, c) },
    grid: [1],
  });
  return { loss, probs };
}

/** dlogits = (probs − onehot(labels)) / N. */
export function crossEntropyBackward(probs: Tensor, labels: Tensor): Tensor {
  const op = 'crossEntropyBackward';
  const { n, c } = checkRows(op, 'probs', probs);
  checkLabels(op, labels, n);
  const dlogits = Tensor.empty(probs.engine, [n, c], op);
  if (n === 0) return dlogits;
  probs.engine.run({
    op,
    source,
    params: { LOSS: false },
    bindings: { probs, labels, dlogits, sizes: Uint32Array.of(n, c) },
    grid: { threads: n * c },
  });
  return dlogits;
}
