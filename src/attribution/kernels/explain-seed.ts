/**
 * What backward starts from when explaining: per row, the explained value f (target logit or
 * softmax probability) and the seed ∂f/∂logits; and the 'auto' target (top-1) — on the GPU, so
 * targets and path values never need a readback.
 */
import source from '../../../shaders/attribution/explain_seed.wgsl';
import { fail, shapeStr } from '../../errors.js';
import { Tensor, reshapeOwned } from '../../tensor/tensor.js';
import { maxPool2d } from '../../ops/max-pool.js';

export type ExplainedOutput = 'logit' | 'prob';

/**
 * logits [B, K] where row b belongs to image ⌊b / rowsPerImage⌋; targets [N] (class indices as
 * float32). Returns seed [B, K] and f [B]. With `weight` [K, F], the model's last layer being a
 * linear one (logits = x·Wᵀ + b), the seed is taken on through it: seed · W [B, F], the seed of
 * backward at that layer's input (one dispatch for the seed's and the linear backward's).
 */
export function explainSeed(
  logits: Tensor,
  targets: Tensor,
  rowsPerImage: number,
  output: ExplainedOutput,
  weight?: Tensor,
): { seed: Tensor; f: Tensor } {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2 || targets.size * rowsPerImage !== rows) {
    fail(
      `explainSeed: logits ${shapeStr(logits.shape)} do not hold ${rowsPerImage} rows for each of ${targets.size} targets`,
    );
  }
  if (weight && (weight.rank !== 2 || weight.shape[0] !== k))
    fail(`explainSeed: the last layer's weight ${shapeStr(weight.shape)} does not make the ${k} logits`);
  const features = weight ? weight.shape[1]! : k;
  const seed = Tensor.empty(logits.engine, [rows, features], 'seed');
  const f = Tensor.empty(logits.engine, [rows], 'path values');
  const sizes = Uint32Array.of(rows, k, rowsPerImage, features);
  logits.engine.run({
    op: weight ? 'explain_seed_linear' : 'explain_seed',
    source,
    params: { PROB: output === 'prob', WEIGHT: !!weight },
    bindings: { logits, targets, out: seed, f, sizes, ...(weight ? { weight } : {}) },
    grid: { threads: rows * features },
  });
  return { seed, f };
}

/** Top-1 class of each row of logits [B, K], as float32 class indices [B]: the argmax of a 1×K max pool (the first of equal maxima). */
export function argmaxRows(logits: Tensor): Tensor {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2) fail(`argmaxRows: logits must be [B, K], got ${shapeStr(logits.shape)}`);
  const v = logits.reshape([rows, 1, 1, k]);
  const { y, argmax } = maxPool2d(v, { kernel: [1, k] });
  for (const t of [v, y]) t.dispose();
  return reshapeOwned(argmax, [rows]);
}
