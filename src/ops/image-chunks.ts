/**
 * Splitting a batch into per-dispatch chunks of whole images: the conv kernels (dense and
 * depthwise) bind each chunk's images at a buffer offset, so every binding must fit the device's
 * limit and every offset must be a multiple of 256 bytes.
 */
import type { Engine } from '../gpu/engine.js';
import { fail } from '../errors.js';

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Images per dispatch so that every batch-indexed binding (given as floats per image) fits the
 * binding limit and chunk offsets are multiples of 256 bytes. One chunk (no split) whenever the
 * whole batch fits.
 */
export function imagesPerChunk(op: string, engine: Engine, n: number, floatsPerImage: number[]): number {
  const maxBytes = engine.limits.maxStorageBufferBindingSize;
  let cap = n;
  let align = 1;
  for (const f of floatsPerImage) {
    cap = Math.min(cap, Math.floor(maxBytes / (f * 4)));
    const a = 256 / gcd(256, f * 4);
    align = (align * a) / gcd(align, a);
  }
  if (n <= cap) return n;
  const images = Math.floor(cap / align) * align;
  if (images === 0) {
    fail(
      `${op}: cannot split the batch of ${n} to fit maxStorageBufferBindingSize ${maxBytes}: ` +
        `${cap < 1 ? 'one image is too large' : `chunks need a multiple of ${align} images for 256-byte aligned offsets`}`,
    );
  }
  return images;
}
