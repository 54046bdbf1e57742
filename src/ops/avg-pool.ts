/**
 * 2-D average pooling (NCHW, PyTorch / ONNX semantics, pool-geometry.ts). With countIncludePad (the
 * default) a window divides by its taps inside the input and its pads (the kernel area, less a
 * ceil-mode overhang); without it, by its count of real (unpadded) elements.
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
