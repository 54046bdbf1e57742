/**
 * Batch-mean cross-entropy of logits [N, C] against integer class labels, fused with the softmax
 * the backward needs: one kernel gives the scalar loss and the probabilities.
 */
import ceSource from '../../shaders/cross_entropy.wgsl';
import { renderShader, f32 } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { checkRows, softmaxProgram } from './softmax.js';

const WG = 64;

function checkLabels(op: string, labels: Tensor, n: number): void {
  if (labels.rank !== 1 || labels.shape[0] !== n) fail(`${op}: labels have shape ${shapeStr(labels.shape)}, expected [${n}] (one class index per row)`);
}

/**
 * Upload class indices as the float32 labels tensor, validating them on the CPU: each must be an
 * integer in [0, numClasses). (On the GPU a bad label can only turn the loss into NaN.)
 */
export function labelsTensor(engine: Engine, labels: ArrayLike<number>, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) fail(`labelsTensor: numClasses must be a positive integer, got ${numClasses}`);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) fail(`labelsTensor: label ${v} at index ${i} is not a class index in [0, ${numClasses})`);
  }
  return Tensor.from(engine, labels, [labels.length], { label: 'labels' });
}

/** loss = mean over rows of −log softmax(logits)[label]; probs = softmax(logits). */
export function crossEntropy(logits: Tensor, labels: Tensor): { loss: Tensor; probs: Tensor } {
  const op = 'crossEntropy';
  const { n, c } = checkRows(op, 'logits', logits);
  if (n === 0) fail(`${op}: logits ${shapeStr(logits.shape)} hold no rows, the mean is undefined`);
  checkLabels(op, labels, n);
  const engine = logits.engine;
  const probs = Tensor.empty(engine, [n, c], 'probs');
  const loss = Tensor.empty(engine, [1], 'loss');
  engine.run(softmaxProgram(op, n, c, { log: false, backward: false, ce: true }, { x: logits, out: probs, labels, loss }, engine));
  return { loss, probs };
}

/** dlogits = (probs − onehot(labels)) / N. */
export function crossEntropyBackward(probs: Tensor, labels: Tensor): Tensor {
  const op = 'crossEntropyBackward';
  const { n, c } = checkRows(op, 'probs', probs);
  checkLabels(op, labels, n);
  const engine = probs.engine;
  const out = Tensor.empty(engine, [n, c], op);
  if (n === 0) return out;
  const kernel = engine.kernel(op, `${n},${c}`, () => renderShader(ceSource, { N: n, C: c, WG, INV_N: f32(Math.fround(1 / n)) }));
  engine.dispatch(kernel, [probs.buffer, labels.buffer, out.buffer], engine.grid1d(n * c, WG));
  return out;
}
