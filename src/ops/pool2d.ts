/** Launchers of the two pooling templates (pool.wgsl forward, pool_backward.wgsl gather backward). */
import poolSource from '../../shaders/pool.wgsl';
import poolBackwardSource from '../../shaders/pool_backward.wgsl';
import poolShapeSource from '../../shaders/pool_shape.wgsl';
import type { Binding } from '../gpu/engine.js';
import { renderShader } from '../gpu/wgsl.js';
import { Tensor } from '../tensor/tensor.js';
import { geometryKey, type PoolGeometry } from './pool-geometry.js';

export { pool2dOutputShape, type Pool2dParams } from './pool-geometry.js';

const WG = 64;

/** A tensor bound to exactly its own bytes: the kernels read their batch size as arrayLength. */
const exact = (t: Tensor): Binding => ({ buffer: t.buffer, size: t.byteLength });

/** Widest vector (4, 2 or 1 lanes) that evenly splits a row of `len` elements; tfjs's getMaxComponents. */
export function lanesFor(len: number): 1 | 2 | 4 {
  return len % 4 === 0 ? 4 : len % 2 === 0 ? 2 : 1;
}

/** Shader placeholders that name the V-lane types: T (f32 lanes), I (i32 lanes), LANES (lane offsets). */
export function laneTypes(v: 1 | 2 | 4): { V: number; V4: boolean; V2: boolean; T: string; I: string; LANES: string } {
  const T = v === 1 ? 'f32' : `vec${v}<f32>`;
  const I = v === 1 ? 'i32' : `vec${v}<i32>`;
  const LANES = v === 1 ? '0' : v === 2 ? 'vec2<i32>(0, 1)' : 'vec4<i32>(0, 1, 2, 3)';
  return { V: v, V4: v === 4, V2: v === 2, T, I, LANES };
}

/** Every placeholder of pool.wgsl / pool_backward.wgsl (wgsl-preprocessor evaluates dead branches too). */
function shaderParams(g: PoolGeometry, v: 1 | 2 | 4, flags: { global: boolean; max: boolean; countIncludePad: boolean }) {
  const lanes = laneTypes(v);
  const hsum = v === 4 ? '(acc.x + acc.y) + (acc.z + acc.w)' : v === 2 ? 'acc.x + acc.y' : 'acc';
  const shape = { H: g.h, W: g.w, KH: g.kh, KW: g.kw, SH: g.sh, SW: g.sw, PH: g.ph, PW: g.pw, HO: g.ho, WO: g.wo };
  return {
    ...lanes,
    ...shape,
    POOL_SHAPE: renderShader(poolShapeSource, shape),
    WO_V: Math.floor(g.wo / v), W_V: Math.floor(g.w / v), PLANE_V: Math.floor((g.h * g.w) / v),
    GLOBAL: flags.global, MAX: flags.max, COUNT_INCLUDE_PAD: flags.countIncludePad,
    DIVISOR: flags.countIncludePad ? `${lanes.T}(${g.kh * g.kw}.0)` : 'count',
    HSUM: hsum, WG,
  };
}

/**
 * Record the window-pooling forward: y (and, for max, the argmax of each output) of shape [N, C, Ho, Wo].
 * Each thread makes V adjacent outputs of a row.
 */
export function poolForward(op: string, x: Tensor, g: PoolGeometry, mode: { max: true } | { max: false; countIncludePad: boolean }): { y: Tensor; argmax?: Tensor } {
  const engine = x.engine;
  const v = lanesFor(g.wo);
  const threads = (g.n * g.c * g.ho * g.wo) / v;
  const cip = !mode.max && mode.countIncludePad;
  const kernel = engine.kernel(op, `${geometryKey(g)},${v},${cip}`, () =>
    renderShader(poolSource, shaderParams(g, v, { global: false, max: mode.max, countIncludePad: cip })),
  );
  const outShape = [g.n, g.c, g.ho, g.wo];
  const y = Tensor.empty(engine, outShape, op);
  if (!mode.max) {
    engine.dispatch(kernel, [exact(x), exact(y)], engine.grid1d(threads, WG));
    return { y };
  }
  const argmax = Tensor.empty(engine, outShape, `${op} argmax`);
  engine.dispatch(kernel, [exact(x), exact(y), exact(argmax)], engine.grid1d(threads, WG));
  return { y, argmax };
}

/** Record the gather-form backward: dx of shape [N, C, H, W]. Each thread owns V adjacent inputs of a row. */
export function poolBackward(op: string, dy: Tensor, g: PoolGeometry, mode: { argmax: Tensor } | { countIncludePad: boolean }): Tensor {
  const engine = dy.engine;
  const v = lanesFor(g.w);
  const threads = (g.n * g.c * g.h * g.w) / v;
  const max = 'argmax' in mode;
  const cip = !max && mode.countIncludePad;
  const kernel = engine.kernel(op, `${geometryKey(g)},${v},${cip}`, () =>
    renderShader(poolBackwardSource, shaderParams(g, v, { global: false, max, countIncludePad: cip })),
  );
  const dx = Tensor.empty(engine, [g.n, g.c, g.h, g.w], op);
  engine.dispatch(kernel, max ? [exact(dy), exact(mode.argmax), exact(dx)] : [exact(dy), exact(dx)], engine.grid1d(threads, WG));
  return dx;
}

/** Record the global average [N, C, H, W] → [N, C]: one thread per plane, vector reads when H·W allows. */
export function globalPoolForward(op: string, x: Tensor, g: PoolGeometry): Tensor {
  const engine = x.engine;
  const v = lanesFor(g.h * g.w);
  const threads = g.n * g.c;
  const kernel = engine.kernel(op, `${g.h},${g.w},${v}`, () =>
    renderShader(poolSource, shaderParams(g, v, { global: true, max: false, countIncludePad: true })),
  );
  const y = Tensor.empty(engine, [g.n, g.c], op);
  engine.dispatch(kernel, [exact(x), exact(y)], engine.grid1d(threads, WG));
  return y;
}
