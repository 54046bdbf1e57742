/** Window geometry shared by max, average and global pooling: parameter normalisation, validation, output shape. */
import { checkRank, fail, intPair, shapeStr } from '../errors.js';

export interface Pool2dParams {
  kernel: number | [number, number];
  /** Defaults to the kernel (non-overlapping windows). */
  stride?: number | [number, number];
  /** Symmetric zero-size border; for max pooling it acts as −∞, for average pooling as 0. */
  padding?: number | [number, number];
}

/** Validated, per-axis pooling geometry of one NCHW input. */
export interface PoolGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  ho: number;
  wo: number;
}

/** PyTorch semantics (ceil_mode = false): Ho = ⌊(H + 2p − k) / s⌋ + 1; padding ≤ k/2 so no window is all padding. */
export function poolGeometry(op: string, xShape: readonly number[], p: Pool2dParams): PoolGeometry {
  checkRank(op, 'input', xShape, 4);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [kh, kw] = intPair(op, 'kernel', p.kernel, [1, 1], 1);
  const [sh, sw] = intPair(op, 'stride', p.stride, [kh, kw], 1);
  const [ph, pw] = intPair(op, 'padding', p.padding, [0, 0], 0);
  if (2 * ph > kh || 2 * pw > kw) fail(`${op}: padding [${ph}, ${pw}] must be at most half the kernel [${kh}, ${kw}]`);
  if (h + 2 * ph < kh || w + 2 * pw < kw) {
    fail(`${op}: kernel [${kh}, ${kw}] is bigger than the padded input (${shapeStr(xShape)} with padding [${ph}, ${pw}])`);
  }
  const ho = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const wo = Math.floor((w + 2 * pw - kw) / sw) + 1;
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, ho, wo };
}

export function pool2dOutputShape(xShape: readonly number[], p: Pool2dParams): number[] {
  const g = poolGeometry('pool2d', xShape, p);
  return [g.n, g.c, g.ho, g.wo];
}
