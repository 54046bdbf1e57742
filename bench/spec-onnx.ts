/**
 * A folded zoo ModelSpec (convs with their biases, ReLUs and residual adds fused; linears; global
 * average pools) written as ONNX, so that `npm run bench` can hand pathlight's `predict` and
 * onnxruntime-web the same file. Opset 13, a free batch axis, float32 weights as raw little-endian
 * bytes. Only the node kinds of the zoo's CNNs are mapped; anything else is refused by name.
 */
import { intPads, intPair } from '../src/errors.js';
import type { ModelSpec } from '../src/models/fuse.js';
import { ModelProto } from '../src/models/onnx/schema.js';
import { imageInputShape } from '../src/nn/model.js';

type Attr = { name: string; type: number; i?: number; ints?: number[] };
const INT = 2;
const INTS = 7;
const FLOAT = 1;

interface OnnxNode {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Attr[];
}

const valueInfo = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensor_type: {
      elem_type: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
    },
  },
});

/** The spec as `.onnx` bytes: input 'input' [N, C, H, W], output 'logits' [N, classes]. */
export function specToOnnx(spec: ModelSpec): Uint8Array {
  const nodes: OnnxNode[] = [];
  const out: string[] = [];
  const emit = (op: string, name: string, input: string[], attribute: Attr[] = []) => {
    const output = `${name}:${op}`;
    nodes.push({ op_type: op, name: output, input, output: [output], attribute });
    return output;
  };
  const relu = (x: string, name: string, on: boolean | undefined) => (on ? emit('Relu', name, [x]) : x);
  spec.nodes.forEach((node, i) => {
    const name = `${i}_${node.name}`;
    switch (node.kind) {
      case 'input':
        out.push('input');
        return;
      case 'conv2d': {
        const w = spec.params.get(node.weight)!.shape;
        const ints = (n: string, v: number[]): Attr => ({ name: n, type: INTS, ints: v });
        let y = emit(
          'Conv',
          name,
          [out[node.input]!, node.weight, ...(node.bias ? [node.bias] : [])],
          [
            ints('kernel_shape', w.slice(2)),
            ints('strides', intPair(node.name, 'stride', node.params.stride, [1, 1], 1)),
            ints('pads', intPads(node.name, node.params.padding)),
            ints('dilations', intPair(node.name, 'dilation', node.params.dilation, [1, 1], 1)),
            { name: 'group', type: INT, i: node.params.groups ?? 1 },
          ],
        );
        if (node.residual !== undefined) y = emit('Add', name, [y, out[node.residual]!]);
        out.push(relu(y, name, node.relu));
        return;
      }
      case 'linear': {
        const args = [out[node.input]!, node.weight, ...(node.bias ? [node.bias] : [])];
        out.push(relu(emit('Gemm', name, args, [{ name: 'transB', type: INT, i: 1 }]), name, node.relu));
        return;
      }
      case 'gap':
        out.push(emit('Flatten', name, [emit('GlobalAveragePool', name, [out[node.input]!])]));
        return;
      case 'flatten':
        out.push(emit('Flatten', name, [out[node.input]!]));
        return;
      case 'add':
        out.push(relu(emit('Add', name, [out[node.a]!, out[node.b]!]), name, node.relu));
        return;
      case 'relu':
        out.push(emit('Relu', name, [out[node.input]!]));
        return;
      default:
        throw new Error(`spec-onnx: node ${node.name} (${node.kind}) is not mapped`);
    }
  });
  const logits = out[out.length - 1]!;
  nodes.push({ op_type: 'Identity', name: 'logits', input: [logits], output: ['logits'], attribute: [] });
  const initializer = [...spec.params].map(([name, p]) => {
    const data = Float32Array.from(p.data);
    return { name, dims: p.shape, data_type: FLOAT, raw_data: new Uint8Array(data.buffer) };
  });
  const head = [...spec.nodes].reverse().find((n) => n.kind === 'linear');
  if (!head) throw new Error('spec-onnx: the model has no final linear layer');
  const classes = spec.params.get(head.weight)!.shape[0]!;
  const message = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'pathlight bench/spec-onnx.ts',
    graph: {
      name: spec.info.name,
      node: nodes,
      initializer,
      input: [valueInfo('input', ['N', ...imageInputShape(spec.info, 'spec-onnx')])],
      output: [valueInfo('logits', ['N', classes])],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}
