/** Straight-line path points x' + α(x − x') for a chunk of steps, all images at once. */
import source from '../../../shaders/attribution/path_points.wgsl';
import { vec4Layout } from '../../gpu/program.js';
import { fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';

/**
 * x, baseline: [N, ...]; returns points [N·S, ...] with row i·S + s = x'_i + alphas[s]·(x_i − x'_i).
 */
export function straightPathPoints(x: Tensor, baseline: Tensor, alphas: ArrayLike<number>): Tensor {
  if (x.size !== baseline.size || x.shape[0] !== baseline.shape[0])
    fail(`straightPathPoints: input ${shapeStr(x.shape)} and baseline ${shapeStr(baseline.shape)} differ`);
  const engine = x.engine;
  const n = x.shape[0]!;
  const s = alphas.length;
  const { T, units: dv } = vec4Layout(x.size / n);
  const total = n * s * dv;
  const points = Tensor.empty(engine, [n * s, ...x.shape.slice(1)], 'path points');
  const sizes = Uint32Array.of(total, dv, s);
  engine.run({
    op: 'path_points',
    source,
    params: { T },
    bindings: { x, baseline, points, alphas: Float32Array.from(alphas), sizes },
    grid: { threads: total },
  });
  return points;
}
