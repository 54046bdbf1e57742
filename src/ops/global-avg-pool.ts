/**
 * Global average pooling [N, C, H, W] → [N, C] (flattened, ready for a linear layer). It is average
 * pooling with one full-plane window, so it shares that geometry and that backward kernel.
 */
import { checkRank, checkShape } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { poolGeometry, type PoolGeometry } from './pool-geometry.js';
import { globalPoolForward, poolBackward } from './pool2d.js';

function fullPlane(op: string, xShape: readonly number[]): PoolGeometry {
  checkRank(op, 'input', xShape, 4);
  return poolGeometry(op, xShape, { kernel: [xShape[2]!, xShape[3]!] });
}

export function globalAvgPool(x: Tensor): Tensor {
  return globalPoolForward('globalAvgPool', x, fullPlane('globalAvgPool', x.shape));
}

/** dx[n, c, h, w] = dy[n, c] / (H·W). */
export function globalAvgPoolBackward(dy: Tensor, xShape: readonly number[]): Tensor {
  const g = fullPlane('globalAvgPoolBackward', xShape);
  checkShape('globalAvgPoolBackward', 'dy', dy.shape, [g.n, g.c]);
  return poolBackward('globalAvgPoolBackward', dy, g, { countIncludePad: true });
}
