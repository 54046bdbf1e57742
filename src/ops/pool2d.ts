/** Launchers of the two pooling templates (pool.wgsl forward, pool_backward.wgsl gather backward). */
import poolSource from '../../shaders/pool.wgsl';
import poolBackwardSource from '../../shaders/pool_backward.wgsl';
import poolShapeSource from '../../shaders/pool_shape.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { Tensor } from '../tensor/tensor.js';
import type { PoolGeometry } from './pool-geometry.js';

export { pool2dOutputShape, type Pool2dParams } from './pool-geometry.js';

/** Widest vector (4, 2 or 1 lanes) that evenly splits a row of `len` elements; tfjs's getMaxComponents. */
export function lanesFor(len: number): 1 | 2 | 4 {
  return len % 4 === 0 ? 4 : len % 2 === 0 ? 2 : 1;
}

/** Shader placeholders that name the V-lane types: T (f32 lanes), I (i32 lanes), LANES (lane offsets). */
export function laneTypes(v: 1 | 2 | 4): { V: number; T: string; I: string; LANES: string } {
  const T = v === 1 ? 'f32' : `vec${v}<f32>`;
  const I = v === 1 ? 'i32' : `vec${v}<i32>`;
  const LANES = v === 1 ? '0' : v === 2 ? 'vec2<i32>(0, 1)' : 'vec4<i32>(0, 1, 2, 3)';
  return { V: v, T, I, LANES };
}

/** A T built lane by lane: `expr('')` for one lane, else T(expr('.x'), expr('.y'), …). */
function perLane(v: 1 | 2 | 4, T: string, expr: (component: string) => string): string {
  return v === 1 ? expr('') : `${T}(${['.x', '.y', '.z', '.w'].slice(0, v).map(expr).join(', ')})`;
}

/**
 * One pooling launch of `threads` threads of V lanes; a row (of `rowLen` elements) is rowLen / V
 * threads. The lane width, the mode and the window (kernel, stride, begin pads, dilation) are compiled in; the
 * plane sizes are a uniform, so LeNet's two 2×2 pools share their pipelines. Measured on
 * SwiftShader (best of 3×10×20, max pool at batch 65, loaded machine): a uniform window cost
 * 1.5–2.7× (6.0 vs 4.1 ms forward on 6×28×28, 16.3 vs 6.0 ms backward), a uniform plane size
 * nothing measurable (3.6 vs 3.5 ms forward, 6.6 vs 9.1 ms backward; 16×10×10: 1.8 vs 2.0, 3.2 vs 3.6).
 * Tensors are bound to exactly their bytes: the kernels take their size as arrayLength.
 */
function runPool(
  op: string,
  source: string,
  g: PoolGeometry,
  v: 1 | 2 | 4,
  rowLen: number,
  threads: number,
  mode: { global: boolean; max: boolean; countIncludePad: boolean; reluMask?: boolean },
  tensors: Record<string, Tensor>,
): void {
  const lanes = laneTypes(v);
  // the window as pool_shape.wgsl's constants; the global average reads none: a unit window keeps it out of the pipeline key
  const box = mode.global
    ? { KH: 1, KW: 1, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1 }
    : { KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, PH: g.ph, PW: g.pw, DH: g.dh, DW: g.dw };
  const constants = Object.entries({ ...box, COUNT_PADS: mode.countIncludePad ? 1 : 0 }).map(
    ([k, v]) => `const ${k} = ${v};`,
  );
  const params = {
    ...lanes,
    POOL_SHAPE: renderShader(poolShapeSource, { WINDOW: constants.join('\n') }),
    GLOBAL: mode.global,
    MAX: mode.max,
    RELU_MASK: !!mode.reluMask,
    HSUM: v === 4 ? '(acc.x + acc.y) + (acc.z + acc.w)' : v === 2 ? 'acc.x + acc.y' : 'acc',
    GATHER: perLane(v, lanes.T, (c) => `x[row + iw${c}]`),
    COL_TAPS: perLane(v, lanes.T, (c) => `colTaps(ws${c})`),
  };
  const geom = Int32Array.of(
    g.h,
    g.w,
    g.ho,
    g.wo,
    rowLen / v,
    (g.h * g.w) / v,
    mode.countIncludePad ? g.hEnd : g.h,
    mode.countIncludePad ? g.wEnd : g.w,
  );
  const bindings: Record<string, unknown> = { geom };
  for (const [name, t] of Object.entries(tensors))
    bindings[name] = { buffer: t.buffer, offset: 0, bytes: t.byteLength };
  Object.values(tensors)[0]!.engine.run({ op, source, params, bindings: bindings as never, grid: { threads } });
}

/**
 * Record the window-pooling forward: y (and, for max, the argmax of each output) of shape [N, C, Ho, Wo].
 * Each thread makes V adjacent outputs of a row.
 */
export function poolForward(
  op: string,
  x: Tensor,
  g: PoolGeometry,
  mode: { max: true; reluMask: boolean } | { max: false; countIncludePad: boolean },
): { y: Tensor; argmax?: Tensor } {
  const outShape = [g.n, g.c, g.ho, g.wo];
  const y = Tensor.empty(x.engine, outShape, op);
  const argmax = mode.max ? Tensor.empty(x.engine, outShape, `${op} argmax`) : undefined;
  const flags = {
    global: false,
    max: mode.max,
    countIncludePad: !mode.max && mode.countIncludePad,
    reluMask: mode.max && mode.reluMask,
  };
  const v = lanesFor(g.wo);
  runPool(op, poolSource, g, v, g.wo, (g.n * g.c * g.ho * g.wo) / v, flags, argmax ? { x, y, argmax } : { x, y });
  return { y, argmax };
}

/** Record the gather-form backward: dx of shape [N, C, H, W]. Each thread owns V adjacent inputs of a row. */
export function poolBackward(
  op: string,
  dy: Tensor,
  g: PoolGeometry,
  mode: { argmax: Tensor } | { countIncludePad: boolean },
): Tensor {
  const dx = Tensor.empty(dy.engine, [g.n, g.c, g.h, g.w], op);
  const max = 'argmax' in mode;
  const flags = { global: false, max, countIncludePad: !max && mode.countIncludePad };
  const v = lanesFor(g.w);
  runPool(
    op,
    poolBackwardSource,
    g,
    v,
    g.w,
    (g.n * g.c * g.h * g.w) / v,
    flags,
    max ? { dy, argmax: mode.argmax, dx } : { dy, dx },
  );
  return dx;
}

/** Record the global average [N, C, H, W] → [N, C]: one thread per plane, vector reads when H·W allows. */
export function globalPoolForward(op: string, x: Tensor, g: PoolGeometry): Tensor {
  const y = Tensor.empty(x.engine, [g.n, g.c], op);
  runPool(
    op,
    poolSource,
    g,
    lanesFor(g.h * g.w),
    g.w,
    g.n * g.c,
    { global: true, max: false, countIncludePad: true },
    { x, y },
  );
  return y;
}
