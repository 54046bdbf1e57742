/**
 * Per-image pieces of adaptive paths, one workgroup per row of a [rows, ...] tensor (shaders/
 * attribution/rows.wgsl: the same WGSL functions compose into fused kernels such as Guided IG's
 * step): the k-th smallest value (quantile selection), row norms and the masked move toward a
 * bound. Deterministic: no float atomics.
 */
import rows from '../../../shaders/attribution/rows.wgsl';
import rowOps from '../../../shaders/attribution/row_ops.wgsl';
import moveSource from '../../../shaders/attribution/move_selected.wgsl';
import { fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * The row pieces' WGSL (rowSum, rowKthSmallest, moveToward, onLine, infinity), to prepend to a
 * kernel of ROW_WG lanes launched with one workgroup per row (`engine.grid1d(rows, 1)`).
 */
export const ROW_WGSL = rows;
const source = rows + rowOps;
const moveProgram = rows + moveSource;

function rowsOf(op: string, t: Tensor, n = t.shape[0] ?? 0): { rows: number; d: number } {
  if (t.rank < 2 || n === 0 || t.size % n !== 0)
    fail(`${op}: values must be [rows, ...features], got ${shapeStr(t.shape)}`);
  return { rows: n, d: t.size / n };
}

export interface KthSmallestOptions {
  /** write into this [rows] tensor instead of a new one */
  out?: Tensor;
  /** "done" flags [rows]: rows whose flag ≠ 0 are skipped (their `out` is left as it was) */
  skip?: Tensor;
}

/**
 * k-th smallest value (0-based, ties counted) of every row: numpy's quantile(v, q, method='lower')
 * is k = ⌊q·(D − 1)⌋ (`quantileIndex`). Exact radix select on the float32 bits, ±∞ included.
 */
export function kthSmallest(values: Tensor, k: number, options: KthSmallestOptions = {}): Tensor {
  const { rows: n, d } = rowsOf('kthSmallest', values);
  if (!Number.isInteger(k) || k < 0 || k >= d) fail(`kthSmallest: k must be an integer in [0, ${d - 1}], got ${k}`);
  const { out, skip } = options;
  if (out && out.size !== n) fail(`kthSmallest: out has shape ${shapeStr(out.shape)}, expected [${n}]`);
  if (skip && skip.size !== n) fail(`kthSmallest: skip flags have shape ${shapeStr(skip.shape)}, expected [${n}]`);
  const result = out ?? Tensor.empty(values.engine, [n], 'kth smallest');
  values.engine.run({
    op: 'kth_smallest',
    source,
    params: { KTH: true, SKIP: !!skip, BINARY: false, TERM: '' },
    bindings: { sizes: Uint32Array.of(n, d, k, 0), out: result, score: values, skip },
    grid: values.engine.grid1d(n, 1),
  });
  return result;
}

/** The sorted index of numpy's quantile(v, fraction, method='lower') over `features` values. */
export function quantileIndex(fraction: number, features: number): number {
  return Math.floor(fraction * (features - 1));
}

function rowReduce(op: string, term: string, a: Tensor, b?: Tensor, rows?: number): Tensor {
  const { rows: n, d } = rowsOf(op, a, rows);
  if (b && (b.size !== a.size || b.shape[0] !== n)) fail(`${op}: ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
  const out = Tensor.empty(a.engine, [n], op);
  a.engine.run({
    op,
    source,
    params: { KTH: false, SKIP: false, BINARY: !!b, TERM: term },
    bindings: { sizes: Uint32Array.of(n, d, 0, 0), out, a, b },
    grid: a.engine.grid1d(n, 1),
  });
  return out;
}

/** Σ_j |a_j − b_j| per row [rows] (Guided IG's L1 distances). */
export function rowL1Distance(a: Tensor, b: Tensor): Tensor {
  return rowReduce('rowL1Distance', 'abs(u - v)', a, b);
}

/** Σ_j t_j² per row [rows] (IG2's step and distance norms); `rows` splits t's elements (default: its first axis). */
export function rowSquaredNorms(t: Tensor, rows?: number): Tensor {
  return rowReduce('rowSquaredNorms', 'u * u', t, undefined, rows);
}

export interface MoveSelectedOptions {
  /** per-feature selection score [rows, ...]: features with score ≤ threshold (and finite) move */
  score: Tensor;
  /** per-row threshold [rows], e.g. kthSmallest(score, k) */
  threshold: Tensor;
  /** per-row step [rows] toward the bound: 1 or more lands on it, 0 leaves the row (done) */
  gamma: Tensor;
  /** credit the move: attribution += (z_new − z_old) ⊙ grad */
  credit?: { grad: Tensor; attribution: Tensor };
}

/** The masked move toward a bound: z (in place) += γ_row (bound − z) on the selected features. */
export function moveSelected(z: Tensor, bound: Tensor, o: MoveSelectedOptions): void {
  const { rows: n, d } = rowsOf('moveSelected', z);
  const same = [bound, o.score, o.credit?.grad, o.credit?.attribution].every((t) => !t || t.size === z.size);
  if (!same || o.threshold.size !== n || o.gamma.size !== n)
    fail(`moveSelected: tensors do not fit ${n} rows of ${d} features (z ${shapeStr(z.shape)})`);
  z.engine.run({
    op: 'moveSelected',
    source: moveProgram,
    params: { CREDIT: !!o.credit },
    bindings: {
      sizes: Uint32Array.of(z.size, d),
      z,
      bound,
      score: o.score,
      threshold: o.threshold,
      gamma: o.gamma,
      grad: o.credit?.grad,
      attribution: o.credit?.attribution,
    },
    grid: { threads: z.size },
  });
}
