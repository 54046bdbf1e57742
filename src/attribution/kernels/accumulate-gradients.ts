/** acc_i += Σ_s w_s · g_{i·S+s} [⊙ dir_{i·S+s}]: a chunk's weighted path-gradient sum, in place. */
import source from '../../../shaders/attribution/accumulate_gradients.wgsl';
import { vec4Layout } from '../../gpu/program.js';
import { fail, shapeStr } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';

export interface AccumulateOptions {
  /** per-point directions, shaped like the gradients: the sum is of w_s · g ⊙ dir */
  dir?: Tensor;
  /**
   * Last chunk of a path with a constant direction: acc_i is then multiplied by end_i − start_i
   * (IG's x − x'), in the same dispatch. Both are shaped like acc.
   */
  times?: { start: Tensor; end: Tensor };
}

export function accumulateGradients(
  acc: Tensor,
  grad: Tensor,
  weights: ArrayLike<number>,
  opts: AccumulateOptions = {},
): void {
  const { dir, times } = opts;
  const n = acc.shape[0]!;
  const s = weights.length;
  const d = acc.size / n;
  if (grad.size !== n * s * d)
    fail(
      `accumulateGradients: gradients ${shapeStr(grad.shape)} are not ${s} rows for each of ${n} images of ${d} features`,
    );
  if (dir && dir.size !== grad.size)
    fail(`accumulateGradients: direction ${shapeStr(dir.shape)} does not match gradients ${shapeStr(grad.shape)}`);
  if (times && (times.start.size !== acc.size || times.end.size !== acc.size))
    fail(
      `accumulateGradients: direction ends ${shapeStr(times.start.shape)} and ${shapeStr(times.end.shape)} do not match the sum ${shapeStr(acc.shape)}`,
    );
  const { T, units: dv } = vec4Layout(d);
  const total = n * dv;
  // Whether to multiply is a uniform, not a variant, so a path's last chunk needs no pipeline of
  // its own; without it `start` and `end` are bound to the (unread) gradients.
  const sizes = Uint32Array.of(total, dv, s, times ? 1 : 0);
  const bindings = {
    grad,
    acc,
    weights: Float32Array.from(weights),
    sizes,
    dir,
    start: times?.start ?? grad,
    end: times?.end ?? grad,
  };
  acc.engine.run({
    op: 'accumulate_gradients',
    source,
    params: { T, DIR: !!dir, START_AT: dir ? 5 : 4, END_AT: dir ? 6 : 5 },
    bindings,
    grid: { threads: total },
  });
}
