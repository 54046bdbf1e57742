/**
 * K partially revealed images in one dispatch (insertion/deletion curves, PIC's bokeh images):
 * image k takes pixel p (all channels) from `finish` where key[p] ≤ bound[k], else from `start`.
 */
import source from '../../shaders/metrics/reveal_images.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** start, finish [1, C, H, W]; key [H·W]; bound [K] → [K, C, H, W]. */
export function revealImages(start: Tensor, finish: Tensor, key: Tensor, bound: Tensor): Tensor {
  const [n, c, h, w] = start.shape as [number, number, number, number];
  if (start.rank !== 4 || n !== 1) fail(`revealImages: start must be [1, C, H, W], got ${shapeStr(start.shape)}`);
  if (finish.shape.join() !== start.shape.join())
    fail(`revealImages: finish ${shapeStr(finish.shape)} != start ${shapeStr(start.shape)}`);
  if (key.size !== h * w) fail(`revealImages: key has ${key.size} values for ${h}×${w} pixels`);
  if (bound.size < 1) fail('revealImages: no images requested (empty bound)');
  const k = bound.size;
  const total = k * c * h * w;
  const images = Tensor.empty(start.engine, [k, c, h, w], 'revealed images');
  const sizes = Uint32Array.of(total, c * h * w, h * w);
  start.engine.run({
    op: 'reveal_images',
    source,
    bindings: { start, finish, key, bound, images, sizes },
    grid: { threads: total },
  });
  return images;
}
