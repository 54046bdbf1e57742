/**
 * JPEG inputs, decoded by jpeg-js: the size the frame header (SOFn) declares is checked against the
 * same pixel cap and expected sizes as a PNG's (png-limits.ts) before anything is decoded, and the
 * decoder's own resolution and memory limits stay on. Colour→gray is `rgbToGray`.
 */
import { decode } from 'jpeg-js';
import { fail } from '../errors.js';
import { rgbToGray } from './gray.js';
import { checkPngSize, DEFAULT_MAX_PNG_PIXELS, type PngSizeLimits } from './png-limits.js';
import type { FloatImage } from './png.js';

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): the markers whose segment holds the frame size. */
const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** The width and height the JPEG's frame header declares, found by walking the marker segments. */
export function readJpegSize(bytes: Uint8Array, source: string): { width: number; height: number } {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    fail(`${source}: not a readable JPEG (no start-of-image marker)`);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff)
      fail(`${source}: not a readable JPEG (a segment does not start with a marker at byte ${at})`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    if (isFrameMarker(marker)) {
      if (at + 9 > bytes.length) break;
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      if (width === 0 || height === 0) fail(`${source}: not a readable JPEG (it declares ${width}×${height} pixels)`);
      return { width, height };
    }
    if (marker === 0xd9 || marker === 0xda || length < 2) break; // end of image / scan data before any frame
    at += 2 + length;
  }
  return fail(`${source}: not a readable JPEG (no frame header)`);
}

/** Decode a JPEG into a float CHW image in [0, 1] (1 channel: gray by rgbToGray; 3: RGB). */
export function decodeJpeg(
  bytes: Uint8Array,
  options: PngSizeLimits & { channels?: 1 | 3; source?: string } = {},
): FloatImage {
  const source = options.source ?? 'JPEG';
  const size = readJpegSize(bytes, source);
  checkPngSize(size, options, source, 'JPEG');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PNG_PIXELS;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 16) / 2 ** 20),
    });
  } catch (e) {
    return fail(`${source}: not a readable JPEG: ${String((e as Error).message ?? e).split('\n')[0]}`);
  }
  const { width, height } = img;
  const channels = options.channels ?? 3;
  const plane = width * height;
  const data = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    const [r, g, b] = [img.data[p * 3]! / 255, img.data[p * 3 + 1]! / 255, img.data[p * 3 + 2]! / 255];
    if (channels === 1) data[p] = rgbToGray(r, g, b);
    else [data[p], data[plane + p], data[2 * plane + p]] = [r, g, b];
  }
  return { width, height, channels, data };
}
