/**
 * IDGI's fused step over a chunk of R consecutive path points per image: a per-row ‖g‖² reduction,
 * then attr += g ⊙ g · Δf / ‖g‖² for the R − 1 steps (zero-norm steps add their Δf to `dropped`).
 */
import source from '../../../shaders/attribution/idgi_step.wgsl';
import { vec4Layout } from '../../gpu/program.js';
import { fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

/** grad: [N·R, ...] rows image-major; f: [N·R]; attr: [N, ...] and dropped: [N] updated in place. */
export function idgiStep(attr: Tensor, dropped: Tensor, grad: Tensor, f: Tensor, pointsPerImage: number): void {
  const n = attr.shape[0]!;
  const r = pointsPerImage;
  const d = attr.size / n;
  if (r < 2) fail(`idgiStep: a chunk needs at least 2 points per image, got ${r}`);
  if (grad.size !== n * r * d || f.size !== n * r || dropped.size !== n)
    fail(
      `idgiStep: gradients ${shapeStr(grad.shape)}, values ${shapeStr(f.shape)} or dropped ${shapeStr(dropped.shape)} do not fit ${n} images × ${r} points × ${d} features`,
    );
  const engine = attr.engine;
  const { T, vec, units: dv } = vec4Layout(d);
  const rows = n * r;
  const sizes = Uint32Array.of(rows, dv, r, n * dv);
  const norms = Tensor.empty(engine, [rows], 'idgi norms');
  // the vec4 lanes' compensated sums are added last
  const params = { T, SUM: vec ? 's.x + s.y + s.z + s.w' : 's' };
  engine.run({
    op: 'idgi_norms',
    source,
    params: { ...params, NORMS: true },
    bindings: { grad, norms, sizes },
    grid: { threads: rows },
  });
  engine.run({
    op: 'idgi_step',
    source,
    params: { ...params, NORMS: false },
    bindings: { grad, norms, f, attr, dropped, sizes },
    grid: { threads: n * dv },
  });
  norms.dispose();
}
