/** Shared launcher for elementwise kernels (relu, add, ...): one template, vec4 when possible. */
import source from '../../shaders/elementwise.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Binding } from '../gpu/engine.js';

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
  const unitBytes = vec ? 16 : 4;
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const code = expr(zero);
  // no size in the key: the shader takes its length from the bound range (one pipeline per op)
  const kernel = engine.kernel(op, `${vec},${!!b},${code}`, () => renderShader(source, { T: vec ? 'vec4<f32>' : 'f32', BINARY: !!b, WG, EXPR: code }));
  const out = Tensor.empty(engine, a.shape, op);
  // Tensors past maxStorageBufferBindingSize go in chunks of whole 256-byte multiples (offset alignment).
  const perChunk = Math.max(64, Math.floor(engine.limits.maxStorageBufferBindingSize / unitBytes / 64) * 64);
  for (let first = 0; first < n; first += perChunk) {
    const count = Math.min(perChunk, n - first);
    const range = (t: Tensor): Binding => ({ buffer: t.buffer, offset: first * unitBytes, size: count * unitBytes });
    engine.dispatch(kernel, b ? [range(a), range(b), range(out)] : [range(a), range(out)], engine.grid1d(count, WG));
  }
  return out;
}
