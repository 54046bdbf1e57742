/** Shared launcher for elementwise kernels (relu, add, ...): one template, vec4 when possible. */
import source from '../../shaders/elementwise.wgsl';
import { vec4Layout } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * out = expr(x[, y]) elementwise. `expr(zero)` returns WGSL using `x`, `y` and the given zero
 * literal (`0.0` or `vec4<f32>(0.0)`), so one expression serves both widths.
 */
export function elementwise(op: string, expr: (zero: string) => string, a: Tensor, b?: Tensor): Tensor {
  if (b && (b.size !== a.size || b.shape.length !== a.shape.length || b.shape.some((d, i) => d !== a.shape[i]))) {
    fail(`${op}: shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} differ`);
  }
  const engine = a.engine;
  const { T, units: n, unitBytes, zero } = vec4Layout(a.size);
  const EXPR = expr(zero);
  const out = Tensor.empty(engine, a.shape, op);
  // Tensors past maxStorageBufferBindingSize go in chunks of whole 256-byte multiples (offset alignment).
  const perChunk = Math.max(64, Math.floor(engine.limits.maxStorageBufferBindingSize / unitBytes / 64) * 64);
  for (let first = 0; first < n; first += perChunk) {
    const count = Math.min(perChunk, n - first);
    const range = (t: Tensor) => ({ buffer: t.buffer, offset: first * unitBytes, bytes: count * unitBytes });
    const bindings = { a: range(a), b: b && range(b), out: range(out) };
    engine.run({ op, source, params: { T, BINARY: !!b, EXPR }, bindings, grid: { threads: count } });
  }
  return out;
}
