/**
 * PNG ⇄ float CHW images, environment-free (fast-png is pure JS), so the CLI, the tests and the
 * browser demo decode inputs the same way.
 */
import { convertIndexedToRgb, decode, encode, type DecodedPng } from 'fast-png';
import { fail, PathlightError } from '../errors.js';
import { rgbToGray } from './gray.js';
import { checkInflatedSize, checkPngSize, readPngHeader, type PngHeader, type PngSizeLimits } from './png-limits.js';

export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** channels×height×width (C order), values in [0, 1]. */
  data: Float32Array;
}

/** fast-png's errors (plain Errors, some TypeErrors on corrupt data) as one-line PathlightErrors naming the file. */
function readable<T>(source: string, what: () => T): T {
  try {
    return what();
  } catch (e) {
    if (e instanceof PathlightError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    if (/index of palette/i.test(message))
      fail(`${source}: a pixel's palette index is out of range of the PNG's palette`);
    fail(`${source}: not a readable PNG: ${message.split('\n')[0]}`);
  }
}

/** Palette images: each index replaced by its colour (alpha, from tRNS, included). */
function paletteSamples(
  png: DecodedPng,
  source: string,
): { samples: ArrayLike<number>; channels: number; max: number } {
  const palette = png.palette;
  if (!palette || palette.length === 0)
    fail(`${source}: not a readable PNG: a palette image without a palette (PLTE chunk)`);
  return { samples: readable(source, () => convertIndexedToRgb(png)), channels: palette[0]!.length, max: 255 };
}

/** Unpacked samples (one number per channel per pixel), their channel count and full-scale value. */
function samplesOf(
  png: DecodedPng,
  header: PngHeader,
  source: string,
): { samples: ArrayLike<number>; channels: number; max: number } {
  if (header.colourType === 3) return paletteSamples(png, source);
  if (png.depth !== 8 && png.depth !== 16) {
    throw new PathlightError(`${source}: ${png.depth}-bit PNGs are not supported (use 8 or 16 bits per sample)`);
  }
  return { samples: png.data, channels: png.channels, max: png.depth === 16 ? 65535 : 255 };
}

export interface DecodePngOptions extends PngSizeLimits {
  /** channels of the result (default: 1 for gray input, 3 for colour) */
  channels?: 1 | 3;
  /** names the file in error messages */
  source?: string;
}

/**
 * Decode a PNG into a float CHW image. The declared size is checked against `maxPixels`
 * (default 4096×4096) and `expectedSizes`, and the pixel data's inflated size against the
 * declared size, before decoding. Alpha is dropped; colour→gray is
 * `rgbToGray` (0.2989 R + 0.587 G + 0.114 B), gray→colour replicates.
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): FloatImage {
  const source = options.source ?? 'PNG';
  const header = readPngHeader(bytes, source);
  checkPngSize(header, options, source);
  checkInflatedSize(bytes, header, source);
  const png = readable(source, () => decode(bytes));
  const { samples, channels: inChannels, max } = samplesOf(png, header, source);
  const colourIn = inChannels >= 3;
  const channels = options.channels ?? (colourIn ? 3 : 1);
  const { width, height } = png;
  const plane = width * height;
  const data = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    const at = p * inChannels;
    const r = samples[at] / max;
    const g = colourIn ? samples[at + 1] / max : r;
    const b = colourIn ? samples[at + 2] / max : r;
    if (channels === 1) {
      data[p] = colourIn ? rgbToGray(r, g, b) : r;
    } else {
      data[p] = r;
      data[plane + p] = g;
      data[2 * plane + p] = b;
    }
  }
  return { width, height, channels, data };
}

/** Encode an H×W float image in [0, 1] (clamped) as an 8-bit grayscale PNG. */
export function encodeGrayPng(pixels: Float32Array, width: number, height: number): Uint8Array {
  if (pixels.length !== width * height) {
    throw new PathlightError(`encodeGrayPng: ${pixels.length} values do not fill ${width}×${height}`);
  }
  const data = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  return encode({ width, height, data, depth: 8, channels: 1 });
}
