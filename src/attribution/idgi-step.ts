/**
 * IDGI's fused step over a chunk of R consecutive path points per image: the rows' ‖g‖² (a
 * strided sum, strided.ts), then attr += g ⊙ g · Δf / ‖g‖² for the R − 1 steps (zero-norm
 * steps add their Δf to `dropped`).
 */
import source from '../../shaders/attribution/idgi_step.wgsl';
import { vec4Layout } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { stridedLaunch } from '../ops/strided.js';

/** grad: [N·R, ...] rows image-major; f: [N·R]; attr: [N, ...] and dropped: [N] updated in place. */
export function idgiStep(attr: Tensor, dropped: Tensor, grad: Tensor, f: Tensor, pointsPerImage: number): void {
  const n = attr.shape[0]!;
  const r = pointsPerImage;
  const d = attr.size / n;
  if (r < 2) fail(`idgiStep: a chunk needs at least 2 points per image, got ${r}`);
  if (grad.size !== n * r * d || f.size !== n * r || dropped.size !== n) fail(`idgiStep: gradients ${shapeStr(grad.shape)}, values ${shapeStr(f.shape)} or dropped ${shapeStr(dropped.shape)} do not fit ${n} images × ${r} points × ${d} features`);
  const engine = attr.engine;
  const { T, units: dv } = vec4Layout(d);
  const sizes = Uint32Array.of(dv, r, n * dv);
  // ‖g_b‖² of every row: one thread per row, a fixed-order sum (on LeNet-sized rows on SwiftShader,
  // a 64-lane workgroup tree per row measured 3-6x slower, the 256-lane rowSquaredNorms ~20x)
  const rows = { space: [n * r, 1], a: { t: grad, strides: [d, 1] }, reduce: { shape: [1, d], strides: [d, 1] }, expr: 'x * x' };
  const norms = stridedLaunch('idgi_norms', { ...rows, out: Tensor.empty(engine, [n * r], 'idgi norms') });
  engine.run({ op: 'idgi_step', source, params: { T }, bindings: { grad, norms, f, attr, dropped, sizes }, grid: { threads: n * dv } });
  norms.dispose();
}
