/**
 * The TF.js graph-model format (`model.json` + weight shards, what `tensorflowjs_converter`
 * writes): its JSON types, node attribute accessors, and the weights' decoding — float32, int32,
 * float16 and the converter's affine-quantised uint8 / uint16 (value = q · scale + min), all to
 * float32. The shards are one byte stream in manifest order (groups, then paths), each weight's
 * bytes following the previous one's. Environment-free.
 */
import { PathlightError } from '../../errors.js';
import { elementCount, float32FromLE } from '../binary.js';
import { halfToFloat } from '../half.js';
import { ModelBytes } from '../model-bytes.js';

export interface TfjsAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  tensor?: unknown;
}

export interface TfjsNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfjsAttr>;
}

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: { node: TfjsNode[]; versions?: { producer?: number }; library?: unknown };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  signature?: TfjsSignature;
  userDefinedMetadata?: { signature?: TfjsSignature } & Record<string, unknown>;
}

export interface TfjsSignature {
  inputs?: Record<string, { name?: string }>;
  outputs?: Record<string, { name?: string }>;
}

/** A decoded weight: float32 values (integer tensors such as shapes and axes are exact in float32). */
export interface TfjsTensor {
  shape: number[];
  data: Float32Array;
}

/** The message of every format error, prefixed by the file it came from. */
export class TfjsError extends PathlightError {
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
  }
}

const decodeBase64 = (s: string): string => {
  try {
    return atob(s);
  } catch {
    return s;
  }
};

/** Typed views of a node's attributes (the JSON stores strings base64-encoded, ints as strings). */
export const attr = {
  string: (n: TfjsNode, key: string, fallback: string): string => {
    const s = n.attr?.[key]?.s;
    return s === undefined ? fallback : decodeBase64(s);
  },
  strings: (n: TfjsNode, key: string): string[] => (n.attr?.[key]?.list?.s ?? []).map(decodeBase64),
  ints: (n: TfjsNode, key: string, fallback: number[]): number[] => {
    const l = n.attr?.[key]?.list?.i;
    return l && l.length > 0 ? l.map(Number) : fallback;
  },
  int: (n: TfjsNode, key: string, fallback: number): number =>
    n.attr?.[key]?.i !== undefined ? Number(n.attr[key]!.i) : fallback,
  float: (n: TfjsNode, key: string, fallback: number): number => n.attr?.[key]?.f ?? fallback,
  bool: (n: TfjsNode, key: string, fallback: boolean): boolean => n.attr?.[key]?.b ?? fallback,
};

const BYTES: Record<string, number> = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2, bool: 1 };

/** `count` values of the stored dtype at `offset`, as float32 (dequantised when quantised). */
function decodeValues(
  bytes: Uint8Array,
  offset: number,
  count: number,
  w: TfjsWeightSpec,
  where: string,
): Float32Array {
  const q = w.quantization;
  const stored = q?.dtype ?? w.dtype;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES[stored]!);
  const out = new Float32Array(count);
  if (q && (stored === 'uint8' || stored === 'uint16')) {
    const { scale, min } = q;
    if (typeof scale !== 'number' || typeof min !== 'number' || !Number.isFinite(scale) || !Number.isFinite(min))
      throw new PathlightError(`${where}: ${stored} quantisation needs a finite scale and min`);
    for (let i = 0; i < count; i++)
      out[i] = (stored === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true)) * scale + min;
    return out;
  }
  if (stored === 'float32') return float32FromLE(bytes, offset, count);
  if (stored === 'float16') for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  else if (stored === 'int32') for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
  else if (stored === 'bool') for (let i = 0; i < count; i++) out[i] = view.getUint8(i) ? 1 : 0;
  return out;
}

/**
 * Every weight of the manifest, decoded from the shards' concatenated bytes; each one and their
 * total (as float32) bounded by `limit` before it is allocated.
 */
export function readTfjsWeights(
  json: TfjsModelJson,
  bytes: Uint8Array,
  source: string,
  limit = new ModelBytes(),
): Map<string, TfjsTensor> {
  const weights = new Map<string, TfjsTensor>();
  let offset = 0;
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const where = `weight "${w.name}"`;
    const stored = w.quantization?.dtype ?? w.dtype;
    // an own key only: "constructor" or "toString" are dtypes of no one
    if (typeof stored !== 'string' || !Object.hasOwn(BYTES, stored))
      throw new TfjsError(
        source,
        `${where} has dtype ${stored}; supported: float32, int32, float16, uint8 and uint16 quantisation, bool`,
      );
    if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new TfjsError(source, `${where} has shape ${JSON.stringify(w.shape)}`);
    const count = elementCount(w.shape);
    const size = count * BYTES[stored]!;
    if (offset + size > bytes.length)
      throw new TfjsError(
        source,
        `the weight shards hold ${bytes.length} bytes; ${where} needs bytes ${offset}–${offset + size} (a shard missing or truncated?)`,
      );
    try {
      limit.reserve(w.shape, 4);
      weights.set(w.name, { shape: w.shape, data: decodeValues(bytes, offset, count, w, where) });
    } catch (e) {
      throw e instanceof TfjsError
        ? e
        : new TfjsError(source, `${(e as Error).message.startsWith(where) ? '' : `${where}: `}${(e as Error).message}`);
    }
    offset += size;
  }
  if (offset !== bytes.length)
    throw new TfjsError(source, `the weight shards hold ${bytes.length} bytes, the manifest describes ${offset}`);
  return weights;
}

/** The shards as one byte stream (in manifest order). */
export function concatShards(shards: readonly Uint8Array[]): Uint8Array {
  if (shards.length === 1) return shards[0]!;
  const out = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of shards) out.set(s, (at += s.length) - s.length);
  return out;
}

/** The shard file names, in the order their bytes follow each other. */
export function shardPaths(json: TfjsModelJson): string[] {
  return json.weightsManifest.flatMap((g) => g.paths);
}
