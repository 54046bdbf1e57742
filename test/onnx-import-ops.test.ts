/**
 * ONNX import of the patterns exporters emit (issue #13), on tiny graphs built in TypeScript:
 * constant folding, views, pad folding, each attribute's mapping, the batch / whole-tensor modes,
 * weights as inputs or bound by the caller, float16 and external data, and load-time refusals.
 * Values are checked against plain float64 computations here; ONNX's own cases are the
 * conformance test's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { importOnnxBytes } from '../src/models/onnx/import.js';
import { onnxPredictor } from '../src/models/predict.js';
import { float, FREE_SIZES_MODEL, int, ints, str, tinyOnnx, type TinyModel } from './harness/onnx-build.js';
import { Rng } from './harness/random.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

/** values with few bits, so float32 holds them and their products exactly */
const random = (n: number, seed = 1): number[] =>
  Array.from(new Rng(seed).uniform(n), (v) => Math.round(v * 1000) / 1000);

async function predict(m: TinyModel, x: number[], shape: number[], options = {}) {
  const p = onnxPredictor(engine, tinyOnnx(m), { source: 'tiny.onnx', ...options });
  try {
    const out = await p.predict({ shape, data: Float32Array.from(x) });
    return { ...out, mode: p.mode, notes: p.notes, kinds: p.model?.nodes.map((n) => n.kind) ?? [] };
  } finally {
    p.dispose();
  }
}

function expectClose(actual: Float32Array, expected: number[], tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) =>
    expect(Math.abs(actual[i]! - e), `index ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(e)),
    ),
  );
}

const spec = (m: TinyModel, options = {}) => importOnnxBytes(tinyOnnx(m), 'tiny.onnx', options);

describe('constant folding', () => {
  it("PyTorch's x.view(x.size(0), -1) (Shape → Gather → Unsqueeze → Concat → Reshape) keeps the batch axis and leaves no shape nodes", async () => {
    const w = random(12 * 3);
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 3, 2, 2] }],
      outputs: ['y'],
      initializers: [
        { name: 'idx', shape: [], data: [0], type: 7 },
        { name: 'minus1', shape: [1], data: [-1], type: 7 },
        { name: 'axes', shape: [1], data: [0], type: 7 },
        { name: 'fc.weight', shape: [3, 12], data: w },
      ],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'idx'], outputs: ['n'], attrs: [int('axis', 0)] },
        { op: 'Unsqueeze', inputs: ['n', 'axes'], outputs: ['n1'] },
        { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: [int('axis', 0)] },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['flat'] },
        { op: 'Identity', inputs: ['fc.weight'], outputs: ['shared'] }, // a shared weight, as PyTorch exports it
        { op: 'Gemm', inputs: ['flat', 'shared'], outputs: ['y'], attrs: [int('transB', 1)] },
      ],
    };
    const x = random(2 * 12, 2);
    const out = await predict(m, x, [2, 3, 2, 2]);
    expect(out.mode).toBe('batch');
    expect(out.kinds).toEqual(['input', 'flatten', 'linear']);
    const expected = [0, 1].flatMap((b) =>
      [0, 1, 2].map((o) => w.slice(o * 12, o * 12 + 12).reduce((s, v, k) => s + v * x[b * 12 + k]!, 0)),
    );
    expectClose(out.data, expected);
  });

  it('a reshape that needs the batch size computed from it is refused, naming the node', () => {
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 4] }],
      outputs: ['y'],
      initializers: [{ name: 'two', shape: [1], data: [2], type: 7 }],
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Mul', inputs: ['s', 'two'], outputs: ['s2'], name: 'double_it' },
        { op: 'Reshape', inputs: ['x', 's2'], outputs: ['y'] },
      ],
    };
    expect(() => spec(m)).toThrow(
      /ONNX tiny\.onnx: node "double_it" \(Mul\): Mul computes with the batch size, which is not known at import/,
    );
  });
});

describe('pad folding', () => {
  const padded = (value: number, pool: 'AveragePool' | 'MaxPool' | 'Conv', opset = 13): TinyModel => ({
    opset,
    inputs: [{ name: 'x', shape: ['N', 1, 3, 3] }],
    outputs: ['y'],
    initializers: [
      { name: 'pads', shape: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], type: 7 },
      { name: 'value', shape: [], data: [value] },
      ...(pool === 'Conv' ? [{ name: 'w', shape: [1, 1, 2, 2], data: [1, 2, 3, 4] }] : []),
    ],
    nodes: [
      { op: 'Pad', inputs: ['x', 'pads', 'value'], outputs: ['p'], attrs: [str('mode', 'constant')] },
      pool === 'Conv'
        ? { op: 'Conv', inputs: ['p', 'w'], outputs: ['y'] }
        : { op: pool, inputs: ['p'], outputs: ['y'], attrs: [ints('kernel_shape', [2, 2])] },
    ],
  });

  it("PyTorch 1.13's AvgPool2d(count_include_pad=True) export (Pad + AveragePool) is one avgpool counting the pads", async () => {
    const r = spec(padded(0, 'AveragePool'));
    expect(r.spec.nodes.map((n) => n.kind)).toEqual(['input', 'avgpool']);
    expect(r.spec.nodes[1]).toMatchObject({ params: { padding: [1, 1], countIncludePad: true } });
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const out = await predict(padded(0, 'AveragePool'), x, [1, 1, 3, 3]);
    // 4×4 windows of the zero-padded 5×5 image, each averaged over 4 cells
    const p = (i: number, j: number) => (i >= 1 && i <= 3 && j >= 1 && j <= 3 ? x[(i - 1) * 3 + (j - 1)]! : 0);
    const expected = [0, 1, 2, 3].flatMap((i) =>
      [0, 1, 2, 3].map((j) => (p(i, j) + p(i, j + 1) + p(i + 1, j) + p(i + 1, j + 1)) / 4),
    );
    expectClose(out.data, expected);
  });

  it('a zero Pad folds into a Conv; a Pad of 1 before a MaxPool stays a pad node (padding cells would win the max)', async () => {
    expect(spec(padded(0, 'Conv')).spec.nodes.map((n) => n.kind)).toEqual(['input', 'conv2d']);
    expect(spec(padded(1, 'MaxPool')).spec.nodes.map((n) => n.kind)).toEqual(['input', 'pad', 'maxpool']);
    const x = [-1, -2, -3, -4, -5, -6, -7, -8, -9];
    const out = await predict(padded(1, 'MaxPool'), x, [1, 1, 3, 3]);
    const p = (i: number, j: number) => (i >= 1 && i <= 3 && j >= 1 && j <= 3 ? x[(i - 1) * 3 + (j - 1)]! : 1);
    expect(Array.from(out.data)).toEqual(
      [0, 1, 2, 3].flatMap((i) =>
        [0, 1, 2, 3].map((j) => Math.max(p(i, j), p(i, j + 1), p(i + 1, j), p(i + 1, j + 1))),
      ),
    );
  });

  it('other pad modes are refused at load, naming the mode and the node', () => {
    const m = padded(0, 'Conv');
    m.nodes[0]!.attrs = [str('mode', 'reflect')];
    m.nodes[0]!.name = 'reflect_pad';
    expect(() => spec(m)).toThrow(
      /ONNX tiny\.onnx: node "reflect_pad" \(Pad\): mode "reflect" is not supported \(only constant\)/,
    );
  });
});

describe('attributes', () => {
  it('auto_pad SAME_UPPER computes asymmetric pads from the static input size', () => {
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 1, 4, 4] }],
      outputs: ['y'],
      nodes: [
        {
          op: 'MaxPool',
          inputs: ['x'],
          outputs: ['y'],
          attrs: [ints('kernel_shape', [2, 2]), str('auto_pad', 'SAME_UPPER')],
        },
      ],
    };
    expect(spec(m).spec.nodes[1]).toMatchObject({
      kind: 'maxpool',
      params: { kernel: [2, 2], stride: [1, 1], padding: [0, 0, 1, 1] },
    });
    m.nodes[0]!.attrs = [ints('kernel_shape', [2, 2]), str('auto_pad', 'SAME_LOWER')];
    expect(spec(m).spec.nodes[1]).toMatchObject({ params: { padding: [1, 1, 0, 0] } });
  });

  it('Clip: bounds are attributes before opset 11 and inputs since; ReLU6 is Clip(0, 6)', () => {
    const old: TinyModel = {
      opset: 6,
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: ['y'],
      nodes: [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: [float('min', 0), float('max', 6)] }],
    };
    expect(spec(old).spec.nodes[1]).toMatchObject({ kind: 'unary', op: { fn: 'clip', min: 0, max: 6 } });
    const current: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: ['y'],
      initializers: [
        { name: 'lo', shape: [], data: [0] },
        { name: 'hi', shape: [], data: [6] },
      ],
      nodes: [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }],
    };
    expect(spec(current).spec.nodes[1]).toMatchObject({ kind: 'unary', op: { fn: 'clip', min: 0, max: 6 } });
    const noMax: TinyModel = { ...current, nodes: [{ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'] }] };
    expect(spec(noMax).spec.nodes[1]).toMatchObject({ op: { fn: 'clip', min: 0, max: Infinity } });
  });

  it('Gemm alpha, beta and transB scale the weight and bias; a [1, C, 1, 1] constant is per channel', async () => {
    const w = random(6, 3);
    const c = [0.5, -1];
    const gemm: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: ['y'],
      initializers: [
        { name: 'w', shape: [3, 2], data: w },
        { name: 'c', shape: [2], data: c },
      ],
      nodes: [{ op: 'Gemm', inputs: ['x', 'w', 'c'], outputs: ['y'], attrs: [float('alpha', 2), float('beta', 3)] }],
    };
    const x = [1, 2, 3];
    const out = await predict(gemm, x, [1, 3]);
    expectClose(
      out.data,
      [0, 1].map((j) => 2 * x.reduce((s, v, k) => s + v * w[k * 2 + j]!, 0) + 3 * c[j]!),
    );
    const perChannel: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 2, 1, 2] }],
      outputs: ['y'],
      initializers: [{ name: 'g', shape: [1, 2, 1, 1], data: [10, -1] }],
      nodes: [{ op: 'Mul', inputs: ['x', 'g'], outputs: ['y'] }],
    };
    expect(spec(perChannel).spec.nodes[1]).toMatchObject({ kind: 'constop', op: 'mul' });
    expect(spec(perChannel).spec.params.get('Mul_0.value')!.shape).toEqual([2, 1, 1]);
    expectClose((await predict(perChannel, [1, 2, 3, 4], [1, 2, 1, 2])).data, [10, 20, -3, -4]);
  });

  it('Softmax over the batch axis imports in whole-tensor mode (said in the notes); opset < 13 softmax coerces the trailing axes', async () => {
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: [2, 2] }],
      outputs: ['y'],
      nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: [int('axis', 0)] }],
    };
    const out = await predict(m, [0, 1, 2, 3], [2, 2]);
    expect(out.mode).toBe('whole');
    expect(out.notes.join()).toMatch(
      /whole-tensor mode: one row is the whole ONNX tensor \[2, 2\] \(.*axis 0 is the batch axis/,
    );
    const e = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));
    expectClose(out.data, [e(0, 2), e(1, 3), e(2, 0), e(3, 1)]);
    const coerce: TinyModel = {
      opset: 11,
      inputs: [{ name: 'x', shape: ['N', 2, 3] }],
      outputs: ['y'],
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Softmax', inputs: ['r'], outputs: ['y'] },
      ],
    };
    expect(spec(coerce, { keepFinalSoftmax: true }).spec.nodes[2]).toMatchObject({
      kind: 'softmax',
      axis: 0,
      coerce: true,
    });
    expect(spec(coerce).notes.join()).toMatch(/dropped the final Softmax/);
  });
});

describe('inputs and weights', () => {
  const conv = (extra: Partial<TinyModel> = {}): TinyModel => ({
    irVersion: 3,
    opset: 9,
    inputs: [{ name: 'x', shape: [1, 1, 2, 2] }],
    outputs: ['y'],
    initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [3] }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
    ...extra,
  });

  it('weights listed as graph inputs (IR < 4) are weights; a caller binds the others', async () => {
    expectClose((await predict(conv({ weightsAsInputs: true }), [1, 2, 3, 4], [1, 1, 2, 2])).data, [3, 6, 9, 12]);
    const unbound = conv({
      initializers: [],
      inputs: [
        { name: 'x', shape: [1, 1, 2, 2] },
        { name: 'w', shape: [1, 1, 1, 1] },
      ],
    });
    expect(() => spec(unbound)).toThrow(
      /has 2 graph inputs \(x, w\); exactly one activation input is supported \(bind the others with constants\)/,
    );
    const bound = await predict(unbound, [1, 2, 3, 4], [1, 1, 2, 2], {
      constants: new Map([['w', { shape: [1, 1, 1, 1], data: Float32Array.of(-2) }]]),
    });
    expectClose(bound.data, [-2, -4, -6, -8]);
  });

  it('float16 initializers and external data are read', async () => {
    const half = conv({ initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [0x3c00 + 0x400], type: 10 }] }); // 2.0 in binary16
    expectClose((await predict(half, [1, 2, 3, 4], [1, 1, 2, 2])).data, [2, 4, 6, 8]);
    const external = conv({ initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [0], external: 'w.bin' }] });
    expect(() => spec(external)).toThrow(
      /initializer "w": uses external data \("w\.bin"\), but no external-data reader was given/,
    );
    const file = new Uint8Array(new Float32Array([5]).buffer);
    const r = spec(external, { externalData: (location: string) => (location === 'w.bin' ? file : new Uint8Array()) });
    expect(Array.from(r.spec.params.get('Conv_0.weight')!.data)).toEqual([5]);
  });

  it('what cannot be imported is refused at load, naming the op, the attribute and the node', () => {
    const div: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 3], type: 2 }],
      outputs: ['y'],
      initializers: [{ name: 'k', shape: [], data: [2] }],
      nodes: [{ op: 'Div', inputs: ['x', 'k'], outputs: ['y'], name: 'halve' }],
    };
    expect(() => spec(div)).toThrow(
      /node "halve" \(Div\): integer division \(the graph input is UINT8\) is not supported/,
    );
    const dropout: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: ['y'],
      initializers: [
        { name: 'ratio', shape: [], data: [0.5] },
        { name: 'train', shape: [], data: [1], type: 9 },
      ],
      nodes: [{ op: 'Dropout', inputs: ['x', 'ratio', 'train'], outputs: ['y'], name: 'drop' }],
    };
    expect(() => spec(dropout)).toThrow(/node "drop" \(Dropout\): training_mode is set with ratio 0\.5/);
    const bn: TinyModel = {
      opset: 7,
      inputs: [{ name: 'x', shape: ['N', 1, 2, 2] }],
      outputs: ['y'],
      initializers: ['s', 'b', 'm', 'v'].map((name) => ({ name, shape: [1], data: [1] })),
      nodes: [
        {
          op: 'BatchNormalization',
          inputs: ['x', 's', 'b', 'm', 'v'],
          outputs: ['y'],
          name: 'bn',
          attrs: [int('spatial', 0)],
        },
      ],
    };
    expect(() => spec(bn)).toThrow(
      /node "bn" \(BatchNormalization\): spatial=0 \(per-element statistics\) is not supported/,
    );
    const softmax4d: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 2, 2, 2] }],
      outputs: ['y'],
      nodes: [
        { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'] },
        { op: 'Softmax', inputs: ['c'], outputs: ['y'], attrs: [int('axis', 0)], name: 'sm' },
      ],
      initializers: [{ name: 'w', shape: [2, 2, 1, 1], data: [1, 0, 0, 1] }],
    };
    expect(() => spec(softmax4d)).toThrow(
      /node "sm" \(Softmax\): axis 0 is the batch axis: it mixes images along the batch axis/,
    );
  });
});

describe('extra outputs and constant graphs', () => {
  const all = async (m: TinyModel, x: number[], shape: number[]) => {
    const p = onnxPredictor(engine, tinyOnnx(m), { source: 'tiny.onnx' });
    try {
      return { outs: await p.predictAll({ shape, data: Float32Array.from(x) }), mode: p.mode, notes: p.notes };
    } finally {
      p.dispose();
    }
  };

  it("MaxPool's Indices: flattened over the whole NCHW batch, row- or column-major within the plane (storage_order)", async () => {
    const [n, c, h, w, k] = [2, 2, 3, 4, 2];
    const x = random(n * c * h * w, 5).map((v, i) => v + i * 1e-4); // no ties
    const [ho, wo] = [h - k + 1, w - k + 1];
    for (const order of [0, 1]) {
      const m: TinyModel = {
        opset: 12,
        inputs: [{ name: 'x', shape: ['N', c, h, w] }],
        outputs: ['y', 'i'],
        nodes: [
          {
            op: 'MaxPool',
            inputs: ['x'],
            outputs: ['y', 'i'],
            attrs: [ints('kernel_shape', [k, k]), int('storage_order', order)],
          },
        ],
      };
      const values: number[] = [];
      const indices: number[] = [];
      for (let p = 0; p < n * c; p++)
        for (let oh = 0; oh < ho; oh++)
          for (let ow = 0; ow < wo; ow++) {
            let best = [oh, ow];
            for (let dh = 0; dh < k; dh++)
              for (let dw = 0; dw < k; dw++)
                if (x[(p * h + oh + dh) * w + ow + dw]! > x[(p * h + best[0]!) * w + best[1]!]!)
                  best = [oh + dh, ow + dw];
            values.push(x[(p * h + best[0]!) * w + best[1]!]!);
            indices.push(p * h * w + (order === 0 ? best[0]! * w + best[1]! : best[1]! * h + best[0]!));
          }
      const { outs, mode } = await all(m, x, [n, c, h, w]);
      expect(mode).toBe('batch');
      expectClose(outs[0]!.data, values);
      expect(Array.from(outs[1]!.data)).toEqual(indices);
      expect(outs[1]!.shape).toEqual([n, c, ho, wo]);
    }
    const read: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 1, 2, 2] }],
      outputs: ['y'],
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['p', 'i'], attrs: [ints('kernel_shape', [1, 1])], name: 'mp' },
        { op: 'Add', inputs: ['p', 'i'], outputs: ['y'] },
      ],
    };
    expect(() => spec(read)).toThrow(
      /node "mp" \(MaxPool\): its Indices output "i" is read by another node; only a graph output is supported/,
    );
  });

  it('BatchNormalization in training mode: Y by the batch statistics, running_mean / running_var as ONNX updates them; the parameters stay', async () => {
    const [n, c, hw] = [3, 2, 4];
    const x = random(n * c * hw, 6);
    const [s, b, mean, v] = [
      [0.5, -1.5],
      [0.25, 1],
      [0.1, -0.2],
      [0.9, 1.1],
    ];
    const m: TinyModel = {
      opset: 15,
      inputs: [{ name: 'x', shape: [n, c, 2, 2] }],
      outputs: ['y', 'rm', 'rv'],
      initializers: [
        { name: 's', shape: [c], data: s },
        { name: 'b', shape: [c], data: b },
        { name: 'm', shape: [c], data: mean },
        { name: 'v', shape: [c], data: v },
      ],
      nodes: [
        {
          op: 'BatchNormalization',
          inputs: ['x', 's', 'b', 'm', 'v'],
          outputs: ['y', 'rm', 'rv'],
          attrs: [int('training_mode', 1), float('momentum', 0.75), float('epsilon', 0.01)],
        },
      ],
    };
    const at = (i: number, ch: number, j: number) => x[(i * c + ch) * hw + j]!;
    const ix = [...Array(n).keys()].flatMap((i) => [...Array(hw).keys()].map((j) => [i, j] as const));
    const mu = [0, 1].map((ch) => ix.reduce((a, [i, j]) => a + at(i, ch, j), 0) / ix.length);
    const sigma2 = [0, 1].map((ch) => ix.reduce((a, [i, j]) => a + (at(i, ch, j) - mu[ch]!) ** 2, 0) / ix.length);
    const y = x.map((_, k) => {
      const ch = Math.floor(k / hw) % c;
      return ((x[k]! - mu[ch]!) / Math.sqrt(sigma2[ch]! + 0.01)) * s[ch]! + b[ch]!;
    });
    for (let round = 0; round < 2; round++) {
      // (twice: running statistics are outputs, never written back into the model)
      const { outs, mode } = await all(m, x, [n, c, 2, 2]);
      expect(mode).toBe('whole');
      expectClose(outs[0]!.data, y);
      expectClose(
        outs[1]!.data,
        mean.map((r, ch) => 0.75 * r + 0.25 * mu[ch]!),
      );
      expectClose(
        outs[2]!.data,
        v.map((r, ch) => 0.75 * r + 0.25 * sigma2[ch]!),
      );
    }
  });

  it('a graph without input returns its constants; an empty input folds to its (empty) outputs; what does not fold is refused', async () => {
    const constant: TinyModel = {
      inputs: [],
      outputs: ['y'],
      initializers: [{ name: 'k', shape: [2, 2], data: [1, 2, 3, 4] }],
      nodes: [{ op: 'Identity', inputs: ['k'], outputs: ['y'] }],
    };
    const c = await all(constant, [], [0]);
    expect(c.outs.map((o) => [o.shape, Array.from(o.data)])).toEqual([
      [
        [2, 2],
        [1, 2, 3, 4],
      ],
    ]);
    expect(c.notes.join()).toMatch(/no input: its outputs are constants/);
    const empty: TinyModel = {
      opset: 14,
      inputs: [{ name: 'x', shape: [0, 3] }],
      outputs: ['y'],
      initializers: [{ name: 'shape', shape: [3], data: [3, 1, 0], type: 7 }],
      nodes: [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['y'], attrs: [int('allowzero', 1)] }],
    };
    const e = await all(empty, [], [0, 3]);
    expect(e.outs.map((o) => [o.shape, o.data.length])).toEqual([[[3, 1, 0], 0]]);
    await expect(all(empty, [], [3, 0])).rejects.toThrow(/^model onnx: input has shape \[3, 0\], expected \[0, 3\]$/);
    const conv: TinyModel = {
      inputs: [{ name: 'x', shape: [0, 1, 2, 2] }],
      outputs: ['y'],
      initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [1] }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'c' }],
    };
    await expect(all(conv, [], [0, 1, 2, 2])).rejects.toThrow(
      /node "c" \(Conv\): the graph input "x" is empty \(\[0, 1, 2, 2\]\), so every node must fold to a constant, and this op does not/,
    );
  });
});

describe('real models: free input sizes, a static batch of 1 (issue #22)', () => {
  // PaddleOCR's classifier declares [-1, 3, -1, -1]: a 1×1 conv, a global pool, a flatten
  const free = FREE_SIZES_MODEL;

  it('inputShape fixes the free sizes; without it the import names them; a shape that does not fit is refused', () => {
    expect(() => spec(free)).toThrow(
      /^ONNX tiny\.onnx: graph input "x" has shape \[-1, 3, -1, -1\]: its free sizes after N must be fixed \(inputShape \/ --input-shape, e\.g\. 3,S,S\)$/,
    );
    expect(spec(free, { inputShape: [3, 4, 5] }).spec.info.inputShape).toEqual([3, 4, 5]);
    expect(() => spec(free, { inputShape: [2, 4, 5] })).toThrow(
      /inputShape \[2, 4, 5\] does not fit: graph input "x" has shape \[-1, 3, -1, -1\]/,
    );
  });

  it('predict: the first input binds the free sizes; a later input of another size is refused naming both shapes', async () => {
    const p = onnxPredictor(engine, tinyOnnx(free), { source: 'tiny.onnx' });
    try {
      const x = random(2 * 3 * 4 * 5, 3);
      const out = await p.predict({ shape: [2, 3, 4, 5], data: Float32Array.from(x) });
      const mean = (b: number, o: number) =>
        [0, 1, 2].reduce(
          (s, c) =>
            s +
            (free.initializers![0]!.data[o * 3 + c]! *
              x.slice((b * 3 + c) * 20, (b * 3 + c + 1) * 20).reduce((a, v) => a + v, 0)) /
              20,
          0,
        );
      expectClose(out.data, [mean(0, 0), mean(0, 1), mean(1, 0), mean(1, 1)], 1e-4);
      expect(p.notes.join()).toMatch(/fixed by the first input: \[N, 3, 4, 5\]/);
      await expect(p.predict({ shape: [1, 3, 6, 6], data: new Float32Array(108) })).rejects.toThrow(
        /^model onnx: input has shape \[1, 3, 6, 6\], but the first input fixed the free sizes of the input \[-1, 3, -1, -1\] to \[N, 3, 4, 5\]/,
      );
    } finally {
      p.dispose();
    }
  });

  it("a static-batch-1 export (PyTorch's x.view(1, -1)) is imported per row and takes any batch", async () => {
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: [1, 2, 2, 2] }],
      outputs: ['y'],
      initializers: [
        { name: 'w', shape: [1, 2, 1, 1], data: [1, -2] },
        { name: 's', shape: [2], data: [1, -1], type: 7 },
        { name: 'fc', shape: [4, 2], data: [1, 0, 0, 1, 1, 1, -1, 0] },
      ],
      nodes: [
        { op: 'Conv', name: 'c', inputs: ['x', 'w'], outputs: ['c'] },
        { op: 'Reshape', name: 'view', inputs: ['c', 's'], outputs: ['v'] },
        { op: 'MatMul', inputs: ['v', 'fc'], outputs: ['y'] },
      ],
    };
    const x = random(16, 5);
    const r = await predict(m, x, [2, 2, 2, 2]);
    expect(r.mode).toBe('batch');
    expect(r.notes.join()).toMatch(/static batch of 1: it is imported per row/);
    const want = [0, 1].flatMap((b) => {
      const c = [0, 1, 2, 3].map((p) => x[b * 8 + p]! - 2 * x[b * 8 + 4 + p]!);
      return [0, 1].map((o) => c.reduce((s, v, k) => s + v * [1, 0, 0, 1, 1, 1, -1, 0][k * 2 + o]!, 0));
    });
    expectClose(r.data, want, 1e-4);
  });
});
