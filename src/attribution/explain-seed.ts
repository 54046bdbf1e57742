/**
 * What backward starts from when explaining: per row, the explained value f (target logit or
 * softmax probability) and the seed ∂f/∂logits; and the 'auto' target (top-1) — on the GPU, so
 * targets and path values never need a readback.
 */
import source from '../../shaders/attribution/explain_seed.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export type ExplainedOutput = 'logit' | 'prob';

function checkRows(op: string, logits: Tensor, targets: Tensor, rowsPerImage: number): [number, number] {
  if (logits.rank !== 2 || targets.size * rowsPerImage !== logits.shape[0]) {
    fail(`${op}: logits ${shapeStr(logits.shape)} do not hold ${rowsPerImage} rows for each of ${targets.size} targets`);
  }
  return logits.shape as [number, number];
}

/**
 * logits [B, K] where row b belongs to image ⌊b / rowsPerImage⌋; targets [N] (class indices as
 * float32). Returns seed [B, K] and f [B].
 */
export function explainSeed(logits: Tensor, targets: Tensor, rowsPerImage: number, output: ExplainedOutput): { seed: Tensor; f: Tensor } {
  const [rows, k] = checkRows('explainSeed', logits, targets, rowsPerImage);
  const engine = logits.engine;
  const seed = Tensor.empty(engine, [rows, k], 'seed');
  const f = Tensor.empty(engine, [rows], 'path values');
  const sizes = Uint32Array.of(rows, k, rowsPerImage, 0);
  engine.run({ op: 'explain_seed', source, params: { ARGMAX: false, PROB: output === 'prob', WEIGHT: false }, bindings: { logits, targets, seed, f, sizes }, grid: { threads: rows } });
  return { seed, f };
}

/**
 * The seed taken on through the model's last layer, a linear one with weight [K, F] (logits = x·Wᵀ + b):
 * seed = ∂f/∂logits · W [B, F], the seed of backward at that layer's input, and f [B] — one
 * dispatch for the seed's and the linear backward's.
 */
export function explainSeedThroughLinear(logits: Tensor, targets: Tensor, rowsPerImage: number, output: ExplainedOutput, weight: Tensor): { seed: Tensor; f: Tensor } {
  const [rows, k] = checkRows('explainSeedThroughLinear', logits, targets, rowsPerImage);
  if (weight.rank !== 2 || weight.shape[0] !== k) fail(`explainSeedThroughLinear: weight ${shapeStr(weight.shape)} does not map features to the ${k} logits`);
  const features = weight.shape[1]!;
  const dx = Tensor.empty(logits.engine, [rows, features], 'seed');
  const f = Tensor.empty(logits.engine, [rows], 'path values');
  const sizes = Uint32Array.of(rows, k, rowsPerImage, features);
  logits.engine.run({ op: 'explain_seed_linear', source, params: { ARGMAX: false, PROB: output === 'prob', WEIGHT: true }, bindings: { logits, targets, weight, dx, f, sizes }, grid: { threads: rows * features } });
  return { seed: dx, f };
}

/** Top-1 class of each row of logits [B, K], as float32 class indices [B]. */
export function argmaxRows(logits: Tensor): Tensor {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2) fail(`argmaxRows: logits must be [B, K], got ${shapeStr(logits.shape)}`);
  const targets = Tensor.empty(logits.engine, [rows], 'targets');
  const sizes = Uint32Array.of(rows, k, 1, 0);
  logits.engine.run({ op: 'argmax_rows', source, params: { ARGMAX: true, PROB: false, WEIGHT: false }, bindings: { logits, targets, sizes }, grid: { threads: rows } });
  return targets;
}
