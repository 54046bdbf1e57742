/**
 * `.safetensors` reader/writer: an 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }`, then the raw
 * little-endian tensor bytes (offsets are relative to the end of the header).
 * Environment-free: takes and returns bytes, never touches the file system.
 */
import { PathlightError } from '../errors.js';
import {
  elementCount,
  float32FromFloat64LE,
  float32FromLE,
  float32ToLE,
  isValidShape,
  uint16FromLE,
} from './binary.js';
import { bfloat16ToFloat, floatToHalf, halfToFloat } from './half.js';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
}

export type SafetensorsWriteDtype = 'F32' | 'F16';

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const METADATA_KEY = '__metadata__';
// The reference implementation refuses headers over 100 MB; a bigger one means a corrupt length.
const MAX_HEADER_BYTES = 100_000_000;

function fail(message: string): never {
  throw new PathlightError(`safetensors: ${message}`);
}

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(bytes: Uint8Array): {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  dataStart: number;
} {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(
      `header length ${headerLength} runs past the end of the file (${bytes.length - 8} bytes after the length field); truncated or not a safetensors file`,
    );
  }
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  const dataStart = 8 + Number(headerLength);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    fail(`header (bytes 8..${dataStart}) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header JSON is not an object');

  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof value !== 'object' || value === null) fail(`${METADATA_KEY} is not an object`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`${METADATA_KEY}.${k} is ${typeof v}, expected a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, value));
  }
  return { entries, metadata, dataStart };
}

function parseEntry(name: string, value: unknown): HeaderEntry {
  const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
  if (typeof info !== 'object' || info === null) fail(`tensor "${name}": header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string') fail(`tensor "${name}": missing dtype`);
  if (!Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
    // own keys: 'constructor' is no dtype
    fail(`tensor "${name}": unsupported dtype ${dtype} (supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')})`);
  }
  if (!isValidShape(shape))
    fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
  const expected = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) {
    fail(
      `tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes, but ${dtype} shape [${shape.join(', ')}] needs ${expected}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function checkLayout(entries: HeaderEntry[], dataLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let furthest: HeaderEntry | undefined; // the tensor reaching furthest so far
  for (const t of sorted) {
    if (t.end > dataLength) {
      fail(
        `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] run past the data section (${dataLength} bytes); file truncated?`,
      );
    }
    if (t.end === t.begin) continue; // empty tensors occupy no bytes
    if (furthest && t.begin < furthest.end) {
      fail(
        `tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] overlap tensor "${furthest.name}" [${furthest.begin}, ${furthest.end}]`,
      );
    }
    if (!furthest || t.end > furthest.end) furthest = t;
  }
}

function decodeTensor(bytes: Uint8Array, offset: number, entry: HeaderEntry): Float32Array {
  const count = elementCount(entry.shape);
  switch (entry.dtype) {
    case 'F32':
      return float32FromLE(bytes, offset, count);
    case 'F64':
      return float32FromFloat64LE(bytes, offset, count);
    case 'F16':
      return Float32Array.from(uint16FromLE(bytes, offset, count), halfToFloat);
    case 'BF16':
      return Float32Array.from(uint16FromLE(bytes, offset, count), bfloat16ToFloat);
    default:
      return fail(`tensor "${entry.name}": unsupported dtype ${entry.dtype}`);
  }
}

/** Parse a `.safetensors` file; every tensor comes back as float32 (F16/BF16/F64 are converted). */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  const { entries, metadata, dataStart } = parseHeader(bytes);
  checkLayout(entries, bytes.length - dataStart);
  const tensors = new Map<string, NamedTensor>();
  for (const entry of entries) {
    tensors.set(entry.name, { shape: entry.shape, data: decodeTensor(bytes, dataStart + entry.begin, entry) });
  }
  return { tensors, metadata };
}

function encodeTensor(data: Float32Array, dtype: SafetensorsWriteDtype): Uint8Array {
  if (dtype === 'F32') return float32ToLE(data);
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint16(i * 2, floatToHalf(data[i]), true);
  return out;
}

/**
 * Serialise tensors (in iteration order) to `.safetensors` bytes, stored as `dtype` (F32 by default;
 * F16 halves the size at ~3 significant digits). The header is space-padded to 8 bytes so the data
 * section starts aligned, as the reference implementation does.
 */
export function writeSafetensors(
  tensors: Map<string, NamedTensor> | Record<string, NamedTensor>,
  metadata: Record<string, string> = {},
  dtype: SafetensorsWriteDtype = 'F32',
): Uint8Array {
  if (dtype !== 'F32' && dtype !== 'F16') fail(`cannot write dtype ${dtype as string} (supported: F32, F16)`);
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') fail(`metadata "${k}" is ${typeof v}, safetensors metadata values must be strings`);
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;

  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of list) {
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (!isValidShape(shape))
      fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    if (!(data instanceof Float32Array)) fail(`tensor "${name}": data must be a Float32Array`);
    if (data.length !== elementCount(shape)) {
      fail(
        `tensor "${name}": ${data.length} values do not fill shape [${shape.join(', ')}] (${elementCount(shape)} elements)`,
      );
    }
    const encoded = encodeTensor(data, dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + encoded.length] };
    chunks.push(encoded);
    offset += encoded.length;
  }

  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
