/** Environment-free image reshaping between the dataset format and the models' input formats. */
import { PathlightError } from '../errors.js';

const SRC = 28;
const DST = 32;
const BORDER = (DST - SRC) / 2;

/**
 * N×1×28×28 grayscale → N×3×32×32: a 2-pixel zero border (the classic LeNet-5 padding, keeping
 * strokes away from the edge) and the gray channel replicated into R, G and B, the input the
 * 3×32×32 zoo models (VGG, ResNet, MobileNet) take.
 */
export function toRgb32(images: Float32Array, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 0 || images.length !== count * SRC * SRC) {
    throw new PathlightError(
      `toRgb32: expected ${count}×1×${SRC}×${SRC} = ${count * SRC * SRC} values, got ${images.length}`,
    );
  }
  const out = new Float32Array(count * 3 * DST * DST);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < SRC; y++) {
      const row = images.subarray((n * SRC + y) * SRC, (n * SRC + y + 1) * SRC);
      for (let c = 0; c < 3; c++) out.set(row, ((n * 3 + c) * DST + y + BORDER) * DST + BORDER);
    }
  }
  return out;
}

/** [N, H, W, C] (channels-last, as NumPy / TensorFlow images come) → [N, C, H, W], the models' layout. */
export function channelsFirst(data: Float32Array, c: number, h: number, w: number): Float32Array {
  const n = data.length / (c * h * w);
  if (!Number.isInteger(n))
    throw new PathlightError(`channelsFirst: ${data.length} values are not a whole number of ${h}×${w}×${c} images`);
  const out = new Float32Array(data.length);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++)
      for (let k = 0; k < c; k++) out[(i * c + k) * h * w + p] = data[(i * h * w + p) * c + k]!;
  }
  return out;
}
