/**
 * PNG ⇄ float CHW images, environment-free (fast-png is pure JS), so the CLI, the tests and the
 * browser demo decode inputs the same way.
 */
import { convertIndexedToRgb, decode, encode, type DecodedPng } from 'fast-png';
import { PathlightError } from '../gpu/errors.js';

export interface FloatImage {
  width: number;
  height: number;
  channels: 1 | 3;
  /** channels×height×width (C order), values in [0, 1]. */
  data: Float32Array;
}

function decodeOrFail(bytes: Uint8Array, source: string): DecodedPng {
  try {
    return decode(bytes);
  } catch (e) {
    throw new PathlightError(`${source}: not a readable PNG: ${(e as Error).message}`);
  }
}

/** Unpacked samples (one number per channel per pixel), their channel count and full-scale value. */
function samplesOf(png: DecodedPng, source: string): { samples: ArrayLike<number>; channels: number; max: number } {
  if (png.palette) return { samples: convertIndexedToRgb(png), channels: png.palette[0]?.length ?? 3, max: 255 };
  if (png.depth !== 8 && png.depth !== 16) {
    throw new PathlightError(`${source}: ${png.depth}-bit PNGs are not supported (use 8 or 16 bits per sample)`);
  }
  return { samples: png.data, channels: png.channels, max: png.depth === 16 ? 65535 : 255 };
}

/**
 * Decode a PNG into a float CHW image with `channels` channels (default: 1 for gray input,
 * 3 for colour). Alpha is dropped; colour→gray uses BT.601 luma, gray→colour replicates.
 */
export function decodePng(bytes: Uint8Array, options: { channels?: 1 | 3; source?: string } = {}): FloatImage {
  const source = options.source ?? 'PNG';
  const png = decodeOrFail(bytes, source);
  const { samples, channels: inChannels, max } = samplesOf(png, source);
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
      data[p] = colourIn ? 0.299 * r + 0.587 * g + 0.114 * b : r;
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
