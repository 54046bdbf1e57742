/**
 * Little-endian number decoding shared by the weight readers (safetensors, npy, ONNX raw_data).
 * File slices are rarely 4/8-byte aligned, so values are copied into fresh aligned buffers
 * instead of being viewed in place.
 */

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` little-endian float32 values starting at `offset`. */
export function float32FromLE(bytes: Uint8Array, offset: number, count: number): Float32Array {
  // Uint8Array.prototype.slice copies even for a Node Buffer (whose own slice() is a view into shared memory)
  if (HOST_IS_LITTLE_ENDIAN)
    return new Float32Array(Uint8Array.prototype.slice.call(bytes, offset, offset + count * 4).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** `count` little-endian float64 values starting at `offset`, narrowed to float32. */
export function float32FromFloat64LE(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** `count` little-endian uint16 values starting at `offset` (raw float16 / bfloat16 bits). */
export function uint16FromLE(bytes: Uint8Array, offset: number, count: number): Uint16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 2);
  const out = new Uint16Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/** Bytes of `data` in little-endian order (what every file format here stores). */
export function float32ToLE(data: Float32Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN)
    return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return out;
}

/** Number of elements of a tensor with this shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** True when `shape` is a list of non-negative safe integers. */
export function isValidShape(shape: unknown): shape is number[] {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}
