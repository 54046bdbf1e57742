/** ONNX → model graph: the fixture's logits, the fusions the importer applies, and its errors. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { readNpy } from '../src/models/npy.js';
import { decodeOnnx } from '../src/models/onnx.js';
import { ModelProto } from '../src/models/onnx-schema.js';
import { importOnnx, importOnnxBytes } from '../src/models/onnx-import.js';
import { modelFromOnnx } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

async function logitsOf(model: Model, x: { shape: number[]; data: Float32Array }): Promise<Float32Array> {
  const t = Tensor.from(engine, x.data, x.shape);
  const out = model.logits(t);
  const values = await out.download();
  t.dispose();
  out.dispose();
  return values;
}

function expectRelClose(actual: Float32Array, expected: Float32Array, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs));
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `index ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * scale));
}

/** Re-encode the fixture after editing its protobuf object (for malformed variants). */
function editedFixture(edit: (m: { graph: { node: { op_type: string; attribute: { name: string; ints: number[] }[] }[] } }) => void): Uint8Array {
  const message = ModelProto.toObject(ModelProto.decode(fixture('small_resnet.onnx'))) as Parameters<typeof edit>[0];
  edit(message);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

describe('onnx import', () => {
  it('small_resnet.onnx reproduces PyTorch logits within 1e-4 (relative), BN folded and epilogues fused', async () => {
    const { model, notes } = modelFromOnnx(engine, fixture('small_resnet.onnx'), { source: 'small_resnet.onnx' });
    expect(notes).toEqual([]);
    expect(model.info.inputShape).toEqual([3, 16, 16]);
    expect(model.info.numClasses).toBe(10);
    // BN folded into the three convs; relu and the residual add ride in conv epilogues.
    const kinds = model.nodes.map((n) => n.kind);
    expect(kinds).toEqual(['input', 'conv2d', 'conv2d', 'conv2d', 'maxpool', 'gap', 'flatten', 'linear']);
    expect(model.nodes[3]).toMatchObject({ relu: true, residual: 1 });
    expect(model.nodes[model.info.representationNode]!.kind).toBe('flatten');
    const logits = await logitsOf(model, readNpy(fixture('small_resnet_input.npy')));
    expectRelClose(logits, readNpy(fixture('small_resnet_logits.npy')).data, 1e-4);
    model.dispose();
  });

  it('the unfused import (one node per ONNX op) gives the same logits', async () => {
    const { spec } = importOnnxBytes(fixture('small_resnet.onnx'), 'small_resnet.onnx', { fuse: false });
    expect(spec.nodes.filter((n) => n.kind === 'batchnorm')).toHaveLength(3);
    const { modelFromSpec } = await import('../src/models/fuse.js');
    const model = modelFromSpec(engine, spec);
    const logits = await logitsOf(model, readNpy(fixture('small_resnet_input.npy')));
    expectRelClose(logits, readNpy(fixture('small_resnet_logits.npy')).data, 1e-4);
    model.dispose();
  });

  it('MatMul + Add bias, Gemm without transB, and a final Softmax (dropped, noted)', async () => {
    const w1 = [0.5, -1, 2, 0.25, 1, 1, -0.5, 0.75, 0, 0.3, -0.2, 1.5]; // [4, 3] (in, out)
    const b1 = [0.1, -0.2, 0.3];
    const w2 = [1, -1, 0.5, 2, -0.5, 1]; // [3, 2] (in, out), transB = 0
    const t = (dims: number[], data: number[]) => ({ dims, data_type: 1, float_data: data });
    const value = (name: string, shape: number[]) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: shape.map((d) => (d < 0 ? { dim_param: 'N' } : { dim_value: d })) } } } });
    const graph = {
      node: [
        { op_type: 'Flatten', name: 'flat', input: ['x'], output: ['f'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
        { op_type: 'MatMul', name: 'mm', input: ['f', 'w1'], output: ['m'] },
        { op_type: 'Add', name: 'bias', input: ['m', 'b1'], output: ['a'] },
        { op_type: 'Relu', name: 'act', input: ['a'], output: ['r'] },
        { op_type: 'Gemm', name: 'head', input: ['r', 'w2'], output: ['z'] },
        { op_type: 'Softmax', name: 'prob', input: ['z'], output: ['p'], attribute: [{ name: 'axis', type: 2, i: -1 }] },
      ],
      initializer: [{ name: 'w1', ...t([4, 3], w1) }, { name: 'b1', ...t([3], b1) }, { name: 'w2', ...t([3, 2], w2) }],
      input: [value('x', [-1, 1, 2, 2])],
      output: [value('p', [-1, 2])],
    };
    const bytes = ModelProto.encode(ModelProto.fromObject({ ir_version: 7, opset_import: [{ domain: '', version: 13 }], graph })).finish();
    const { model, notes } = modelFromOnnx(engine, bytes, { source: 'mlp.onnx' });
    expect(notes.join()).toMatch(/dropped the final Softmax .* explained on logits/);
    expect(model.nodes.map((n) => n.kind)).toEqual(['input', 'flatten', 'linear', 'linear']);
    const x = [0.2, -0.4, 0.9, 0.1];
    const hidden = b1.map((b, o) => Math.max(0, b + x.reduce((s, v, i) => s + v * w1[i * 3 + o]!, 0)));
    const expected = [0, 1].map((o) => hidden.reduce((s, v, i) => s + v * w2[i * 2 + o]!, 0));
    const logits = await logitsOf(model, { shape: [1, 1, 2, 2], data: Float32Array.from(x) });
    expectRelClose(logits, Float32Array.from(expected), 1e-5);
    model.dispose();
  });

  it('errors surface through the loader, naming the file and the problem', () => {
    const bytes = fixture('small_resnet.onnx');
    expect(() => modelFromOnnx(engine, bytes.subarray(0, bytes.length >> 1), { source: 'cut.onnx' })).toThrow(/ONNX cut\.onnx: .*(truncated|corrupt)/);
    const sigmoid = editedFixture((m) => (m.graph.node[2]!.op_type = 'Sigmoid'));
    expect(() => modelFromOnnx(engine, sigmoid, { source: 'sig.onnx' })).toThrow(/ONNX sig\.onnx: node .*op Sigmoid is not supported/);
    const asymmetric = editedFixture((m) => {
      const pads = m.graph.node[0]!.attribute.find((a) => a.name === 'pads')!;
      pads.ints = [1, 1, 0, 0];
    });
    expect(() => modelFromOnnx(engine, asymmetric, { source: 'pads.onnx' })).toThrow(/ONNX pads\.onnx: node "\/stem\/stem\.0\/Conv" \(Conv\): asymmetric pads \[1, 1, 0, 0\]/);
  });

  it('a weight of the wrong shape is reported with the layer and both shapes', () => {
    const ir = decodeOnnx(fixture('small_resnet.onnx'), 'bad.onnx');
    ir.initializers.set('fc.weight', { shape: [10, 4], data: new Float32Array(40), dtype: 'float' });
    expect(() => importOnnx(ir, 'bad.onnx')).toThrow(/ONNX bad\.onnx: graph: linear 'fc' expects 4 input features, gets shape \[8\]/);
  });
});
