/** float64 references for max / average / global average pooling (NCHW, PyTorch / ONNX semantics: pads per side, dilation, ceil mode). */
import type { Pool2dParams } from '../../src/ops/pool-geometry.js';

interface Geo {
  n: number;
  c: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** pads: top, left, bottom, right */
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  ho: number;
  wo: number;
}

const two = (v: number | readonly number[] | undefined, d: [number, number]): [number, number] =>
  v === undefined ? d : typeof v === 'number' ? [v, v] : [v[0]!, v[1]!];

/** PyTorch / ONNX: floor or ceil; in ceil mode a window starting past the input and its begin pad is dropped. */
function outLength(n: number, k: number, s: number, d: number, begin: number, end: number, ceil: boolean): number {
  const r = (n + begin + end - (k - 1) * d - 1) / s;
  let o = (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
  if (ceil && (o - 1) * s >= n + begin) o--;
  return o;
}

function geo(shape: readonly number[], p: Pool2dParams): Geo {
  const [n, c, h, w] = shape as [number, number, number, number];
  const [kh, kw] = two(p.kernel, [1, 1]);
  const [sh, sw] = two(p.stride, [kh, kw]);
  const [dh, dw] = two(p.dilation, [1, 1]);
  const pads = p.padding === undefined ? [0, 0] : typeof p.padding === 'number' ? [p.padding, p.padding] : p.padding;
  const [pt, pl, pb = pt, pr = pl] = pads as number[];
  const ceil = p.ceilMode ?? false;
  return {
    n,
    c,
    h,
    w,
    kh,
    kw,
    sh,
    sw,
    dh,
    dw,
    pt: pt!,
    pl: pl!,
    pb,
    pr,
    ho: outLength(h, kh, sh, dh, pt!, pb, ceil),
    wo: outLength(w, kw, sw, dw, pl!, pr, ceil),
  };
}

export function outputShape(shape: readonly number[], p: Pool2dParams): number[] {
  const g = geo(shape, p);
  return [g.n, g.c, g.ho, g.wo];
}

/** Visit every (output, window tap) pair; `inside` says whether the tap is in the unpadded input (i is then its plane index). */
function forEachWindowTap(
  g: Geo,
  visit: (plane: number, o: number, i: number, inside: boolean, ih: number, iw: number) => void,
): void {
  for (let plane = 0; plane < g.n * g.c; plane++) {
    for (let oh = 0; oh < g.ho; oh++) {
      for (let ow = 0; ow < g.wo; ow++) {
        for (let a = 0; a < g.kh; a++) {
          for (let b = 0; b < g.kw; b++) {
            const ih = oh * g.sh - g.pt + a * g.dh;
            const iw = ow * g.sw - g.pl + b * g.dw;
            visit(plane, oh * g.wo + ow, ih * g.w + iw, ih >= 0 && ih < g.h && iw >= 0 && iw < g.w, ih, iw);
          }
        }
      }
    }
  }
}

/** Visit every (output, window tap inside the unpadded input) pair, in plane-local indices. */
function forEachTap(g: Geo, visit: (plane: number, o: number, i: number) => void): void {
  forEachWindowTap(g, (plane, o, i, inside) => inside && visit(plane, o, i));
}

export function maxPool2d(
  x: Float64Array,
  shape: readonly number[],
  p: Pool2dParams,
): { y: Float64Array; argmax: Float64Array } {
  const g = geo(shape, p);
  const outPlane = g.ho * g.wo;
  const y = new Float64Array(g.n * g.c * outPlane).fill(-Infinity);
  const argmax = new Float64Array(y.length).fill(-1);
  forEachTap(g, (plane, o, i) => {
    const v = x[plane * g.h * g.w + i]!;
    const k = plane * outPlane + o;
    if (v > y[k]!) {
      y[k] = v;
      argmax[k] = i;
    }
  });
  return { y, argmax };
}

/** Scatter form (the GPU uses gather form, so the two are independent). */
export function maxPool2dBackward(
  dy: Float64Array,
  argmax: ArrayLike<number>,
  shape: readonly number[],
  p: Pool2dParams,
): Float64Array {
  const g = geo(shape, p);
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  const outPlane = g.ho * g.wo;
  for (let k = 0; k < dy.length; k++) dx[Math.floor(k / outPlane) * g.h * g.w + argmax[k]!]! += dy[k]!;
  return dx;
}

/** Real taps of each window; with count_include_pad every tap inside the declared pads (a ceil-mode overhang is not counted). */
function windowDivisors(g: Geo, countIncludePad: boolean): Float64Array {
  const d = new Float64Array(g.ho * g.wo);
  forEachWindowTap({ ...g, n: 1, c: 1 }, (_, o, __, inside, ih, iw) => {
    if (countIncludePad ? ih < g.h + g.pb && iw < g.w + g.pr : inside) d[o]!++;
  });
  return d;
}

export function avgPool2d(
  x: Float64Array,
  shape: readonly number[],
  p: Pool2dParams,
  countIncludePad = true,
): Float64Array {
  const g = geo(shape, p);
  const outPlane = g.ho * g.wo;
  const div = windowDivisors(g, countIncludePad);
  const y = new Float64Array(g.n * g.c * outPlane);
  forEachTap(g, (plane, o, i) => (y[plane * outPlane + o]! += x[plane * g.h * g.w + i]! / div[o]!));
  return y;
}

export function avgPool2dBackward(
  dy: Float64Array,
  shape: readonly number[],
  p: Pool2dParams,
  countIncludePad = true,
): Float64Array {
  const g = geo(shape, p);
  const outPlane = g.ho * g.wo;
  const div = windowDivisors(g, countIncludePad);
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  forEachTap(g, (plane, o, i) => (dx[plane * g.h * g.w + i]! += dy[plane * outPlane + o]! / div[o]!));
  return dx;
}

export function globalAvgPool(x: Float64Array, shape: readonly number[]): Float64Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const y = new Float64Array(n * c);
  for (let k = 0; k < x.length; k++) y[Math.floor(k / (h * w))]! += x[k]! / (h * w);
  return y;
}

export function globalAvgPoolBackward(dy: Float64Array, shape: readonly number[]): Float64Array {
  const [n, c, h, w] = shape as [number, number, number, number];
  const dx = new Float64Array(n * c * h * w);
  for (let k = 0; k < dx.length; k++) dx[k] = dy[Math.floor(k / (h * w))]! / (h * w);
  return dx;
}
