/** Tiny ONNX models built in TypeScript for import tests: nodes, initializers and typed attributes. */
import { ModelProto } from '../../src/models/onnx/schema.js';

type Attr = { name: string; type: number; i?: number; f?: number; s?: Uint8Array; ints?: number[]; floats?: number[] };
export const int = (name: string, i: number): Attr => ({ name, type: 2, i });
export const float = (name: string, f: number): Attr => ({ name, type: 1, f });
export const ints = (name: string, v: number[]): Attr => ({ name, type: 7, ints: v });
export const str = (name: string, s: string): Attr => ({ name, type: 3, s: new TextEncoder().encode(s) });

export interface TinyTensor {
  name: string;
  shape: number[];
  data: number[];
  /** TensorProto.DataType: FLOAT (default), INT64 = 7, BOOL = 9, FLOAT16 = 10 (data given as bit patterns) */
  type?: number;
  /** store the bytes in an external file of this name */
  external?: string;
}

export interface TinyModel {
  opset?: number;
  irVersion?: number;
  inputs: { name: string; shape: (number | string)[]; type?: number }[];
  outputs: string[];
  nodes: { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Attr[] }[];
  initializers?: TinyTensor[];
  /** list the initializers as graph inputs too (IR < 4 style) */
  weightsAsInputs?: boolean;
}

function tensorProto(t: TinyTensor): Record<string, unknown> {
  const type = t.type ?? 1;
  const base = { name: t.name, dims: t.shape, data_type: type };
  if (t.external)
    return {
      ...base,
      data_location: 1,
      external_data: [
        { key: 'location', value: t.external },
        { key: 'offset', value: '0' },
        { key: 'length', value: String(t.data.length * 4) },
      ],
    };
  if (type === 7) return { ...base, int64_data: t.data };
  if (type !== 1) return { ...base, int32_data: t.data }; // FLOAT16 bit patterns, BOOL, narrower integers
  return { ...base, float_data: t.data };
}

const valueInfo = (name: string, shape: (number | string)[], type = 1) => ({
  name,
  type: {
    tensor_type: {
      elem_type: type,
      shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  },
});

export function tinyOnnx(m: TinyModel): Uint8Array {
  const inits = m.initializers ?? [];
  const message = {
    ir_version: m.irVersion ?? 8,
    opset_import: [{ domain: '', version: m.opset ?? 13 }],
    graph: {
      name: 'tiny',
      node: m.nodes.map((n, k) => ({
        op_type: n.op,
        name: n.name ?? `${n.op}_${k}`,
        input: n.inputs,
        output: n.outputs,
        attribute: n.attrs ?? [],
      })),
      initializer: inits.map(tensorProto),
      input: [
        ...m.inputs.map((i) => valueInfo(i.name, i.shape, i.type)),
        ...(m.weightsAsInputs ? inits.map((t) => valueInfo(t.name, t.shape, t.type)) : []),
      ],
      output: m.outputs.map((o) => valueInfo(o, [])),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/**
 * A model with free input sizes, as PaddleOCR's text-direction classifier declares them
 * ([-1, 3, -1, -1]): a 1×1 conv (2 outputs), a global average pool, a flatten.
 */
export const FREE_SIZES_MODEL: TinyModel = {
  inputs: [{ name: 'x', shape: ['N', 3, 'H', 'W'] }],
  outputs: ['y'],
  initializers: [{ name: 'w', shape: [2, 3, 1, 1], data: [1, 2, 3, -1, 0, 1] }],
  nodes: [
    { op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['c'] },
    { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['y'] },
  ],
};
