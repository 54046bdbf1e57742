/** float64 reference conv2d (PyTorch semantics) and its gradients, written as plain loops. */

export interface ConvSpec {
  /** x: [N, Cin, H, W], w: [Cout, Cin/groups, KH, KW] */
  xShape: readonly [number, number, number, number];
  wShape: readonly [number, number, number, number];
  stride?: [number, number];
  /** [h, w] on both sides, or [top, left, bottom, right] */
  padding?: [number, number] | [number, number, number, number];
  dilation?: [number, number];
  groups?: number;
}

interface Dims {
  n: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  cinG: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  groups: number;
  coutG: number;
  ho: number;
  wo: number;
}

function dims(s: ConvSpec): Dims {
  const [n, cin, h, w] = s.xShape;
  const [cout, cinG, kh, kw] = s.wShape;
  const [sh, sw] = s.stride ?? [1, 1];
  const [ph, pw, pb = ph, pr = pw] = s.padding ?? [0, 0];
  const [dh, dw] = s.dilation ?? [1, 1];
  const groups = s.groups ?? 1;
  const ho = Math.floor((h + ph + pb - (kh - 1) * dh - 1) / sh) + 1;
  const wo = Math.floor((w + pw + pr - (kw - 1) * dw - 1) / sw) + 1;
  return { n, cin, h, w, cout, cinG, kh, kw, sh, sw, ph, pw, dh, dw, groups, coutG: cout / groups, ho, wo };
}

export function outputShape(s: ConvSpec): [number, number, number, number] {
  const d = dims(s);
  return [d.n, d.cout, d.ho, d.wo];
}

/**
 * Visit every (output element, weight element, input element) triple that contributes to the
 * convolution; the forward and both gradients are the same sum read three ways.
 */
function forEachTap(s: ConvSpec, visit: (yi: number, wi: number, xi: number, co: number) => void): void {
  const d = dims(s);
  for (let n = 0; n < d.n; n++)
    for (let co = 0; co < d.cout; co++) {
      const g = Math.floor(co / d.coutG);
      for (let oh = 0; oh < d.ho; oh++)
        for (let ow = 0; ow < d.wo; ow++) {
          const yi = ((n * d.cout + co) * d.ho + oh) * d.wo + ow;
          for (let c = 0; c < d.cinG; c++)
            for (let kh = 0; kh < d.kh; kh++) {
              const ih = oh * d.sh - d.ph + kh * d.dh;
              if (ih < 0 || ih >= d.h) continue;
              for (let kw = 0; kw < d.kw; kw++) {
                const iw = ow * d.sw - d.pw + kw * d.dw;
                if (iw < 0 || iw >= d.w) continue;
                const ci = g * d.cinG + c;
                visit(yi, ((co * d.cinG + c) * d.kh + kh) * d.kw + kw, ((n * d.cin + ci) * d.h + ih) * d.w + iw, co);
              }
            }
        }
    }
}

export interface Epilogue {
  relu?: boolean;
  residual?: Float64Array;
}

export function conv2d(
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | null,
  s: ConvSpec,
  epi: Epilogue = {},
): Float64Array {
  const [n, cout, ho, wo] = outputShape(s);
  const y = new Float64Array(n * cout * ho * wo);
  forEachTap(s, (yi, wi, xi) => (y[yi]! += w[wi]! * x[xi]!));
  const plane = ho * wo;
  for (let i = 0; i < y.length; i++) {
    let v = y[i]! + (bias ? bias[Math.floor(i / plane) % cout]! : 0) + (epi.residual ? epi.residual[i]! : 0);
    if (epi.relu) v = Math.max(v, 0);
    y[i] = v;
  }
  return y;
}

/** dY masked by the relu's forward output, when given. */
function maskedDy(dy: Float64Array, reluOutput?: Float64Array): Float64Array {
  return reluOutput ? dy.map((v, i) => (reluOutput[i]! > 0 ? v : 0)) : dy;
}

export function conv2dBackwardInput(
  dy: Float64Array,
  w: Float64Array,
  s: ConvSpec,
  reluOutput?: Float64Array,
): Float64Array {
  const g = maskedDy(dy, reluOutput);
  const dx = new Float64Array(s.xShape.reduce((a, b) => a * b, 1));
  forEachTap(s, (yi, wi, xi) => (dx[xi]! += w[wi]! * g[yi]!));
  return dx;
}

export function conv2dBackwardWeight(
  x: Float64Array,
  dy: Float64Array,
  s: ConvSpec,
  reluOutput?: Float64Array,
): { dw: Float64Array; db: Float64Array } {
  const g = maskedDy(dy, reluOutput);
  const dw = new Float64Array(s.wShape.reduce((a, b) => a * b, 1));
  forEachTap(s, (yi, wi, xi) => (dw[wi]! += x[xi]! * g[yi]!));
  const [, cout, ho, wo] = outputShape(s);
  const db = new Float64Array(cout);
  for (let i = 0; i < g.length; i++) db[Math.floor(i / (ho * wo)) % cout]! += g[i]!;
  return { dw, db };
}

/** An input gradient finished by its epilogue: mask ⊙ (dX + residual), kept where the relu output `mask` is > 0. */
export function finishInputGradient(
  dx: Float64Array,
  residual: Float64Array | undefined,
  mask: Float64Array,
): Float64Array {
  return dx.map((v, i) => (mask[i]! > 0 ? v + (residual ? residual[i]! : 0) : 0));
}
