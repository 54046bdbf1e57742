/**
 * 1-D layers run on the 2-D kernels: an [N, C, L] activation is viewed as [N, C, 1, L] and a 1-D
 * conv weight [Cout, Cin/groups, K] as [Cout, Cin/groups, 1, K], so Conv1d, MaxPool1d, AvgPool1d,
 * BatchNorm1d and global average pooling are conv2d / pooling / batch norm over planes of height
 * 1 (the graph node then holds unit H-axis parameters: kernel [1, K], stride [1, s], padding [0, p]).
 * The rule is by rank alone: every rank-3 tensor gains H = 1 at axis 2; other ranks pass unchanged.
 */
import { Tensor, reshapeOwned } from '../tensor/tensor.js';

/** [A, B, L] → [A, B, 1, L]; other shapes as they are. */
export function planeShape(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[0]!, shape[1]!, 1, shape[2]!] : [...shape];
}

/** Runs `op` on the planar views of `ts` (rank 3: a unit-height view; else the tensor itself) and disposes the views (not `ts`). */
export function onPlanes<const Ts extends readonly (Tensor | null | undefined)[], R>(
  ts: Ts,
  op: (...views: Ts) => R,
): R {
  const views = ts.map((t) => (t && t.rank === 3 ? t.reshape(planeShape(t.shape)) : t)) as unknown as Ts;
  try {
    return op(...views);
  } finally {
    views.forEach((v, i) => v !== ts[i] && v?.dispose());
  }
}

/** A planar result back at `rank`: [A, B, 1, L] → [A, B, L] for rank 3, else `t` itself; takes over `t`. */
export function unplane(t: Tensor, rank: number): Tensor {
  if (rank !== 3 || t.rank !== 4) return t;
  const [a, b, h, l] = t.shape as [number, number, number, number];
  if (h !== 1) throw new Error(`unplane: ${t.label} [${t.shape.join(', ')}] is not one row high`);
  return reshapeOwned(t, [a, b, l]);
}
