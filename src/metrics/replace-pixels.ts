/**
 * K copies of one image, each with its own pixels replaced (all channels) by a fill image, in one
 * dispatch: faithfulness correlation's random subsets and infidelity's patches.
 */
import source from '../../shaders/metrics/replace_pixels.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** x, fill [1, C, H, W]; mask [K, H·W] (non-zero = replace) → [K, C, H, W]. */
export function replacePixels(x: Tensor, fill: Tensor, mask: Tensor): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (x.rank !== 4 || n !== 1) fail(`replacePixels: x must be [1, C, H, W], got ${shapeStr(x.shape)}`);
  if (fill.shape.join() !== x.shape.join())
    fail(`replacePixels: fill ${shapeStr(fill.shape)} != x ${shapeStr(x.shape)}`);
  if (mask.rank !== 2 || mask.shape[1] !== h * w || mask.shape[0]! < 1)
    fail(`replacePixels: mask must be [K ≥ 1, ${h * w}], got ${shapeStr(mask.shape)}`);
  const k = mask.shape[0]!;
  const total = k * c * h * w;
  const images = Tensor.empty(x.engine, [k, c, h, w], 'images with replaced pixels');
  x.engine.run({
    op: 'replace_pixels',
    source,
    bindings: { x, fill, mask, images, sizes: Uint32Array.of(total, c * h * w, h * w) },
    grid: { threads: total },
  });
  return images;
}

export function minimum(x: ArrayLike<number>): number {
  let min = Infinity;
  for (let i = 0; i < x.length; i++) min = Math.min(min, x[i]!);
  return min;
}

/** An image of x's shape filled with `value` (default: x's minimum, Quantus's 'black' baseline). */
export function baselineImage(image: Tensor, x: Float32Array, value: number | undefined, op: string): Tensor {
  const v = value ?? minimum(x);
  if (!Number.isFinite(v)) fail(`${op}: baseline must be a finite number, got ${v}`);
  return Tensor.from(image.engine, new Float32Array(x.length).fill(v), image.shape, { label: `${op} baseline` });
}
