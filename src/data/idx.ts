/**
 * IDX parser (the MNIST / Fashion-MNIST file format): a big-endian magic `0x0000 TT DD`
 * (TT = element type, 0x08 = unsigned byte; DD = number of dimensions), DD big-endian uint32
 * dimension sizes, then the elements. Environment-free: gzip'd files must be inflated by the
 * caller first (`datasets.ts` does it with zlib in Node).
 */
import { PathlightError } from '../errors.js';

export const IDX_LABELS_MAGIC = 0x801; // uint8, 1-D
export const IDX_IMAGES_MAGIC = 0x803; // uint8, 3-D

export interface IdxDataset {
  /** N×1×H×W, pixel values scaled to [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The dimensions and raw uint8 elements of an IDX file whose magic must be `expectedMagic`. */
export function parseIdx(
  bytes: Uint8Array,
  expectedMagic: number,
  source = 'idx',
): { dims: number[]; data: Uint8Array } {
  const fail = (message: string): never => {
    throw new PathlightError(`${source}: ${message}`);
  };
  if (isGzip(bytes)) fail('is gzip-compressed; inflate it before parsing (zlib.gunzipSync in Node)');
  if (bytes.length < 4) fail(`is ${bytes.length} bytes, too short for an IDX magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    fail(`magic 0x${magic.toString(16).padStart(8, '0')} is not 0x${expectedMagic.toString(16).padStart(8, '0')}`);
  }
  const rank = magic & 0xff;
  const dataStart = 4 + 4 * rank;
  if (bytes.length < dataStart) fail(`is ${bytes.length} bytes, too short for ${rank} dimension sizes`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - dataStart !== count) {
    fail(
      `holds ${bytes.length - dataStart} data bytes, but dimensions [${dims.join(', ')}] need ${count}; truncated or corrupt`,
    );
  }
  return { dims, data: bytes.subarray(dataStart) };
}

/** Labels file (magic 0x801). */
export function parseIdxLabels(bytes: Uint8Array, source = 'labels idx'): Uint8Array {
  return parseIdx(bytes, IDX_LABELS_MAGIC, source).data.slice();
}

/** Images file (magic 0x803) as N×1×H×W float32 in [0, 1]. */
export function parseIdxImages(bytes: Uint8Array, source = 'images idx'): Omit<IdxDataset, 'labels'> {
  const { dims, data } = parseIdx(bytes, IDX_IMAGES_MAGIC, source);
  const [count, height, width] = dims;
  const images = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) images[i] = data[i] / 255;
  return { images, count, height, width };
}

/** An images file and its labels file, checked to describe the same number of examples. */
export function parseIdxDataset(imageBytes: Uint8Array, labelBytes: Uint8Array, source = 'idx'): IdxDataset {
  const images = parseIdxImages(imageBytes, `${source} images`);
  const labels = parseIdxLabels(labelBytes, `${source} labels`);
  if (labels.length !== images.count) {
    throw new PathlightError(`${source}: ${images.count} images but ${labels.length} labels`);
  }
  return { ...images, labels };
}
