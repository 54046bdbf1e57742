/**
 * 2-D max pooling (NCHW, PyTorch / ONNX semantics: padding is −∞; see pool-geometry.ts). Forward saves the
 * argmax so backward is a single gather instead of a recomputation.
 */
import { checkShape, fail } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { poolGeometry, type Pool2dParams } from './pool-geometry.js';
import { poolBackward, poolForward } from './pool2d.js';

export { pool2dOutputShape, type Pool2dParams } from './pool-geometry.js';

/** Argmax indices are stored as f32, exact up to 2^24. */
const MAX_PLANE = 1 << 24;

/**
 * y = max over each window; argmax (same shape as y, f32 values) is the index h·W + w of the
 * winning input element within its [H, W] plane. `reluMask`: x is a relu's output, and argmax is
 * −1 where the max is not > 0, so that maxPool2dBackward applies the relu's backward mask too.
 */
export function maxPool2d(x: Tensor, p: Pool2dParams, reluMask = false): { y: Tensor; argmax: Tensor } {
  const g = poolGeometry('maxPool2d', x.shape, p);
  if (g.h * g.w > MAX_PLANE)
    fail(`maxPool2d: input plane ${g.h}x${g.w} is over ${MAX_PLANE} elements (argmax is stored as f32)`);
  const { y, argmax } = poolForward('maxPool2d', x, g, { max: true, reluMask });
  return { y, argmax: argmax! };
}

/**
 * dx[i] = Σ dy[o] over the windows o whose argmax is i (gather form: deterministic, and correct
 * for overlapping windows); a window with argmax −1 passes nothing.
 */
export function maxPool2dBackward(dy: Tensor, argmax: Tensor, xShape: readonly number[], p: Pool2dParams): Tensor {
  const g = poolGeometry('maxPool2dBackward', xShape, p);
  const yShape = [g.n, g.c, g.ho, g.wo];
  checkShape('maxPool2dBackward', 'dy', dy.shape, yShape);
  checkShape('maxPool2dBackward', 'argmax', argmax.shape, yShape);
  return poolBackward('maxPool2dBackward', dy, g, { argmax });
}
