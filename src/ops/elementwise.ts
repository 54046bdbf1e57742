/** Shared launcher for elementwise kernels (relu, add, ...): one template, vec4 when possible. */
import source from '../../shaders/elementwise.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;

/**
 * out = expr(x[, y]) elementwise. `expr(zero)` returns WGSL using `x`, `y` and the given zero
 * literal (`0.0` or `vec4<f32>(0.0)`), so one expression serves both widths.
 */
export function elementwise(op: string, expr: (zero: string) => string, a: Tensor, b?: Tensor): Tensor {
  if (b && (b.size !== a.size || b.shape.length !== a.shape.length || b.shape.some((d, i) => d !== a.shape[i]))) {
    fail(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
  }
  const engine = a.engine;
  const vec = a.size % 4 === 0;
  const n = vec ? a.size / 4 : a.size;
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const kernel = engine.kernel(op, `${n},${vec}`, () =>
    renderShader(source, { T: vec ? 'vec4<f32>' : 'f32', BINARY: !!b, WG, N: n, EXPR: expr(zero) }),
  );
  const out = Tensor.empty(engine, a.shape, op);
  engine.dispatch(kernel, b ? [a.buffer, b.buffer, out.buffer] : [a.buffer, out.buffer], engine.grid1d(n, WG));
  return out;
}
