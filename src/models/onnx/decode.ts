/**
 * Decodes an `.onnx` file into a small, validated IR: graph inputs/outputs with shapes, nodes
 * with plain attribute values, and initializers (Constant nodes, graph inputs that have an
 * initializer and weights the caller binds folded in). Ops outside the importer's set fail here,
 * by name, rather than later inside the graph builder. Mapping the IR onto the model graph
 * happens elsewhere (import.ts). Environment-free: bytes in, IR out (external weight files
 * come through a resolver).
 */
import {
  ModelProto,
  TO_OBJECT_OPTIONS,
  type AttributeProtoMessage,
  type GraphProtoMessage,
  type ModelProtoMessage,
  type NodeProtoMessage,
  type ValueInfoProtoMessage,
} from './schema.js';
import { ModelBytes } from '../model-bytes.js';
import {
  decodeTensor,
  dtypeName,
  NUMERIC_TYPES,
  OnnxError,
  type ExternalDataResolver,
  type OnnxTensor,
} from './tensor.js';
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxValueInfo } from './ir.js';
import { SUPPORTED_OPS } from './ops/index.js';

export { OnnxError, type OnnxTensor } from './tensor.js';
export type { OnnxAttribute, OnnxModel, OnnxNode, OnnxValueInfo } from './ir.js';

export interface OnnxDecodeOptions {
  /** reads an external-data file (weights stored beside the model) by its location */
  externalData?: ExternalDataResolver;
  /** values bound to graph inputs by name (weights supplied by the caller, or all but one input) */
  constants?: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>;
  /** the load-time limit on each constant tensor and their total, in bytes (default 1 GiB; not explain's memoryBudgetBytes) */
  maxModelBytes?: number;
}

type Reserve = (shape: number[], bytesPerElement: number) => void;

/** Default-domain opsets read. Each op's changes across them are handled where it is imported. */
export const SUPPORTED_OPSET = { min: 1, max: 21 } as const;

/** The op types the importer's table (ops/index.ts) has an entry for. */
export { SUPPORTED_OPS };

// AttributeProto.AttributeType values used below.
const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const AT_NAMES = [
  'UNDEFINED',
  'FLOAT',
  'INT',
  'STRING',
  'TENSOR',
  'GRAPH',
  'FLOATS',
  'INTS',
  'STRINGS',
  'TENSORS',
  'GRAPHS',
  'SPARSE_TENSOR',
  'SPARSE_TENSORS',
  'TYPE_PROTO',
  'TYPE_PROTOS',
];
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

const utf8 = new TextDecoder();

function nodeLabel(node: NodeProtoMessage, index: number): string {
  const name = node.name ? `"${node.name}"` : `#${index}`;
  return `node ${name} (${node.op_type || '<no op_type>'}${node.output[0] ? ` → ${node.output[0]}` : ''})`;
}

function decodeAttribute(a: AttributeProtoMessage, where: string, source: string, reserve: Reserve): OnnxAttribute {
  if (a.ref_attr_name)
    throw new OnnxError(
      source,
      `${where}: attribute "${a.name}" refers to a function attribute, which is not supported`,
    );
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
      return decodeTensor(a.t, `${where} attribute "${a.name}"`, source, undefined, reserve);
    default:
      throw new OnnxError(
        source,
        `${where}: attribute "${a.name}" has type ${AT_NAMES[a.type] ?? a.type}, which is not supported`,
      );
  }
}

/** The tensor a Constant node produces (its single `value*` attribute). */
function constantValue(
  node: NodeProtoMessage,
  where: string,
  source: string,
  reserve: Reserve,
  resolve?: ExternalDataResolver,
): OnnxTensor {
  if (node.attribute.length !== 1)
    throw new OnnxError(source, `${where}: a Constant needs exactly one value attribute, has ${node.attribute.length}`);
  const a = node.attribute[0];
  switch (a.name) {
    case 'value':
      if (!a.t) throw new OnnxError(source, `${where}: attribute "value" holds no tensor`);
      return decodeTensor(a.t, where, source, resolve, reserve);
    case 'value_float':
      return { shape: [], data: Float32Array.of(a.f), dtype: 'float' };
    case 'value_floats':
      return { shape: [a.floats.length], data: Float32Array.from(a.floats), dtype: 'float' };
    case 'value_int':
      return { shape: [], data: Float64Array.of(a.i), dtype: 'int' };
    case 'value_ints':
      return { shape: [a.ints.length], data: Float64Array.from(a.ints), dtype: 'int' };
    default:
      throw new OnnxError(
        source,
        `${where}: Constant attribute "${a.name}" is not supported (value, value_float(s), value_int(s) are)`,
      );
  }
}

function valueInfo(v: ValueInfoProtoMessage, what: string, source: string): OnnxValueInfo {
  const tensor = v.type?.tensor_type;
  if (!tensor) throw new OnnxError(source, `${what} "${v.name}" is not a tensor`);
  if (!NUMERIC_TYPES.has(tensor.elem_type)) {
    throw new OnnxError(
      source,
      `${what} "${v.name}" has element type ${dtypeName(tensor.elem_type)}; numeric tensors are supported`,
    );
  }
  // A dim_value of 0 is a real (empty) size only when no dim_param names it.
  const shape = (tensor.shape?.dim ?? []).map((d) =>
    d.dim_value != null && (d.dim_value > 0 || (d.dim_value === 0 && !d.dim_param)) && !d.dim_param ? d.dim_value : -1,
  );
  return { name: v.name, shape, elemType: tensor.elem_type };
}

function decodeModelProto(bytes: Uint8Array, source: string): ModelProtoMessage {
  try {
    return ModelProto.toObject(ModelProto.decode(bytes), TO_OBJECT_OPTIONS) as ModelProtoMessage;
  } catch (e) {
    throw new OnnxError(
      source,
      `not a valid ONNX protobuf (${bytes.length} bytes; truncated or corrupt file?): ${(e as Error).message}`,
    );
  }
}

function defaultOpset(model: ModelProtoMessage, source: string): number {
  const entry = model.opset_import.find((o) => DEFAULT_DOMAINS.has(o.domain));
  if (!entry)
    throw new OnnxError(
      source,
      'declares no opset for the default ONNX domain (empty opset_import); truncated or corrupt file?',
    );
  const opset = entry.version;
  if (opset < SUPPORTED_OPSET.min || opset > SUPPORTED_OPSET.max) {
    throw new OnnxError(
      source,
      `opset ${opset} is not supported (supported: ${SUPPORTED_OPSET.min}–${SUPPORTED_OPSET.max}); re-export with opset_version in that range`,
    );
  }
  return opset;
}

/** Every value a node reads must come from a graph input, an initializer or an earlier node. */
function checkDataflow(graph: GraphProtoMessage, known: Set<string>, source: string): void {
  const producer = new Map<string, number>();
  graph.node.forEach((node, index) =>
    node.output.forEach((o) => o !== '' && !producer.has(o) && producer.set(o, index)),
  );
  graph.node.forEach((node, index) => {
    for (const input of node.input) {
      if (input !== '' && !known.has(input)) {
        const later = producer.get(input);
        if (later === undefined)
          throw new OnnxError(
            source,
            `${nodeLabel(node, index)} reads "${input}", which no input, initializer or earlier node provides`,
          );
        const cycle = cycleThrough(graph, producer, index, later);
        if (later === index)
          throw new OnnxError(
            source,
            `${nodeLabel(node, index)} reads its own output "${input}": the graph has a cycle`,
          );
        if (cycle)
          throw new OnnxError(
            source,
            `the graph has a cycle: ${[...cycle, index].map((k) => nodeLabel(graph.node[k]!, k)).join(' → ')}`,
          );
        throw new OnnxError(
          source,
          `${nodeLabel(node, index)} reads "${input}", which ${nodeLabel(graph.node[later]!, later)} computes later: nodes must be in topological order`,
        );
      }
    }
    for (const output of node.output) {
      if (known.has(output))
        throw new OnnxError(source, `${nodeLabel(node, index)} writes "${output}", which is already defined`);
      if (output !== '') known.add(output);
    }
  });
  for (const output of graph.output) {
    if (!known.has(output.name)) throw new OnnxError(source, `graph output "${output.name}" is produced by no node`);
  }
}

/**
 * The nodes of a cycle through node `at`, which reads an output of node `from`: a walk back from
 * `from` through the producers of what it reads that reaches `at` (breadth-first, no recursion).
 * Listed in dataflow order, starting at `at`; null when there is none.
 */
function cycleThrough(
  graph: GraphProtoMessage,
  producer: ReadonlyMap<string, number>,
  at: number,
  from: number,
): number[] | null {
  const next = new Map<number, number>([[from, -1]]); // node → the node it feeds on the way to `at`
  const queue = [from];
  for (let q = 0; q < queue.length; q++) {
    const k = queue[q]!;
    if (k === at) {
      const path: number[] = [];
      for (let j = k; j !== -1; j = next.get(j)!) path.push(j);
      return path;
    }
    for (const input of graph.node[k]!.input) {
      const p = producer.get(input);
      if (p !== undefined && !next.has(p)) {
        next.set(p, k);
        queue.push(p);
      }
    }
  }
  return null;
}

/** Decode and validate an ONNX model. `source` (e.g. the file name) prefixes every error. */
export function decodeOnnx(bytes: Uint8Array, source = 'model', options: OnnxDecodeOptions = {}): OnnxModel {
  const model = decodeModelProto(bytes, source);
  const graph = model.graph;
  if (!graph || graph.node.length === 0)
    throw new OnnxError(source, 'holds no graph nodes (empty, truncated or not an ONNX model)');
  const opset = defaultOpset(model, source);

  const limit = new ModelBytes(options.maxModelBytes);
  const reserve: Reserve = (shape, bytesPerElement) => limit.reserve(shape, bytesPerElement);
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.initializer) {
    if (!t.name) throw new OnnxError(source, 'an initializer has no name');
    initializers.set(t.name, decodeTensor(t, `initializer "${t.name}"`, source, options.externalData, reserve));
  }
  for (const [name, v] of options.constants ?? []) {
    const declared = graph.input.find((i) => i.name === name);
    if (!declared)
      throw new OnnxError(
        source,
        `a constant is given for "${name}", which is not a graph input (inputs: ${graph.input.map((i) => i.name).join(', ')})`,
      );
    const t = declared.type?.tensor_type?.elem_type;
    const dtype = t === 9 ? 'bool' : t === 1 || t === 10 || t === 11 ? 'float' : 'int';
    initializers.set(name, { shape: [...v.shape], data: v.data, dtype });
  }
  // IR < 4 lists every weight as a graph input too: an input with an initializer is a weight.
  const inputs = graph.input.filter((v) => !initializers.has(v.name)).map((v) => valueInfo(v, 'graph input', source));
  const outputs = graph.output.map((v) => valueInfo(v, 'graph output', source));
  // Unsupported ops are reported before dangling names: they are the more actionable problem.
  const nodes: OnnxNode[] = [];
  graph.node.forEach((node, index) => {
    const where = nodeLabel(node, index);
    if (!DEFAULT_DOMAINS.has(node.domain))
      throw new OnnxError(source, `${where} is from operator domain "${node.domain}", which is not supported`);
    if (!SUPPORTED_OPS.has(node.op_type)) {
      throw new OnnxError(
        source,
        `${where}: op ${node.op_type} is not supported (supported: ${[...SUPPORTED_OPS].join(', ')})`,
      );
    }
    if (node.op_type === 'Constant') {
      initializers.set(node.output[0], constantValue(node, where, source, reserve, options.externalData));
      return;
    }
    // keyed by the file's names: no prototype, so "__proto__" or "constructor" are plain names
    const attributes: Record<string, OnnxAttribute> = Object.create(null) as Record<string, OnnxAttribute>;
    for (const a of node.attribute) attributes[a.name] = decodeAttribute(a, where, source, reserve);
    nodes.push({
      name: node.name || `${node.op_type}_${index}`,
      opType: node.op_type,
      inputs: [...node.input],
      outputs: [...node.output],
      attributes,
    });
  });
  checkDataflow(graph, new Set([...graph.initializer.map((t) => t.name), ...graph.input.map((i) => i.name)]), source);
  return { opset, inputs, outputs, nodes, initializers };
}

/** The external-data files a model's tensors name (to be read before decoding, e.g. from beside the model file). */
export function externalDataLocations(bytes: Uint8Array, source = 'model'): string[] {
  const graph = decodeModelProto(bytes, source).graph;
  const tensors = [
    ...(graph?.initializer ?? []),
    ...(graph?.node ?? []).flatMap((n) => n.attribute.map((a) => a.t).filter((t) => !!t)),
  ];
  const locations = new Set<string>();
  for (const t of tensors) {
    if (t!.data_location !== 1) continue;
    const location = t!.external_data.find((e) => e.key === 'location')?.value ?? '';
    if (!location || location.startsWith('/') || /^[a-zA-Z]:|(^|[\\/])\.\.([\\/]|$)/.test(location)) {
      throw new OnnxError(
        source,
        `tensor "${t!.name}" names external data "${location}"; only a relative path inside the model's folder is read`,
      );
    }
    locations.add(location);
  }
  return [...locations];
}
