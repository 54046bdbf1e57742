/**
 * Decodes an `.onnx` file into a small, validated IR: graph inputs/outputs with shapes, nodes
 * with plain attribute values, and float32 initializers (Constant nodes folded in). Only the op
 * set the zoo's layers cover is accepted, so anything else fails here, by name, rather than
 * later inside the graph builder. Mapping the IR onto the model graph happens elsewhere.
 * Environment-free: bytes in, IR out.
 */
import { PathlightError } from '../errors.js';
import { elementCount, float32FromFloat64LE, float32FromLE, uint16FromLE } from './binary.js';
import { halfToFloat } from './half.js';
import {
  ModelProto,
  TO_OBJECT_OPTIONS,
  type AttributeProtoMessage,
  type GraphProtoMessage,
  type ModelProtoMessage,
  type NodeProtoMessage,
  type TensorProtoMessage,
  type ValueInfoProtoMessage,
} from './onnx-schema.js';

export type OnnxAttribute = number | number[] | string | Float32Array;

export interface OnnxTensor {
  shape: number[];
  /** Values as float32; integer tensors (Reshape shapes, …) hold exact integers (checked < 2^24). */
  data: Float32Array;
  dtype: 'float' | 'int';
}

export interface OnnxValueInfo {
  name: string;
  /** Symbolic or unknown dimensions (e.g. a named batch size) are -1. */
  shape: number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxModel {
  opset: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
}

export const SUPPORTED_OPSET = { min: 11, max: 17 } as const;

export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  'Conv', 'Gemm', 'MatMul', 'Relu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization',
  'Add', 'Flatten', 'Reshape', 'Softmax', 'Identity', 'Constant',
]);

// TensorProto.DataType and AttributeProto.AttributeType values used below.
const DT = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11 } as const;
const DT_NAMES = ['UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL',
  'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16'];
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const AT_NAMES = ['UNDEFINED', 'FLOAT', 'INT', 'STRING', 'TENSOR', 'GRAPH', 'FLOATS', 'INTS', 'STRINGS', 'TENSORS',
  'GRAPHS', 'SPARSE_TENSOR', 'SPARSE_TENSORS', 'TYPE_PROTO', 'TYPE_PROTOS'];
const EXACT_INT_LIMIT = 2 ** 24; // largest range of integers float32 holds exactly
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export class OnnxError extends PathlightError {
  constructor(source: string, message: string) {
    super(`ONNX ${source}: ${message}`);
    this.name = 'OnnxError';
  }
}

const utf8 = new TextDecoder();

function nodeLabel(node: NodeProtoMessage, index: number): string {
  const name = node.name ? `"${node.name}"` : `#${index}`;
  return `node ${name} (${node.op_type || '<no op_type>'}${node.output[0] ? ` → ${node.output[0]}` : ''})`;
}

function int64FromLE(raw: Uint8Array, count: number): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

function int32FromLE(raw: Uint8Array, count: number): number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
}

/** TensorProto → float32 tensor (FLOAT, DOUBLE, FLOAT16, INT32, INT64), from typed fields or raw_data. */
function decodeTensor(t: TensorProtoMessage, what: string, source: string): OnnxTensor {
  const fail = (message: string): never => {
    throw new OnnxError(source, `${what}: ${message}`);
  };
  if (t.data_location === 1) fail('uses external data (a separate weights file), which is not supported; re-export with the weights inside the .onnx');
  const shape = t.dims.map(Number);
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`has invalid dims [${shape.join(', ')}]`);
  const count = elementCount(shape);
  const hasRaw = t.raw_data.length > 0;
  /** raw_data, checked to hold `count` elements of `itemSize` bytes. */
  const raw = (itemSize: number): Uint8Array => {
    if (t.raw_data.length !== count * itemSize) fail(`raw_data is ${t.raw_data.length} bytes, expected ${count} × ${itemSize} = ${count * itemSize}`);
    return t.raw_data;
  };
  /** A typed repeated field, checked to hold `count` values. */
  const field = <T extends ArrayLike<number>>(values: T, name: string): T => {
    if (values.length !== count) fail(`${name} holds ${values.length} values, but dims [${shape.join(', ')}] need ${count}`);
    return values;
  };
  const floats = (data: Float32Array): OnnxTensor => ({ shape, data, dtype: 'float' });
  const ints = (values: number[]): OnnxTensor => {
    const bad = values.find((v) => Math.abs(v) > EXACT_INT_LIMIT);
    if (bad !== undefined) fail(`integer value ${bad} is too large to hold exactly as float32`);
    return { shape, data: Float32Array.from(values), dtype: 'int' };
  };

  switch (t.data_type) {
    case DT.FLOAT:
      return floats(hasRaw ? float32FromLE(raw(4), 0, count) : Float32Array.from(field(t.float_data, 'float_data')));
    case DT.DOUBLE:
      return floats(hasRaw ? float32FromFloat64LE(raw(8), 0, count) : Float32Array.from(field(t.double_data, 'double_data')));
    case DT.FLOAT16: // without raw_data, float16 bit patterns live in int32_data
      return floats(Float32Array.from(hasRaw ? uint16FromLE(raw(2), 0, count) : field(t.int32_data, 'int32_data'), halfToFloat));
    case DT.INT64:
      return ints(hasRaw ? int64FromLE(raw(8), count) : field(t.int64_data, 'int64_data'));
    case DT.INT32:
      return ints(hasRaw ? int32FromLE(raw(4), count) : field(t.int32_data, 'int32_data'));
    default:
      return fail(`data type ${DT_NAMES[t.data_type] ?? t.data_type} is not supported (FLOAT, DOUBLE, FLOAT16, INT32, INT64 are)`);
  }
}

function decodeAttribute(a: AttributeProtoMessage, where: string, source: string): OnnxAttribute {
  switch (a.type) {
    case AT.FLOAT:
      return a.f;
    case AT.INT:
      return a.i;
    case AT.STRING:
      return utf8.decode(a.s);
    case AT.FLOATS:
      return [...a.floats];
    case AT.INTS:
      return [...a.ints];
    case AT.TENSOR:
      if (!a.t) throw new OnnxError(source, `${where}: attribute "${a.name}" is a TENSOR without a tensor`);
      return decodeTensor(a.t, `${where} attribute "${a.name}"`, source).data;
    default:
      throw new OnnxError(source, `${where}: attribute "${a.name}" has type ${AT_NAMES[a.type] ?? a.type}, which is not supported`);
  }
}

/** The tensor a Constant node produces (its single `value*` attribute). */
function constantValue(node: NodeProtoMessage, where: string, source: string): OnnxTensor {
  if (node.attribute.length !== 1) throw new OnnxError(source, `${where}: a Constant needs exactly one value attribute, has ${node.attribute.length}`);
  const a = node.attribute[0];
  switch (a.name) {
    case 'value':
      if (!a.t) throw new OnnxError(source, `${where}: attribute "value" holds no tensor`);
      return decodeTensor(a.t, where, source);
    case 'value_float':
      return { shape: [], data: Float32Array.of(a.f), dtype: 'float' };
    case 'value_floats':
      return { shape: [a.floats.length], data: Float32Array.from(a.floats), dtype: 'float' };
    case 'value_int':
      return { shape: [], data: Float32Array.of(a.i), dtype: 'int' };
    case 'value_ints':
      return { shape: [a.ints.length], data: Float32Array.from(a.ints), dtype: 'int' };
    default:
      throw new OnnxError(source, `${where}: Constant attribute "${a.name}" is not supported (value, value_float(s), value_int(s) are)`);
  }
}

function valueInfo(v: ValueInfoProtoMessage, what: string, source: string): OnnxValueInfo {
  const tensor = v.type?.tensor_type;
  if (!tensor) throw new OnnxError(source, `${what} "${v.name}" is not a tensor`);
  if (tensor.elem_type !== DT.FLOAT) {
    throw new OnnxError(source, `${what} "${v.name}" has element type ${DT_NAMES[tensor.elem_type] ?? tensor.elem_type}, expected FLOAT`);
  }
  const shape = (tensor.shape?.dim ?? []).map((d) => (d.dim_value != null && d.dim_value > 0 ? d.dim_value : -1));
  return { name: v.name, shape };
}

function decodeModelProto(bytes: Uint8Array, source: string): ModelProtoMessage {
  try {
    return ModelProto.toObject(ModelProto.decode(bytes), TO_OBJECT_OPTIONS) as ModelProtoMessage;
  } catch (e) {
    throw new OnnxError(source, `not a valid ONNX protobuf (${bytes.length} bytes; truncated or corrupt file?): ${(e as Error).message}`);
  }
}

function defaultOpset(model: ModelProtoMessage, source: string): number {
  const entry = model.opset_import.find((o) => DEFAULT_DOMAINS.has(o.domain));
  if (!entry) throw new OnnxError(source, 'declares no opset for the default ONNX domain (empty opset_import); truncated or corrupt file?');
  const opset = entry.version;
  if (opset < SUPPORTED_OPSET.min || opset > SUPPORTED_OPSET.max) {
    throw new OnnxError(source, `opset ${opset} is not supported (supported: ${SUPPORTED_OPSET.min}–${SUPPORTED_OPSET.max}); re-export with opset_version in that range`);
  }
  return opset;
}

/** Every value a node reads must come from a graph input, an initializer or an earlier node. */
function checkDataflow(graph: GraphProtoMessage, known: Set<string>, source: string): void {
  graph.node.forEach((node, index) => {
    for (const input of node.input) {
      if (input !== '' && !known.has(input)) {
        throw new OnnxError(source, `${nodeLabel(node, index)} reads "${input}", which no input, initializer or earlier node provides`);
      }
    }
    for (const output of node.output) {
      if (known.has(output)) throw new OnnxError(source, `${nodeLabel(node, index)} writes "${output}", which is already defined`);
      if (output !== '') known.add(output);
    }
  });
  for (const output of graph.output) {
    if (!known.has(output.name)) throw new OnnxError(source, `graph output "${output.name}" is produced by no node`);
  }
}

/** Decode and validate an ONNX model. `source` (e.g. the file name) prefixes every error. */
export function decodeOnnx(bytes: Uint8Array, source = 'model'): OnnxModel {
  const model = decodeModelProto(bytes, source);
  const graph = model.graph;
  if (!graph || graph.node.length === 0) throw new OnnxError(source, 'holds no graph nodes (empty, truncated or not an ONNX model)');
  const opset = defaultOpset(model, source);

  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer) {
    if (!t.name) throw new OnnxError(source, 'an initializer has no name');
    initializers.set(t.name, decodeTensor(t, `initializer "${t.name}"`, source));
  }
  // Older exporters also list initializers as graph inputs; only the others are real inputs.
  const inputs = graph.input.filter((v) => !initializers.has(v.name)).map((v) => valueInfo(v, 'graph input', source));
  const outputs = graph.output.map((v) => valueInfo(v, 'graph output', source));
  // Unsupported ops are reported before dangling names: they are the more actionable problem.
  const nodes: OnnxNode[] = [];
  graph.node.forEach((node, index) => {
    const where = nodeLabel(node, index);
    if (!DEFAULT_DOMAINS.has(node.domain)) throw new OnnxError(source, `${where} is from operator domain "${node.domain}", which is not supported`);
    if (!SUPPORTED_OPS.has(node.op_type)) {
      throw new OnnxError(source, `${where}: op ${node.op_type} is not supported (supported: ${[...SUPPORTED_OPS].join(', ')})`);
    }
    if (node.op_type === 'Constant') {
      initializers.set(node.output[0], constantValue(node, where, source));
      return;
    }
    const attributes: Record<string, OnnxAttribute> = {};
    for (const a of node.attribute) attributes[a.name] = decodeAttribute(a, where, source);
    nodes.push({ name: node.name || `${node.op_type}_${index}`, opType: node.op_type, inputs: [...node.input], outputs: [...node.output], attributes });
  });
  checkDataflow(graph, new Set([...graph.initializer.map((t) => t.name), ...inputs.map((i) => i.name)]), source);
  return { opset, inputs, outputs, nodes, initializers };
}
