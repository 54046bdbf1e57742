/**
 * Fully connected layer in PyTorch layout: y[N,M] = x[N,K] · w[M,K]ᵀ + b, optional fused relu.
 * All three directions are the one matmul kernel with different transposes; backward through
 * the relu reads the saved output as a mask instead of materialising dy ⊙ [y > 0].
 */
import { fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { matmulWith } from './matmul.js';
import { sumAxisMasked } from './reduce.js';

function check2d(op: string, what: string, t: Tensor): void {
  if (t.rank !== 2) fail(`${op}: ${what} must have rank 2, got shape ${shapeStr(t.shape)}`);
}

export function linear(x: Tensor, w: Tensor, bias: Tensor | null, opts: { relu?: boolean } = {}): Tensor {
  check2d('linear', 'x', x);
  check2d('linear', 'weight', w);
  if (x.shape[1] !== w.shape[1])
    fail(
      `linear: x ${shapeStr(x.shape)} has ${x.shape[1]} features but weight ${shapeStr(w.shape)} expects ${w.shape[1]}`,
    );
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.shape[0]))
    fail(`linear: bias has shape ${shapeStr(bias.shape)}, expected [${w.shape[0]}]`);
  return matmulWith(x, w, { transB: true, bias: bias ?? undefined, relu: opts.relu, op: 'linear' });
}

/** dx[N,K] = (dy ⊙ [reluOutput > 0]) · w. */
export function linearBackwardInput(dy: Tensor, w: Tensor, reluOutput?: Tensor): Tensor {
  check2d('linearBackwardInput', 'dy', dy);
  check2d('linearBackwardInput', 'weight', w);
  if (dy.shape[1] !== w.shape[0])
    fail(
      `linearBackwardInput: dy ${shapeStr(dy.shape)} has ${dy.shape[1]} outputs but weight ${shapeStr(w.shape)} has ${w.shape[0]}`,
    );
  return matmulWith(dy, w, { maskA: reluOutput, op: 'linearBackwardInput' });
}

/** dw[M,K] = (dy ⊙ mask)ᵀ · x and db[M] = Σ_rows dy ⊙ mask, mask = [reluOutput > 0]. */
export function linearBackwardWeight(x: Tensor, dy: Tensor, reluOutput?: Tensor): { dw: Tensor; db: Tensor } {
  check2d('linearBackwardWeight', 'x', x);
  check2d('linearBackwardWeight', 'dy', dy);
  if (dy.shape[0] !== x.shape[0])
    fail(`linearBackwardWeight: dy ${shapeStr(dy.shape)} and x ${shapeStr(x.shape)} have different batch sizes`);
  const dw = matmulWith(dy, x, { transA: true, maskA: reluOutput, op: 'linearBackwardWeight' });
  const db = sumAxisMasked(dy, 0, reluOutput, 'linearBackwardWeight');
  return { dw, db };
}
