/**
 * What backward starts from when explaining: per row, the explained value f (target logit or
 * softmax probability) and the seed ∂f/∂logits; and the 'auto' target (top-1) — on the GPU, so
 * targets and path values never need a readback.
 */
import source from '../../shaders/explain_seed.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;

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
  const kernel = engine.kernel('explain_seed', `${rows},${k},${rowsPerImage},${output}`, () =>
    renderShader(source, { ARGMAX: false, PROB: output === 'prob', WG, ROWS: rows, K: k, S: rowsPerImage }),
  );
  const seed = Tensor.empty(engine, [rows, k], 'seed');
  const f = Tensor.empty(engine, [rows], 'path values');
  engine.dispatch(kernel, [logits.buffer, targets.buffer, seed.buffer, f.buffer], engine.grid1d(rows, WG));
  return { seed, f };
}

/** Top-1 class of each row of logits [B, K], as float32 class indices [B]. */
export function argmaxRows(logits: Tensor): Tensor {
  const [rows, k] = logits.shape as [number, number];
  if (logits.rank !== 2) fail(`argmaxRows: logits must be [B, K], got ${shapeStr(logits.shape)}`);
  const engine = logits.engine;
  const kernel = engine.kernel('argmax_rows', `${rows},${k}`, () => renderShader(source, { ARGMAX: true, PROB: false, WG, ROWS: rows, K: k, S: 1 }));
  const out = Tensor.empty(engine, [rows], 'targets');
  engine.dispatch(kernel, [logits.buffer, out.buffer], engine.grid1d(rows, WG));
  return out;
}
