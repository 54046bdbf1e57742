/**
 * Global average pooling [N, C, H, W] → [N, C] (flattened, ready for a linear layer). It is average
 * pooling with one full-plane window, so it shares that geometry and that backward kernel; a
 * backward that also applies its input's relu mask is one broadcast map instead.
 */
import { checkRank, checkShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { poolGeometry, type PoolGeometry } from './pool-geometry.js';
import { globalPoolForward, poolBackward } from './pool2d.js';
import { broadcastMap } from './broadcast.js';

function fullPlane(op: string, xShape: readonly number[]): PoolGeometry {
  checkRank(op, 'input', xShape, 4);
  return poolGeometry(op, xShape, { kernel: [xShape[2]!, xShape[3]!] });
}

export function globalAvgPool(x: Tensor): Tensor {
  return globalPoolForward('globalAvgPool', x, fullPlane('globalAvgPool', x.shape));
}

/** dx[n, c, h, w] = dy[n, c] / (H·W), kept where `mask` (the input's relu output, if given) is > 0. */
export function globalAvgPoolBackward(dy: Tensor, xShape: readonly number[], mask?: Tensor): Tensor {
  const op = 'globalAvgPoolBackward';
  const g = fullPlane(op, xShape);
  checkShape(op, 'dy', dy.shape, [g.n, g.c]);
  if (!mask) return poolBackward(op, dy, g, { countIncludePad: true });
  checkShape(op, 'mask', mask.shape, xShape);
  const planes = dy.reshape([g.n, g.c, 1, 1]);
  const dx = broadcastMap(op, (zero) => `select(${zero}, y / ${g.h * g.w}.0, x > ${zero})`, mask, planes);
  planes.dispose();
  return dx;
}
