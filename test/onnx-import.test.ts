/** ONNX → model graph: the fixture's logits, the fusions the importer applies, and its errors. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { readNpy } from '../src/models/npy.js';
import { decodeOnnx } from '../src/models/onnx/decode.js';
import { ModelProto } from '../src/models/onnx/schema.js';
import { importOnnx, importOnnxBytes } from '../src/models/onnx/import.js';
import { modelFromOnnx } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { relL2 } from './harness/assert.js';

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
  actual.forEach((v, i) =>
    expect(Math.abs(v - expected[i]!), `index ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(rtol * scale),
  );
}

interface EditableGraph {
  graph: {
    node: {
      op_type: string;
      name: string;
      input: string[];
      output: string[];
      attribute: { name: string; ints: number[] }[];
    }[];
    input: { type: { tensor_type: { shape: { dim: { dim_value?: number; dim_param?: string }[] } } } }[];
  };
}

/** Re-encode a fixture after editing its protobuf object (for malformed variants). */
function editedFixture(edit: (m: EditableGraph) => void, name = 'small_resnet.onnx'): Uint8Array {
  const message = ModelProto.toObject(ModelProto.decode(fixture(name))) as EditableGraph;
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
    // The Flatten of the pooled [N, C, 1, 1] is a view: gap's [C] rows already have its shape.
    expect(kinds).toEqual(['input', 'conv2d', 'conv2d', 'conv2d', 'maxpool', 'gap', 'linear']);
    expect(model.nodes[3]).toMatchObject({ relu: true, residual: 1 });
    expect(model.nodes[model.info.representationNode]!.kind).toBe('gap');
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
    const value = (name: string, shape: number[]) => ({
      name,
      type: {
        tensor_type: {
          elem_type: 1,
          shape: { dim: shape.map((d) => (d < 0 ? { dim_param: 'N' } : { dim_value: d })) },
        },
      },
    });
    const graph = {
      node: [
        { op_type: 'Flatten', name: 'flat', input: ['x'], output: ['f'], attribute: [{ name: 'axis', type: 2, i: 1 }] },
        { op_type: 'MatMul', name: 'mm', input: ['f', 'w1'], output: ['m'] },
        { op_type: 'Add', name: 'bias', input: ['m', 'b1'], output: ['a'] },
        { op_type: 'Relu', name: 'act', input: ['a'], output: ['r'] },
        { op_type: 'Gemm', name: 'head', input: ['r', 'w2'], output: ['z'] },
        {
          op_type: 'Softmax',
          name: 'prob',
          input: ['z'],
          output: ['p'],
          attribute: [{ name: 'axis', type: 2, i: -1 }],
        },
      ],
      initializer: [
        { name: 'w1', ...t([4, 3], w1) },
        { name: 'b1', ...t([3], b1) },
        { name: 'w2', ...t([3, 2], w2) },
      ],
      input: [value('x', [-1, 1, 2, 2])],
      output: [value('p', [-1, 2])],
    };
    const bytes = ModelProto.encode(
      ModelProto.fromObject({ ir_version: 7, opset_import: [{ domain: '', version: 13 }], graph }),
    ).finish();
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
    expect(() => modelFromOnnx(engine, bytes.subarray(0, bytes.length >> 1), { source: 'cut.onnx' })).toThrow(
      /ONNX cut\.onnx: .*(truncated|corrupt)/,
    );
    const sine = editedFixture((m) => (m.graph.node[2]!.op_type = 'Sin'));
    expect(() => modelFromOnnx(engine, sine, { source: 'sin.onnx' })).toThrow(
      /ONNX sin\.onnx: node .*op Sin is not supported/,
    );
    const negative = editedFixture((m) => {
      const pads = m.graph.node[0]!.attribute.find((a) => a.name === 'pads')!;
      pads.ints = [1, 1, -1, 0];
    });
    expect(() => modelFromOnnx(engine, negative, { source: 'pads.onnx' })).toThrow(
      /ONNX pads\.onnx: node "\/stem\/stem\.0\/Conv" \(Conv\): pads \[1, 1, -1, 0\] must be non-negative integers/,
    );
  });

  it('a weight of the wrong shape is reported with the layer and both shapes', () => {
    const ir = decodeOnnx(fixture('small_resnet.onnx'), 'bad.onnx');
    ir.initializers.set('fc.weight', { shape: [10, 4], data: new Float32Array(40), dtype: 'float' });
    expect(() => importOnnx(ir, 'bad.onnx')).toThrow(
      /ONNX bad\.onnx: node "\/fc\/Gemm" \(Gemm\): input \[N, 8\] times a \[4, 10\] matrix/,
    );
  });
});

/** f(x) and ∂f[target]/∂x per row: recorded forward, one-hot seed, backward. */
async function logitsAndGradient(
  model: Model,
  x: { shape: number[]; data: Float32Array },
  targets: Float32Array,
): Promise<{ logits: Float32Array; grad: Float32Array; gradShape: readonly number[] }> {
  const k = model.info.numClasses;
  const seed = new Float32Array(targets.length * k);
  targets.forEach((t, row) => (seed[row * k + t] = 1));
  const tx = Tensor.from(engine, x.data, x.shape);
  const tseed = Tensor.from(engine, seed, [targets.length, k]);
  const tape = model.forward(tx, { record: true });
  const logits = await tape.output.download();
  const { dx } = tape.backward(tseed);
  const grad = await dx.download();
  const gradShape = dx.shape;
  for (const t of [tx, tseed, dx]) t.dispose();
  tape.dispose();
  return { logits, grad, gradShape };
}

describe('onnx import: non-image inputs (PyTorch fixtures, float64 references)', () => {
  const cases = [
    { name: 'captum_mlp', inputShape: [3], kinds: ['input', 'linear', 'linear', 'linear'], representation: 'linear' },
    { name: 'mlp', inputShape: [10], kinds: ['input', 'linear', 'linear', 'linear'], representation: 'linear' },
    // BatchNorm1d folded into the first 1-D conv, both ReLUs fused into the convs
    {
      name: 'conv1d',
      inputShape: [4, 16],
      kinds: ['input', 'conv2d', 'maxpool', 'conv2d', 'avgpool', 'flatten', 'linear'],
      representation: 'flatten',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: input [N, ${c.inputShape.join(', ')}], logits within 1e-4 and ∂logit[target]/∂x within 1e-3 (rel L2) of PyTorch`, async () => {
      const { model, notes } = modelFromOnnx(engine, fixture(`${c.name}.onnx`), { source: `${c.name}.onnx` });
      expect(notes).toEqual([]);
      expect(model.info.inputShape).toEqual(c.inputShape);
      expect(model.nodes.map((n) => n.kind)).toEqual(c.kinds);
      expect(model.nodes[model.info.representationNode]!.kind).toBe(c.representation);
      const x = readNpy(fixture(`${c.name}_input.npy`));
      expect(x.shape.slice(1)).toEqual(c.inputShape);
      const r = await logitsAndGradient(model, x, readNpy(fixture(`${c.name}_targets.npy`)).data);
      expectRelClose(r.logits, readNpy(fixture(`${c.name}_logits.npy`)).data, 1e-4);
      expect(r.gradShape).toEqual(x.shape);
      const want = readNpy(fixture(`${c.name}_grad.npy`));
      expect(want.shape).toEqual(x.shape);
      expect(relL2(r.grad, want.data)).toBeLessThanOrEqual(1e-3);
      model.dispose();
    });
  }

  it('the unfused conv1d import (BatchNorm1d as its own node on [N, C, L]) gives the same logits and gradient', async () => {
    const { spec } = importOnnxBytes(fixture('conv1d.onnx'), 'conv1d.onnx', { fuse: false });
    expect(spec.nodes.map((n) => n.kind)).toEqual([
      'input',
      'conv2d',
      'batchnorm',
      'relu',
      'maxpool',
      'conv2d',
      'relu',
      'avgpool',
      'flatten',
      'linear',
    ]);
    expect(spec.params.get('0.weight')!.shape).toEqual([8, 4, 3]);
    const { modelFromSpec } = await import('../src/models/fuse.js');
    const model = modelFromSpec(engine, spec);
    const x = readNpy(fixture('conv1d_input.npy'));
    const r = await logitsAndGradient(model, x, readNpy(fixture('conv1d_targets.npy')).data);
    expectRelClose(r.logits, readNpy(fixture('conv1d_logits.npy')).data, 1e-4);
    expect(relL2(r.grad, readNpy(fixture('conv1d_grad.npy')).data)).toBeLessThanOrEqual(1e-3);
    model.dispose();
  });

  it('the captum MLP computes what Captum’s test expects: logits of x = [1.5, 2, 1.3] are [16.4, 18.4]', async () => {
    const { model } = modelFromOnnx(engine, fixture('captum_mlp.onnx'));
    const logits = await logitsOf(model, { shape: [1, 3], data: Float32Array.of(1.5, 2, 1.3) });
    expectRelClose(logits, Float32Array.of(16.4, 18.4), 1e-6);
    model.dispose();
  });

  it('a model checks the input rank and row shape, naming the expected [N, ...] shape', () => {
    const { model } = modelFromOnnx(engine, fixture('conv1d.onnx'), { source: 'conv1d.onnx' });
    for (const shape of [
      [2, 64],
      [2, 4, 16, 1],
      [2, 16, 4],
    ]) {
      const t = Tensor.zeros(engine, shape);
      expect(() => model.logits(t)).toThrow(
        new RegExp(`model onnx: input has shape \\[${shape.join(', ')}\\], expected \\[N, 4, 16\\]`),
      );
      t.dispose();
    }
    model.dispose();
  });

  it('what cannot be imported is refused at load time, naming the op and the node', () => {
    const rank5 = editedFixture(
      (m) => m.graph.input[0]!.type.tensor_type.shape.dim.push({ dim_value: 2 }, { dim_value: 2 }),
      'conv1d.onnx',
    );
    expect(() => modelFromOnnx(engine, rank5, { source: 'r5.onnx' })).toThrow(
      /ONNX r5\.onnx: node "\/0\/Conv" \(Conv\): input has shape \[N, 4, 16, 2, 2\]; 3-D convolution \/ pooling \/ batch norm is not supported/,
    );
    // the Gemm reads the pooled [N, 6, 2] activation directly (Flatten removed)
    const noFlatten = editedFixture((m) => {
      const flat = m.graph.node.findIndex((n) => n.op_type === 'Flatten');
      m.graph.node[flat + 1]!.input[0] = m.graph.node[flat]!.input[0]!;
      m.graph.node.splice(flat, 1);
    }, 'conv1d.onnx');
    expect(() => modelFromOnnx(engine, noFlatten, { source: 'nf.onnx' })).toThrow(
      /ONNX nf\.onnx: node "\/8\/Gemm" \(Gemm\): A has shape \[N, 6, 2\], expected a matrix \[N, K\]/,
    );
    // a 2-D max pool on the [N, C, L] activation
    const pool2d = editedFixture((m) => {
      const pool = m.graph.node.find((n) => n.op_type === 'MaxPool')!;
      for (const a of pool.attribute)
        if (['kernel_shape', 'strides', 'dilations'].includes(a.name)) a.ints = [...a.ints, ...a.ints];
      pool.attribute.find((a) => a.name === 'pads')!.ints = [0, 0, 0, 0];
    }, 'conv1d.onnx');
    expect(() => modelFromOnnx(engine, pool2d, { source: 'p2.onnx' })).toThrow(
      /ONNX p2\.onnx: node "\/3\/MaxPool" \(MaxPool\): a 2-D kernel on an input of shape \[N, 8, 12\]; expected \[N, C, H, W\]/,
    );
    // a 1-D max pool on the [N, C, H, W] activation of the image fixture
    const pool1d = editedFixture((m) => {
      const pool = m.graph.node.find((n) => n.op_type === 'MaxPool')!;
      for (const a of pool.attribute) if (a.ints?.length) a.ints = a.ints.slice(0, a.name === 'pads' ? 2 : 1);
    });
    expect(() => modelFromOnnx(engine, pool1d, { source: 'p1.onnx' })).toThrow(
      /ONNX p1\.onnx: node "\/pool\/MaxPool" \(MaxPool\): a 1-D kernel on an input of shape \[N, 8, 16, 16\]; expected \[N, C, L\]/,
    );
    const strides = editedFixture(
      (m) =>
        (m.graph.node.find((n) => n.name === '/4/Conv')!.attribute.find((a) => a.name === 'strides')!.ints = [2, 2]),
      'conv1d.onnx',
    );
    expect(() => modelFromOnnx(engine, strides, { source: 's.onnx' })).toThrow(
      /ONNX s\.onnx: node "\/4\/Conv" \(Conv\): strides \[2, 2\] should have 1 value\(s\) for a 1-D kernel/,
    );
  });
});
