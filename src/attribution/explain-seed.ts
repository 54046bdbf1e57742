/**
 * What backward starts from when explaining: per row, the explained value f (target logit or
 * softmax probability) and the seed ∂f/∂logits; and the 'auto' target (top-1) — on the GPU, so
 * targets and path values never need a readback.
 */
import source from '../../shaders/attribution/explain_seed.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export type ExplainedOutput = 'logit' | 'prob';

/**
 * logits [B, K] where row b belongs to image ⌊b / rowsPerImage⌋; targets [N] (class indices as
 * float32). Returns seed [B, K] and f [B].
 */
export function explainSeed(logits: Tensor, targets: Tensor, rowsPerImage: number, output: ExplainedOutput): { seed: Tensor; f: Tensor } {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2 || targets.size * rowsPerImage !== rows) {
    fail(`explainSeed: logits ${shapeStr(logits.shape)} do not hold ${rowsPerImage} rows for each of ${targets.size} targets`);
  }
  const engine = logits.engine;
  const seed = Tensor.empty(engine, [rows, k], 'seed');
  const f = Tensor.empty(engine, [rows], 'path values');
  const sizes = Uint32Array.of(rows, k, rowsPerImage);
  engine.run({ op: 'explain_seed', source, params: { ARGMAX: false, PROB: output === 'prob' }, bindings: { logits, targets, seed, f, sizes }, grid: { threads: rows } });
  return { seed, f };
}

/** Top-1 class of each row of logits [B, K], as float32 class indices [B]. */
export function argmaxRows(logits: Tensor): Tensor {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2) fail(`argmaxRows: logits must be [B, K], got ${shapeStr(logits.shape)}`);
  const targets = Tensor.empty(logits.engine, [rows], 'targets');
  const sizes = Uint32Array.of(rows, k, 1);
  logits.engine.run({ op: 'argmax_rows', source, params: { ARGMAX: true, PROB: false }, bindings: { logits, targets, sizes }, grid: { threads: rows } });
  return targets;
}
