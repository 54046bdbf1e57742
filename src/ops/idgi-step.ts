/**
 * IDGI's fused step over a chunk of R consecutive path points per image: a per-row ‖g‖² reduction,
 * then attr += g ⊙ g · Δf / ‖g‖² for the R − 1 steps (zero-norm steps add their Δf to `dropped`).
 */
import source from '../../shaders/idgi_step.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

const NORM_WG = 64;
const STEP_WG = 64;

/** grad: [N·R, ...] rows image-major; f: [N·R]; attr: [N, ...] and dropped: [N] updated in place. */
export function idgiStep(attr: Tensor, dropped: Tensor, grad: Tensor, f: Tensor, pointsPerImage: number): void {
  const n = attr.shape[0]!;
  const r = pointsPerImage;
  const d = attr.size / n;
  if (r < 2) fail(`idgiStep: a chunk needs at least 2 points per image, got ${r}`);
  if (grad.size !== n * r * d || f.size !== n * r || dropped.size !== n) {
    fail(`idgiStep: gradients ${shapeStr(grad.shape)}, values ${shapeStr(f.shape)} or dropped ${shapeStr(dropped.shape)} do not fit ${n} images × ${r} points × ${d} features`);
  }
  const engine = attr.engine;
  const vec = d % 4 === 0;
  const dv = vec ? d / 4 : d;
  const T = vec ? 'vec4<f32>' : 'f32';
  const rows = n * r;
  const normsKernel = engine.kernel('idgi_norms', `${rows},${dv},${vec}`, () =>
    renderShader(source, { NORMS: true, T, WG: NORM_WG, ROWS: rows, DV: dv, SUMSQ: vec ? 'dot(v, v)' : 'v * v', TOTAL: 0, R: r }),
  );
  const norms = Tensor.empty(engine, [rows], 'idgi norms');
  engine.dispatch(normsKernel, [grad.buffer, norms.buffer], engine.grid1d(rows, 1));
  const total = n * dv;
  const stepKernel = engine.kernel('idgi_step', `${n},${r},${dv},${vec}`, () =>
    renderShader(source, { NORMS: false, T, WG: STEP_WG, ROWS: rows, DV: dv, SUMSQ: '', TOTAL: total, R: r }),
  );
  engine.dispatch(stepKernel, [grad.buffer, norms.buffer, f.buffer, attr.buffer, dropped.buffer], engine.grid1d(total, STEP_WG));
  norms.dispose();
}
