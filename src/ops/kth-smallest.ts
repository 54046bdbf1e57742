/**
 * k-th smallest value (0-based, ties counted) of every row of a [rows, D] tensor: exact radix select
 * on the float32 bits, one workgroup per row, no sort and no float atomics (deterministic).
 * Guided IG uses it for numpy's quantile(|g|, q, method='lower') = element ⌊q·(D − 1)⌋ of the sort.
 */
import source from '../../shaders/kth_smallest.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

export interface KthSmallestOptions {
  /** write into this [rows] tensor instead of a new one */
  out?: Tensor;
  /** skip rows whose flags[row·stride + offset] ≠ 0 (their output is left as it was) */
  skip?: { flags: Tensor; stride: number; offset: number };
}

export function kthSmallest(values: Tensor, k: number, options: KthSmallestOptions = {}): Tensor {
  const rows = values.shape[0] ?? 0;
  if (values.rank < 2 || rows === 0) fail(`kthSmallest: values must be [rows, ...features], got ${shapeStr(values.shape)}`);
  const d = values.size / rows;
  if (!Number.isInteger(k) || k < 0 || k >= d) fail(`kthSmallest: k must be an integer in [0, ${d - 1}], got ${k}`);
  const { out, skip } = options;
  if (out && out.size !== rows) fail(`kthSmallest: out has shape ${shapeStr(out.shape)}, expected [${rows}]`);
  if (skip && (skip.offset >= skip.stride || skip.flags.size < rows * skip.stride)) {
    fail(`kthSmallest: skip flags ${shapeStr(skip.flags.shape)} do not hold ${rows} rows of stride ${skip.stride}`);
  }
  const engine = values.engine;
  const kernel = engine.kernel('kth_smallest', `${rows},${d},${k},${skip ? `${skip.stride},${skip.offset}` : '-'}`, () =>
    renderShader(source, { ROWS: rows, D: d, K: k, SKIP: !!skip, STRIDE: skip?.stride ?? 0, OFFSET: skip?.offset ?? 0 }),
  );
  const result = out ?? Tensor.empty(engine, [rows], 'kth smallest');
  const bindings = [values.buffer, result.buffer];
  if (skip) bindings.push(skip.flags.buffer);
  engine.dispatch(kernel, bindings, engine.grid1d(rows, 1));
  return result;
}
