/**
 * NumPy `.npy` reader/writer for float arrays in C order: magic `\x93NUMPY`, version byte pair,
 * header length (uint16 for v1, uint32 for v2/v3), a Python-dict header
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`, then the raw data.
 * Environment-free: bytes in, bytes out.
 */
import { PathlightError } from '../errors.js';
import { elementCount, float32FromFloat64LE, float32FromLE, float32ToLE, isValidShape } from './binary.js';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
// '=' (native) and '|' are treated as little-endian: every platform this runs on is.
const ITEM_SIZE: Record<string, number> = { '<f4': 4, '=f4': 4, '<f8': 8, '=f8': 8 };

function fail(message: string): never {
  throw new PathlightError(`npy: ${message}`);
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataStart: number;
}

function parseHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('missing the \\x93NUMPY magic; not a .npy file');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail(`file is ${bytes.length} bytes, too short for a v${major} header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length)
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes); truncated?`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`header ${JSON.stringify(text.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, ''))); // Python 2 wrote longs as `3L`
  if (!isValidShape(shape)) fail(`shape (${shapeText}) is not a tuple of non-negative integers`);
  return { descr, fortranOrder: fortran === 'True', shape, dataStart };
}

/** Parse a `.npy` file holding float32 or float64 (narrowed to float32) data in C order. */
export function readNpy(bytes: Uint8Array): NpyArray {
  const { descr, fortranOrder, shape, dataStart } = parseHeader(bytes);
  const itemSize = Object.hasOwn(ITEM_SIZE, descr) ? ITEM_SIZE[descr] : undefined; // own keys: 'toString' is no dtype
  if (itemSize === undefined) {
    const hint = descr.startsWith('>') ? ' (big-endian; save with dtype "<f4")' : '';
    fail(`dtype '${descr}' is not supported${hint}; expected '<f4' (float32) or '<f8' (float64)`);
  }
  if (fortranOrder)
    fail(`array of shape (${shape.join(', ')}) is stored in Fortran order; save it with np.ascontiguousarray() first`);
  const count = elementCount(shape);
  const dataBytes = bytes.length - dataStart;
  if (dataBytes !== count * itemSize) {
    fail(
      `data section is ${dataBytes} bytes, but '${descr}' shape (${shape.join(', ')}) needs ${count * itemSize}; truncated or corrupt`,
    );
  }
  const data = itemSize === 4 ? float32FromLE(bytes, dataStart, count) : float32FromFloat64LE(bytes, dataStart, count);
  return { shape, data };
}

/** Serialise a float32 C-order array as `.npy` (v1.0, or v2.0 if the header would not fit). */
export function writeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  if (!isValidShape([...shape])) fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (data.length !== elementCount(shape)) {
    fail(`${data.length} values do not fill shape (${shape.join(', ')}) (${elementCount(shape)} elements)`);
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // NumPy pads the header with spaces and a final '\n' so the data starts 64-byte aligned.
  const major = dict.length + 1 + 10 > 0xffff ? 2 : 1;
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - prefix - 1, ' ') + '\n';

  const body = float32ToLE(data);
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(body, total);
  return out;
}
