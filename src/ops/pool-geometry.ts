/** Window geometry shared by max, average and global pooling: parameter normalisation, validation, output shape. */
import { checkRank, fail, intPads, intPair, shapeStr, type Padding } from '../errors.js';

export interface Pool2dParams {
  kernel: number | [number, number];
  /** Defaults to the kernel (non-overlapping windows). */
  stride?: number | [number, number];
  /** Zero-size border (number, [h, w] or [top, left, bottom, right]); for max pooling it acts as −∞, for average pooling as 0. */
  padding?: Padding;
  /** Spacing of a window's taps (ONNX dilations). */
  dilation?: number | [number, number];
  /** Round the output size up; a last window must still start inside the input or its begin padding. */
  ceilMode?: boolean;
}

/** Validated, per-axis pooling geometry of one NCHW input (poolGeometry's result). */
export type PoolGeometry = ReturnType<typeof poolGeometry>;

/** Taps j < k of a window starting at `start` (step d) that fall in [lo, hi); pool_shape.wgsl's `taps` is the same. */
export function windowTaps(start: number, k: number, d: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(k, Math.ceil((hi - start) / d)) - Math.max(0, Math.ceil((lo - start) / d)));
}

/**
 * One axis of PyTorch's and ONNX's output size: ⌊ or ⌈(n + begin + end − dilated k) / s⌉ + 1, where
 * with ceil mode a last window that would start past the input and its begin padding is dropped.
 */
function outputLength(n: number, k: number, s: number, d: number, begin: number, end: number, ceil: boolean): number {
  const span = n + begin + end - ((k - 1) * d + 1);
  const o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  return ceil && (o - 1) * s >= n + begin ? o - 1 : o;
}

export function poolGeometry(op: string, xShape: readonly number[], p: Pool2dParams) {
  checkRank(op, 'input', xShape, 4);
  const [n, c, h, w] = xShape as [number, number, number, number];
  const [kh, kw] = intPair(op, 'kernel', p.kernel, [1, 1], 1);
  const [sh, sw] = intPair(op, 'stride', p.stride, [kh, kw], 1);
  const [dh, dw] = intPair(op, 'dilation', p.dilation, [1, 1], 1);
  const [ph, pw, pb, pr] = intPads(op, p.padding);
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  if (Math.max(ph, pb) >= ekh || Math.max(pw, pr) >= ekw) {
    fail(
      `${op}: padding ${shapeStr([ph, pw, pb, pr])} must be smaller than the (dilated) kernel [${ekh}, ${ekw}] on each side`,
    );
  }
  if (h + ph + pb < ekh || w + pw + pr < ekw) {
    fail(
      `${op}: kernel [${kh}, ${kw}] (dilated [${ekh}, ${ekw}]) is bigger than the padded input (${shapeStr(xShape)} with padding ${shapeStr([ph, pw, pb, pr])})`,
    );
  }
  const ceil = p.ceilMode ?? false;
  const ho = outputLength(h, kh, sh, dh, ph, pb, ceil);
  const wo = outputLength(w, kw, sw, dw, pw, pr, ceil);
  // a dilated window can step over a small input: every window needs a real element (max has no value otherwise)
  const empty = (o: number, s: number, begin: number, k: number, d: number, len: number) =>
    Array.from({ length: o }, (_, i) => i).find((i) => windowTaps(i * s - begin, k, d, 0, len) === 0);
  const eh = empty(ho, sh, ph, kh, dh, h);
  const ew = empty(wo, sw, pw, kw, dw, w);
  if (eh !== undefined || ew !== undefined)
    fail(
      `${op}: window ${eh !== undefined ? `row ${eh}` : `column ${ew}`} of ${shapeStr(xShape)} covers only padding (kernel [${kh}, ${kw}], dilation [${dh}, ${dw}])`,
    );
  // ph, pw (the top and left pads) place the windows; hEnd, wEnd are H and W plus the bottom and
  // right pads: a count_include_pad window counts its taps below these
  return { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, hEnd: h + pb, wEnd: w + pr, ho, wo };
}

export function pool2dOutputShape(xShape: readonly number[], p: Pool2dParams): number[] {
  const g = poolGeometry('pool2d', xShape, p);
  return [g.n, g.c, g.ho, g.wo];
}
