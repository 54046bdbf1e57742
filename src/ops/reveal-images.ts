/**
 * K partially revealed images in one dispatch (insertion/deletion curves, PIC's bokeh images):
 * image k takes pixel p (all channels) from `finish` where key[p] ≤ bound[k], else from `start`.
 */
import source from '../../shaders/reveal_images.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';

const WG = 64;

/** start, finish [1, C, H, W]; key [H·W]; bound [K] → [K, C, H, W]. */
export function revealImages(start: Tensor, finish: Tensor, key: Tensor, bound: Tensor): Tensor {
  const [n, c, h, w] = start.shape as [number, number, number, number];
  if (start.rank !== 4 || n !== 1) fail(`revealImages: start must be [1, C, H, W], got ${shapeStr(start.shape)}`);
  if (finish.shape.join() !== start.shape.join()) fail(`revealImages: finish ${shapeStr(finish.shape)} != start ${shapeStr(start.shape)}`);
  if (key.size !== h * w) fail(`revealImages: key has ${key.size} values for ${h}×${w} pixels`);
  if (bound.size < 1) fail('revealImages: no images requested (empty bound)');
  const engine = start.engine;
  const k = bound.size;
  const plane = c * h * w;
  const params = { WG, TOTAL: k * plane, PLANE: plane, HW: h * w };
  const kernel = engine.kernel('reveal_images', Object.values(params).join(','), () => renderShader(source, params));
  const images = Tensor.empty(engine, [k, c, h, w], 'revealed images');
  engine.dispatch(kernel, [start.buffer, finish.buffer, key.buffer, bound.buffer, images.buffer], engine.grid1d(k * plane, WG));
  return images;
}
