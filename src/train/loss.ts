/**
 * The training loss glue: batch-mean cross-entropy and its gradient w.r.t. the logits, both on
 * the GPU (cross-entropy.ts). The probabilities are needed only for the gradient, so they
 * are freed here.
 */
import { crossEntropy, crossEntropyBackward } from './cross-entropy.js';
import type { Tensor } from '../tensor/tensor.js';

/** loss [1] = mean −log softmax(logits)[label]; dlogits [N, C] = (softmax − onehot) / N. */
export function crossEntropyWithGradient(logits: Tensor, labels: Tensor): { loss: Tensor; dlogits: Tensor } {
  const { loss, probs } = crossEntropy(logits, labels);
  const dlogits = crossEntropyBackward(probs, labels);
  probs.dispose();
  return { loss, dlogits };
}
