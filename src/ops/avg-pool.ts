/**
 * 2-D average pooling (NCHW, PyTorch semantics, floor output size). With countIncludePad (the
 * default) every window divides by kernel area; without it, by its count of real (unpadded) elements.
 */
import { checkShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { poolGeometry, type Pool2dParams } from './pool-geometry.js';
import { poolBackward, poolForward } from './pool2d.js';

export type AvgPool2dParams = Pool2dParams & { countIncludePad?: boolean };

export function avgPool2d(x: Tensor, p: AvgPool2dParams): Tensor {
  const g = poolGeometry('avgPool2d', x.shape, p);
  return poolForward('avgPool2d', x, g, { max: false, countIncludePad: p.countIncludePad ?? true }).y;
}

/** dx[i] = Σ dy[o] / divisor(o) over the windows o covering i (gather form, deterministic). */
export function avgPool2dBackward(dy: Tensor, xShape: readonly number[], p: AvgPool2dParams): Tensor {
  const g = poolGeometry('avgPool2dBackward', xShape, p);
  checkShape('avgPool2dBackward', 'dy', dy.shape, [g.n, g.c, g.ho, g.wo]);
  return poolBackward('avgPool2dBackward', dy, g, { countIncludePad: p.countIncludePad ?? true });
}
