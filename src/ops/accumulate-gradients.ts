/** acc_i += Σ_s w_s · g_{i·S+s} [⊙ dir_{i·S+s}]: a chunk's weighted path-gradient sum, in place. */
import source from '../../shaders/accumulate_gradients.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { packVec4 } from './path-points.js';

const WG = 64;

export function accumulateGradients(acc: Tensor, grad: Tensor, weights: ArrayLike<number>, dir?: Tensor): void {
  const n = acc.shape[0]!;
  const s = weights.length;
  const d = acc.size / n;
  if (grad.size !== n * s * d) fail(`accumulateGradients: gradients ${shapeStr(grad.shape)} are not ${s} rows for each of ${n} images of ${d} features`);
  if (dir && dir.size !== grad.size) fail(`accumulateGradients: direction ${shapeStr(dir.shape)} does not match gradients ${shapeStr(grad.shape)}`);
  const engine = acc.engine;
  const vec = d % 4 === 0;
  const dv = vec ? d / 4 : d;
  const total = n * dv;
  const uniform = packVec4(weights);
  const kernel = engine.kernel('accumulate_gradients', `${n},${s},${dv},${vec},${!!dir}`, () =>
    renderShader(source, { T: vec ? 'vec4<f32>' : 'f32', WG, TOTAL: total, DV: dv, S: s, W_VEC4S: uniform.length / 4, DIR: !!dir }),
  );
  const bindings = [grad.buffer, acc.buffer, engine.uniform(uniform)];
  if (dir) bindings.push(dir.buffer);
  engine.dispatch(kernel, bindings, engine.grid1d(total, WG));
}
