/**
 * ONNX TensorProto → values. Floats stay float32 (what the GPU runs); integers and booleans are
 * kept as float64 so shape plumbing (Slice's INT64_MAX ends, Reshape's -1) survives exactly.
 * Weights in a separate file (external data) come through a caller-given resolver, so this
 * module stays environment-free. Also reads a bare `.pb` TensorProto (ONNX's test data).
 */
import { PathlightError } from '../../errors.js';
import { elementCount, float32FromLE, uint16FromLE } from '../binary.js';
import { halfToFloat } from '../half.js';
import { onnxRoot, TO_OBJECT_OPTIONS, type TensorProtoMessage } from './schema.js';

export type OnnxDtype = 'float' | 'int' | 'bool';

export interface OnnxTensor {
  shape: number[];
  /** float32 for floating tensors; float64 (exact integers, 0/1 for BOOL) otherwise */
  data: Float32Array | Float64Array;
  dtype: OnnxDtype;
}

/** Reads the bytes of an external-data file named by its `location` (relative to the model). */
export type ExternalDataResolver = (location: string) => Uint8Array;

// TensorProto.DataType values.
export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;
export const DT_NAMES = [
  'UNDEFINED',
  'FLOAT',
  'UINT8',
  'INT8',
  'UINT16',
  'INT16',
  'INT32',
  'INT64',
  'STRING',
  'BOOL',
  'FLOAT16',
  'DOUBLE',
  'UINT32',
  'UINT64',
  'COMPLEX64',
  'COMPLEX128',
  'BFLOAT16',
];

/** Element types an activation may have: fed to the GPU as float32 (integers only where exact). */
export const NUMERIC_TYPES: ReadonlySet<number> = new Set([
  DT.FLOAT,
  DT.UINT8,
  DT.INT8,
  DT.UINT16,
  DT.INT16,
  DT.INT32,
  DT.INT64,
  DT.BOOL,
  DT.FLOAT16,
  DT.DOUBLE,
  DT.UINT32,
  DT.UINT64,
]);

export const dtypeName = (t: number): string => DT_NAMES[t] ?? String(t);

/** The error class of every ONNX problem: one line, prefixed by the model's source. */
export class OnnxError extends PathlightError {
  constructor(source: string, message: string) {
    super(`ONNX ${source}: ${message}`);
    this.name = 'OnnxError';
  }
}

function view(raw: Uint8Array): DataView {
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** Integer/boolean raw_data of `itemSize`-byte elements as float64 values. */
function intsFromLE(raw: Uint8Array, count: number, type: number): Float64Array {
  const v = view(raw);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case DT.INT64:
        out[i] = Number(v.getBigInt64(i * 8, true));
        break;
      case DT.UINT64:
        out[i] = Number(v.getBigUint64(i * 8, true));
        break;
      case DT.INT32:
        out[i] = v.getInt32(i * 4, true);
        break;
      case DT.UINT32:
        out[i] = v.getUint32(i * 4, true);
        break;
      case DT.INT16:
        out[i] = v.getInt16(i * 2, true);
        break;
      case DT.UINT16:
        out[i] = v.getUint16(i * 2, true);
        break;
      case DT.INT8:
        out[i] = v.getInt8(i);
        break;
      default:
        out[i] = v.getUint8(i); // UINT8, BOOL
    }
  }
  return out;
}

const ITEM_SIZE: Record<number, number> = {
  [DT.FLOAT]: 4,
  [DT.DOUBLE]: 8,
  [DT.FLOAT16]: 2,
  [DT.INT64]: 8,
  [DT.UINT64]: 8,
  [DT.INT32]: 4,
  [DT.UINT32]: 4,
  [DT.INT16]: 2,
  [DT.UINT16]: 2,
  [DT.INT8]: 1,
  [DT.UINT8]: 1,
  [DT.BOOL]: 1,
};

/** The bytes an external-data tensor points at (`location`, `offset`, `length` entries). */
function externalBytes(t: TensorProtoMessage, fail: (m: string) => never, resolve?: ExternalDataResolver): Uint8Array {
  const entry = new Map(t.external_data.map((e) => [e.key, e.value]));
  const location = entry.get('location');
  if (!location) return fail('uses external data without a location');
  if (!resolve)
    return fail(
      `uses external data ("${location}"), but no external-data reader was given (load the model from a file, or pass externalData)`,
    );
  const file = resolve(location);
  const offset = Number(entry.get('offset') ?? 0);
  const length = entry.has('length') ? Number(entry.get('length')) : file.length - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= file.length))
    fail(`external data "${location}" holds ${file.length} bytes, the tensor needs bytes ${offset}–${offset + length}`);
  return file.subarray(offset, offset + length);
}

/**
 * TensorProto → values, from typed fields, raw_data or external data. `what` names it in errors;
 * `reserve` counts the values against the load-time limit before they are allocated.
 */
export function decodeTensor(
  t: TensorProtoMessage,
  what: string,
  source: string,
  resolve?: ExternalDataResolver,
  reserve?: (shape: number[], bytesPerElement: number) => void,
): OnnxTensor {
  const fail = (message: string): never => {
    throw new OnnxError(source, `${what}: ${message}`);
  };
  const shape = t.dims.map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`has invalid dims [${shape.join(', ')}]`);
  const count = elementCount(shape);
  const type = t.data_type;
  const itemSize = Object.hasOwn(ITEM_SIZE, type) ? ITEM_SIZE[type] : undefined;
  if (itemSize === undefined)
    return fail(
      `data type ${dtypeName(type)} is not supported (FLOAT, DOUBLE, FLOAT16 and the integer and BOOL types are)`,
    );
  const rawSource = t.data_location === 1 ? externalBytes(t, fail, resolve) : t.raw_data;
  const hasRaw = rawSource.length > 0 || (count === 0 && t.data_location === 1);
  const raw = (): Uint8Array => {
    if (rawSource.length !== count * itemSize)
      fail(`raw_data is ${rawSource.length} bytes, expected ${count} × ${itemSize} = ${count * itemSize}`);
    return rawSource;
  };
  const field = <T extends ArrayLike<number>>(values: T, name: string): T => {
    if (values.length !== count)
      fail(`${name} holds ${values.length} values, but dims [${shape.join(', ')}] need ${count}`);
    return values;
  };
  const dtype: OnnxDtype =
    type === DT.BOOL ? 'bool' : type === DT.FLOAT || type === DT.DOUBLE || type === DT.FLOAT16 ? 'float' : 'int';
  try {
    reserve?.(shape, dtype === 'float' ? 4 : 8);
  } catch (e) {
    return fail((e as Error).message);
  }
  const done = (data: Float32Array | Float64Array): OnnxTensor => ({ shape, data, dtype });
  switch (type) {
    case DT.FLOAT:
      return done(hasRaw ? float32FromLE(raw(), 0, count) : Float32Array.from(field(t.float_data, 'float_data')));
    case DT.DOUBLE: {
      const values = hasRaw
        ? Float64Array.from({ length: count }, (_, i) => view(raw()).getFloat64(i * 8, true))
        : Float64Array.from(field(t.double_data, 'double_data'));
      return done(exactFloat32(values, fail));
    }
    case DT.FLOAT16: // without raw_data, float16 bit patterns live in int32_data
      return done(
        Float32Array.from(hasRaw ? uint16FromLE(raw(), 0, count) : field(t.int32_data, 'int32_data'), halfToFloat),
      );
    case DT.INT64:
      return done(hasRaw ? intsFromLE(raw(), count, type) : Float64Array.from(field(t.int64_data, 'int64_data')));
    case DT.UINT64:
      return done(hasRaw ? intsFromLE(raw(), count, type) : Float64Array.from(field(t.uint64_data, 'uint64_data')));
    default: // the narrower integers and BOOL live in int32_data
      return done(hasRaw ? intsFromLE(raw(), count, type) : Float64Array.from(field(t.int32_data, 'int32_data')));
  }
}

/** float64 values narrowed to float32, refused (naming the value) where that would change them beyond rounding. */
function exactFloat32(values: Float64Array, fail: (m: string) => never): Float32Array {
  const out = Float32Array.from(values);
  out.forEach((v, i) => {
    if (!Number.isFinite(v) && Number.isFinite(values[i]!)) fail(`value ${values[i]} does not fit float32`);
  });
  return out;
}

/** A tensor's values as float32 (what a parameter or an input holds), refused with the value where not exact. */
export function asFloat32(t: OnnxTensor, what: string, source: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  const out = Float32Array.from(t.data);
  out.forEach((v, i) => {
    if (v !== t.data[i] && !Number.isNaN(v))
      throw new OnnxError(source, `${what}: value ${t.data[i]} is not exact as float32`);
  });
  return out;
}

const TensorProto = onnxRoot.lookupType('onnx.TensorProto');

/** A serialized TensorProto (ONNX's `input_0.pb` / `output_0.pb` test data). */
export function readTensorProto(bytes: Uint8Array, source = 'tensor'): OnnxTensor & { name: string } {
  let message: TensorProtoMessage;
  try {
    message = TensorProto.toObject(
      TensorProto.decode(bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes)),
      TO_OBJECT_OPTIONS,
    ) as TensorProtoMessage;
  } catch (e) {
    throw new OnnxError(source, `not a valid TensorProto: ${(e as Error).message}`);
  }
  return { ...decodeTensor(message, 'tensor', source), name: message.name };
}
