/**
 * What a PNG may cost to decode, checked before decoding: the size its IHDR header declares (a few
 * hundred KB of PNG can declare 20 000 × 20 000 pixels) and how much its compressed pixel data
 * inflates to (a 0.5 MB IDAT can inflate to 500 MB whatever size the header declares).
 */
import { Unzlib } from 'fflate';
import { fail, PathlightError } from '../errors.js';

export interface PngHeader {
  width: number;
  height: number;
  /** bits per sample (palette images: bits per index) */
  depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA */
  colourType: number;
}

/** Default cap on width × height of a decoded PNG (4096 × 4096); `maxPixels` raises or lowers it. */
export const DEFAULT_MAX_PNG_PIXELS = 4096 * 4096;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The IHDR of `bytes` (which must start with the PNG signature and an IHDR chunk), or a PathlightError naming `source`. */
export function readPngHeader(bytes: Uint8Array, source: string): PngHeader {
  if (bytes.length < 33 || SIGNATURE.some((b, i) => bytes[i] !== b))
    fail(`${source}: not a readable PNG (no PNG signature and header)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR')
    fail(`${source}: not a readable PNG (its first chunk is not a 13-byte IHDR)`);
  const header = { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24]!, colourType: bytes[25]! };
  if (header.width === 0 || header.height === 0)
    fail(`${source}: not a readable PNG (it declares ${header.width}×${header.height} pixels)`);
  return header;
}

export interface PngSizeLimits {
  /** most pixels (width × height) accepted; default DEFAULT_MAX_PNG_PIXELS */
  maxPixels?: number;
  /** when given, the only sizes accepted (e.g. the model's input size) */
  expectedSizes?: readonly { width: number; height: number }[];
}

/** Refuse a declared size above the pixel cap or outside the expected sizes (of a PNG, or of a JPEG: `kind`). */
export function checkPngSize(
  header: Pick<PngHeader, 'width' | 'height'>,
  limits: PngSizeLimits,
  source: string,
  kind = 'PNG',
): void {
  const { width, height } = header;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PNG_PIXELS;
  const expected = limits.expectedSizes;
  if (expected && expected.length > 0 && !expected.some((s) => s.width === width && s.height === height)) {
    fail(
      `${source}: the ${kind} is ${width}×${height} pixels, expected ${expected.map((s) => `${s.width}×${s.height}`).join(' or ')}`,
    );
  }
  if (width * height > maxPixels)
    fail(`${source}: the ${kind} declares ${width}×${height} pixels, more than the limit of ${maxPixels} (maxPixels)`);
}

/** Samples per pixel of each PNG colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Most bytes the image data can inflate to: per row a filter byte and the packed samples, plus
 * Adam7's extra filter bytes and per-pass row rounding (at most 7 passes × 2 bytes a row).
 */
function maxInflatedBytes(h: PngHeader): number {
  const channels = CHANNELS[h.colourType] ?? 4;
  const rowBytes = Math.ceil((h.width * channels * h.depth) / 8);
  return h.height * (1 + rowBytes) + 14 * (h.height + 8);
}

/** The IDAT chunks' data, in order (chunk lengths checked against the file). */
function* idatChunks(bytes: Uint8Array, source: string): Generator<Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const end = at + 8 + length;
    if (end + 4 > bytes.length) fail(`${source}: not a readable PNG (its ${type} chunk runs past the end of the file)`);
    if (type === 'IDAT') yield bytes.subarray(at + 8, end);
    if (type === 'IEND') return;
    at = end + 4;
  }
}

/**
 * Inflate the image data in small slices, counting the output and stopping as soon as it exceeds
 * what the declared size needs (each slice inflates to at most ~1 MB, so memory stays bounded).
 */
export function checkInflatedSize(bytes: Uint8Array, header: PngHeader, source: string): void {
  const limit = maxInflatedBytes(header);
  let total = 0;
  const inflate = new Unzlib((data) => {
    total += data.length;
    if (total > limit)
      fail(
        `${source}: the PNG's pixel data inflates to more than the ${header.width}×${header.height} pixels it declares (over ${limit} bytes)`,
      );
  });
  const SLICE = 1024;
  try {
    for (const data of idatChunks(bytes, source))
      for (let i = 0; i < data.length; i += SLICE) inflate.push(data.subarray(i, i + SLICE));
  } catch (e) {
    if (e instanceof PathlightError) throw e;
    fail(
      `${source}: not a readable PNG: its pixel data does not inflate (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}
