/**
 * TF.js graph models → pathlight graphs, on tiny graphs built here (one or a few ops each, every
 * supported op and attribute) and checked against TF.js's own CPU backend on the same model.json
 * and shards: logits within 1e-4 of the largest |logit|, input gradients within 1e-3 relative L2
 * (TF.js's gradients taken through the unfused graph: it has no gradient for fused Relu6 / Prelu /
 * LeakyRelu). Then the weight encodings and the importer's refusals.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { explain } from '../src/attribution/explain.js';
import { modelFromTfjs, importTfjs } from '../src/models/tfjs/load.js';
import { loadModel, loadPredictor } from '../src/models/load.js';
import { parsePredictFlags } from '../src/cli/predict-command.js';
import { parseFlags } from '../src/cli/flags.js';
import { readTfjsWeights } from '../src/models/tfjs/format.js';
import { relL2 } from './harness/assert.js';
import { Rng } from './harness/random.js';
import { TinyGraph, type Encoding } from './harness/tfjs-graph.js';
import {
  nchwToNhwc,
  nhwcToNchw,
  tfjsFiniteDifferences,
  tfjsGraphModel,
  tfjsReference,
  unfused,
} from './harness/tfjs-reference.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const maxAbs = (a: ArrayLike<number>) => Array.from(a, Math.abs).reduce((m, v) => Math.max(m, v), 0);

/**
 * Import `g` and compare with TF.js on 2 random inputs of TF shape [N, ...tfShape]; `logits`: the
 * TF node holding the logits (the graph's output unless it ends in a Softmax / Sigmoid).
 */
async function checkAgainstTfjs(
  g: TinyGraph,
  tfShape: number[],
  logits: string,
  options: { encoding?: Encoding; shards?: number; finiteDifferences?: boolean } = {},
): Promise<{ notes: string[]; kinds: string[] }> {
  const { json, shards, bytes } = g.build(options.encoding, options.shards);
  const { model, notes } = modelFromTfjs(engine, json, shards);
  try {
    const n = 2;
    const row = tfShape.length === 3 ? [tfShape[2]!, tfShape[0]!, tfShape[1]!] : tfShape;
    expect(model.info.inputShape).toEqual(row);
    const size = row.reduce((a, b) => a * b, 1);
    const x = Float32Array.from(new Rng(7).uniform(n * size, -1, 1));
    const toTf = (v: Float32Array) => (row.length === 3 ? nchwToNhwc(v, [n, ...row]) : v);
    const want = await tfjsReference(await tfjsGraphModel(json, bytes), toTf(x), [n, ...tfShape], logits);
    const t = Tensor.from(engine, x, [n, ...row]);
    const out = model.logits(t);
    const got = await out.download();
    t.dispose();
    out.dispose();
    expect(got.length).toBe(want.logits.length);
    expect(maxAbs(got.map((v, i) => v - want.logits[i]!)), 'max |logit − TF.js|').toBeLessThanOrEqual(
      1e-4 * maxAbs(want.logits),
    );

    const classes = model.info.numClasses;
    const targets = [0, 1].map((b) => (b * 2 + 1) % classes);
    const wantGrad = options.finiteDifferences
      ? await tfjsFiniteDifferences(await tfjsGraphModel(json, bytes), toTf(x), [n, ...tfShape], logits, targets)
      : (await tfjsReference(await tfjsGraphModel(unfused(json), bytes), toTf(x), [n, ...tfShape], logits, targets))
          .grad!;
    const r = await explain(engine, model, x, { method: 'grad', target: targets });
    const grad = row.length === 3 ? nhwcToNchw(wantGrad, [n, ...row]) : wantGrad;
    for (let b = 0; b < n; b++)
      expect(
        relL2(r.attribution.subarray(b * size, (b + 1) * size), grad.subarray(b * size, (b + 1) * size)),
        `input gradient of image ${b}`,
      ).toBeLessThan(1e-3);
    return { notes, kinds: model.nodes.map((m) => m.kind) };
  } finally {
    model.dispose();
  }
}

/** Global mean over H and W, then a dense layer to `classes` (the usual head). */
function head(g: TinyGraph, x: string, channels: number, classes = 3): string {
  const m = g.op('Mean', 'gap', [x, g.ints('gap/axes', [1, 2])], { keep_dims: false });
  return g.op('_FusedMatMul', 'logits', [m, g.const('dense/w', [channels, classes]), g.const('dense/b', [classes])], {
    fused_ops: ['BiasAdd'],
    num_args: 1,
    transpose_a: false,
    transpose_b: false,
  });
}

const conv = (
  g: TinyGraph,
  name: string,
  x: string,
  k: [number, number, number, number],
  attrs: Record<string, string | number[]>,
  op = 'Conv2D',
) =>
  g.op(op, name, [x, g.const(`${name}/w`, k)], {
    data_format: 'NHWC',
    dilations: [1, 1, 1, 1],
    strides: [1, 1, 1, 1],
    ...attrs,
  });

describe('tfjs import vs TF.js CPU', () => {
  it('Conv2D SAME (symmetric) + BiasAdd + Relu, Mean over H and W, _FusedMatMul, a final Softmax dropped', async () => {
    const g = new TinyGraph(1);
    const x = g.input([6, 6, 2]);
    const c = conv(g, 'conv', x, [3, 3, 2, 4], { padding: 'SAME' });
    const r = g.op('Relu', 'relu', [g.op('BiasAdd', 'bias', [c, g.const('conv/b', [4])])]);
    g.op('Identity', 'Identity', [g.op('Softmax', 'softmax', [head(g, r, 4)])]);
    const { notes, kinds } = await checkAgainstTfjs(g, [6, 6, 2], 'logits');
    expect(notes).toEqual([expect.stringMatching(/dropped the final Softmax \(softmax\)/)]);
    // the BiasAdd became the conv's bias and the Relu its epilogue
    expect(kinds).toEqual(['input', 'conv2d', 'gap', 'linear']);
  });

  it('SAME with the odd pad at the end: stride 2 on an even size, a 2×2 kernel; VALID; EXPLICIT', async () => {
    const g = new TinyGraph(2);
    const x = g.input([8, 7, 2]);
    const a = conv(g, 'a', x, [3, 3, 2, 3], { padding: 'SAME', strides: [1, 2, 2, 1] }); // 8 → 4 (pads 0 / 1), 7 → 4 (1 / 1)
    const b = conv(g, 'b', a, [2, 2, 3, 3], { padding: 'SAME' }); // pads 0 / 1 on both axes
    const d = conv(g, 'd', b, [2, 1, 3, 2], { padding: 'VALID' });
    const e = conv(g, 'e', d, [3, 3, 2, 2], { padding: 'EXPLICIT', explicit_paddings: [0, 0, 2, 1, 0, 1, 0, 0] });
    await checkAgainstTfjs(g, [8, 7, 2], head(g, e, 2));
  });

  it('a dilated SAME convolution (TF.js has no gradient for it: finite differences of its forward)', async () => {
    const g = new TinyGraph(12);
    const x = g.input([7, 6, 2]);
    const c = conv(g, 'c', x, [3, 2, 2, 3], { padding: 'SAME', dilations: [1, 2, 3, 1] }); // pads 2 / 2 and 1 / 2
    await checkAgainstTfjs(g, [7, 6, 2], head(g, c, 3), { finiteDifferences: true });
  });

  it('_FusedConv2D with BiasAdd + Relu6, BiasAdd + Prelu, BiasAdd + LeakyRelu', async () => {
    const g = new TinyGraph(3);
    const x = g.input([6, 5, 4]);
    const fused = (
      name: string,
      input: string,
      ops: string[],
      extra: string[] = [],
      attrs: Record<string, number> = {},
    ) =>
      g.op(
        '_FusedConv2D',
        name,
        [
          input,
          g.const(`${name}/w`, [3, 3, 4, 4]),
          g.const(`${name}/b`, [4], new Rng(name.length).uniform(4, 2, 5)),
          ...extra,
        ],
        {
          data_format: 'NHWC',
          dilations: [1, 1, 1, 1],
          strides: [1, 1, 1, 1],
          padding: 'SAME',
          fused_ops: ops,
          num_args: 1 + extra.length,
          ...attrs,
        },
      );
    const a = fused('relu6', x, ['BiasAdd', 'Relu6']);
    const b = fused('prelu', a, ['BiasAdd', 'Prelu'], [g.const('prelu/alpha', [4])]);
    const c = fused('leaky', b, ['BiasAdd', 'LeakyRelu'], [], { leakyrelu_alpha: 0.3 });
    await checkAgainstTfjs(g, [6, 5, 4], head(g, c, 4));
  });

  it('DepthwiseConv2dNative (multiplier 2, SAME, stride 2) and FusedDepthwiseConv2dNative with BiasAdd + Relu', async () => {
    const g = new TinyGraph(4);
    const x = g.input([7, 6, 3]);
    const a = conv(g, 'dw', x, [3, 3, 3, 2], { padding: 'SAME', strides: [1, 2, 2, 1] }, 'DepthwiseConv2dNative');
    const b = g.op('FusedDepthwiseConv2dNative', 'fdw', [a, g.const('fdw/w', [3, 3, 6, 1]), g.const('fdw/b', [6])], {
      data_format: 'NHWC',
      dilations: [1, 1, 1, 1],
      strides: [1, 1, 1, 1],
      padding: 'SAME',
      fused_ops: ['BiasAdd', 'Relu'],
      num_args: 1,
    });
    const { kinds } = await checkAgainstTfjs(g, [7, 6, 3], head(g, b, 6));
    expect(kinds.filter((k) => k === 'conv2d')).toHaveLength(2);
  });

  it('MaxPool and AvgPool, SAME (odd pad at the end; the average excludes padding) and VALID', async () => {
    const g = new TinyGraph(5);
    const x = g.input([7, 8, 2]);
    const pool = (op: string, name: string, input: string, k: number, s: number, padding: string) =>
      g.op(op, name, [input], { data_format: 'NHWC', ksize: [1, k, k, 1], strides: [1, s, s, 1], padding });
    const a = pool('MaxPool', 'max', x, 2, 2, 'SAME'); // 7 → 4 (pads 0 / 1), 8 → 4 (none)
    const b = pool('AvgPool', 'avg', a, 3, 1, 'SAME');
    const c = pool('AvgPool', 'avg2', b, 2, 1, 'SAME'); // pads 0 / 1
    const d = pool('MaxPool', 'max2', c, 2, 1, 'VALID');
    // TF.js's CPU AvgPool gradient ignores SAME's excluded padding: finite differences of its forward instead
    await checkAgainstTfjs(g, [7, 8, 2], head(g, d, 2), { finiteDifferences: true });
  });

  it('a flatten in HWC order (Reshape) into MatMul: the weight rows permuted, no transpose', async () => {
    const g = new TinyGraph(6);
    const x = g.input([3, 4, 5]);
    const flat = g.op('Reshape', 'flatten', [x, g.ints('flatten/shape', [-1, 60])]);
    // an elementwise op between the flatten and the MatMul runs on the unflattened activation
    const r = g.op('Relu', 'relu', [flat]);
    const h = g.op('_FusedMatMul', 'fc1', [r, g.const('fc1/w', [60, 8]), g.const('fc1/b', [8])], {
      fused_ops: ['BiasAdd', 'Relu'],
      num_args: 1,
      transpose_a: false,
      transpose_b: false,
    });
    const out = g.op('MatMul', 'fc2', [h, g.const('fc2/w', [3, 8])], { transpose_a: false, transpose_b: true });
    const logits = g.op('BiasAdd', 'fc2/bias', [out, g.const('fc2/b', [3])]);
    g.op('Sigmoid', 'sigmoid', [logits]);
    const { notes, kinds } = await checkAgainstTfjs(g, [3, 4, 5], logits);
    expect(notes).toEqual([expect.stringMatching(/dropped the final Sigmoid/)]);
    expect(kinds).toEqual(['input', 'relu', 'flatten', 'linear', 'linear']);
  });

  it('normalisation and batch norm as constants: Sub, RealDiv, Mul + AddV2 per channel, a scalar, FusedBatchNormV3', async () => {
    const g = new TinyGraph(7);
    const x = g.input([5, 5, 3]);
    const a = g.op('RealDiv', 'div', [
      g.op('Sub', 'sub', [x, g.const('mean', [3], [0.4, 0.5, 0.6])]),
      g.const('std', [1, 1, 1, 3], [0.2, 0.25, 0.3]),
    ]);
    const c = conv(g, 'conv', a, [3, 3, 3, 4], { padding: 'VALID' });
    const bn = g.op('AddV2', 'bn/add', [
      g.op('Mul', 'bn/mul', [c, g.const('bn/scale', [4])]),
      g.const('bn/shift', [4]),
    ]);
    const s = g.op('Sub', 'rsub', [g.const('two', [], [2]), g.op('Mul', 'half', [bn, g.const('half/c', [], [0.5])])]);
    const f = g.op(
      'FusedBatchNormV3',
      'fbn',
      [
        s,
        g.const('fbn/gamma', [4]),
        g.const('fbn/beta', [4]),
        g.const('fbn/mean', [4]),
        g.const('fbn/var', [4], [0.5, 1, 1.5, 2]),
      ],
      { data_format: 'NHWC', epsilon: 0.001, is_training: false },
    );
    await checkAgainstTfjs(g, [5, 5, 3], head(g, g.op('Relu6', 'relu6', [f]), 4));
  });

  it('Pad, PadV2, ConcatV2 on channels, AddV2 of two activations, Mean with keep_dims + Squeeze', async () => {
    const g = new TinyGraph(8);
    const x = g.input([5, 6, 2]);
    const p = g.op('Pad', 'pad', [x, g.ints('pad/p', [0, 0, 1, 2, 0, 1, 0, 0], [4, 2])]);
    const a = conv(g, 'a', p, [3, 3, 2, 3], { padding: 'VALID' }); // [6, 5, 3]
    const b = conv(g, 'b', x, [1, 2, 2, 3], { padding: 'SAME' }); // [5, 6, 3]
    const bp = g.op('PadV2', 'padv2', [
      b,
      g.ints('padv2/p', [0, 0, 1, 0, 0, 0, 0, 0], [4, 2]),
      g.const('padv2/v', [], [0.25]),
    ]);
    const bc = conv(g, 'bc', bp, [1, 2, 3, 3], { padding: 'VALID' }); // [6, 5, 3]
    const cat = g.op('ConcatV2', 'concat', [g.op('AddV2', 'sum', [a, bc]), a, g.ints('concat/axis', [-1], [])], {
      N: 2,
    });
    const m = g.op('Mean', 'mean', [cat, g.ints('mean/axes', [1, 2])], { keep_dims: true });
    const sq = g.op('Squeeze', 'squeeze', [m], { squeeze_dims: [1, 2] });
    const logits = g.op('MatMul', 'fc', [sq, g.const('fc/w', [6, 4])], { transpose_a: false, transpose_b: false });
    await checkAgainstTfjs(g, [5, 6, 2], logits);
  });

  it('a dense model on [N, D]: MatMul, BiasAdd, Relu, Softmax inside, Identity', async () => {
    const g = new TinyGraph(9);
    const x = g.input([6]);
    const h = g.op('Relu', 'relu', [
      g.op('BiasAdd', 'b1', [g.op('MatMul', 'fc1', [x, g.const('w1', [6, 5])]), g.const('bias1', [5])]),
    ]);
    const s = g.op('Softmax', 'inner', [h]);
    const logits = g.op('Identity', 'out', [g.op('MatMul', 'fc2', [s, g.const('w2', [5, 3])])]);
    await checkAgainstTfjs(g, [6], logits);
  });

  it.each([
    ['float16', 1],
    ['uint8', 1],
    ['uint16', 3],
  ] as const)('weights as %s in %i shard(s)', async (encoding, shards) => {
    const g = new TinyGraph(10);
    const x = g.input([6, 6, 2]);
    const c = g.op('_FusedConv2D', 'conv', [x, g.const('conv/w', [3, 3, 2, 4]), g.const('conv/b', [4])], {
      data_format: 'NHWC',
      dilations: [1, 1, 1, 1],
      strides: [1, 2, 2, 1],
      padding: 'SAME',
      fused_ops: ['BiasAdd', 'Relu'],
      num_args: 1,
    });
    await checkAgainstTfjs(g, [6, 6, 2], head(g, c, 4), { encoding, shards });
  });
});

describe('tfjs weights', () => {
  it('dequantises uint8 / uint16 as q · scale + min and widens float16', () => {
    const json = {
      modelTopology: { node: [] },
      weightsManifest: [
        {
          paths: ['a.bin'],
          weights: [
            { name: 'u8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
            { name: 'u16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 2 } },
            { name: 'f16', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
            { name: 'i32', shape: [1], dtype: 'int32' },
          ],
        },
      ],
    };
    const bytes = new Uint8Array([0, 2, 255, 4, 0, 1, 1, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xfe, 0xff, 0xff, 0xff]);
    const w = readTfjsWeights(json, bytes, 'm.json');
    expect([...w.get('u8')!.data]).toEqual([-1, 0, 126.5]);
    expect([...w.get('u16')!.data]).toEqual([3, 2 + 0.25 * 257]);
    expect([...w.get('f16')!.data]).toEqual([1, -2, 2 ** -24]);
    expect([...w.get('i32')!.data]).toEqual([-2]);
    expect(() => readTfjsWeights(json, bytes.subarray(0, 10), 'm.json')).toThrow(
      /m\.json: the weight shards hold 10 bytes; weight "f16" needs bytes 7–13/,
    );
    expect(() => readTfjsWeights(json, new Uint8Array([...bytes, 0]), 'm.json')).toThrow(
      /hold 18 bytes, the manifest describes 17/,
    );
  });
});

describe('tfjs refusals (one line, naming the op and node)', () => {
  const tiny = (edit: (g: TinyGraph, x: string) => string) => {
    const g = new TinyGraph(11);
    const x = g.input([4, 4, 2]);
    edit(g, x);
    return g.build();
  };
  const refuse = (edit: (g: TinyGraph, x: string) => string) => {
    const { json, bytes } = tiny(edit);
    return () => importTfjs(json, bytes, { source: 'tiny.json' });
  };

  it('an unsupported op', () => {
    expect(refuse((g, x) => head(g, g.op('Cumsum', 'cum', [x, g.ints('cum/axis', [1], [])]), 2))).toThrow(
      /^tiny\.json: node "cum" \(Cumsum\): op Cumsum is not supported by the TF\.js importer$/,
    );
  });

  it('NCHW data_format, strides on the batch axis, unsupported fused ops, an activation × activation MatMul', () => {
    expect(
      refuse((g, x) => head(g, conv(g, 'c', x, [1, 1, 2, 2], { padding: 'VALID', data_format: 'NCHW' }), 2)),
    ).toThrow(/node "c" \(Conv2D\): data_format NCHW is not supported/);
    expect(
      refuse((g, x) => head(g, conv(g, 'c', x, [1, 1, 2, 2], { padding: 'VALID', strides: [2, 1, 1, 1] }), 2)),
    ).toThrow(/node "c" \(Conv2D\): strides \[2, 1, 1, 1\] must be \[1, h, w, 1\]/);
    expect(
      refuse((g, x) =>
        head(
          g,
          g.op('_FusedConv2D', 'f', [x, g.const('f/w', [1, 1, 2, 2]), g.const('f/b', [2])], {
            padding: 'VALID',
            fused_ops: ['BiasAdd', 'Swish'],
          }),
          2,
        ),
      ),
    ).toThrow(/node "f" \(_FusedConv2D\): fused_ops \[BiasAdd, Swish\] are not supported/);
    expect(
      refuse((g, x) => {
        const m = g.op('Mean', 'm', [x, g.ints('m/a', [1, 2])], { keep_dims: false });
        return g.op('MatMul', 'mm', [m, m], {});
      }),
    ).toThrow(
      /node "mm" \(MatMul\): input 1 \("m"\) must be a constant weight \(activation × activation is not supported\)/,
    );
  });

  it('two outputs, an unknown input size, a missing weight', () => {
    expect(
      refuse((g, x) => {
        g.op('Relu', 'r1', [x]);
        return g.op('Relu', 'r2', [x]);
      }),
    ).toThrow(/^tiny\.json: has 2 outputs \(r1, r2\); exactly one/);
    const { json, bytes } = tiny((g, x) => head(g, x, 2));
    json.modelTopology.node[0]!.attr!.shape!.shape!.dim![1]!.size = '-1';
    expect(() => importTfjs(json, bytes, { source: 'tiny.json' })).toThrow(
      /node "input" \(Placeholder\): input shape \[-1, -1, 4, 2\] has free sizes after N: fix them with inputShape \/ --input-shape \(C,H,W or D; here 2,S,4\)$/,
    );
    json.modelTopology.node[0]!.attr!.shape!.shape!.dim![1]!.size = '0';
    expect(() => importTfjs(json, bytes, { source: 'tiny.json' })).toThrow(
      /node "input" \(Placeholder\): input shape \[-1, 0, 4, 2\]; expected \[N, H, W, C\] or \[N, D\] with fixed sizes after N/,
    );
    const missing = tiny((g, x) => head(g, x, 2));
    missing.json.weightsManifest[0]!.weights = missing.json.weightsManifest[0]!.weights.filter(
      (w) => w.name !== 'dense/w',
    );
    expect(() =>
      importTfjs(missing.json, missing.bytes.subarray(0, missing.bytes.length - 24), { source: 'tiny.json' }),
    ).toThrow(/node "dense\/w" \(Const\): no weight of that name in weightsManifest/);
  });
});

describe('tfjs files', () => {
  it('loadModel reads model.json and its shards beside it; a missing shard or a path out of the folder is one line', async () => {
    const g = new TinyGraph(13);
    const x = g.input([4, 4, 2]);
    head(g, conv(g, 'c', x, [3, 3, 2, 3], { padding: 'SAME' }), 3);
    const { json, shards } = g.build('float32', 2);
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-tfjs-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    json.weightsManifest[0]!.paths.forEach((p, k) => writeFileSync(join(dir, p), shards[k]!));
    const fromFile = await loadModel(engine, join(dir, 'model.json'));
    const inMemory = modelFromTfjs(engine, json, shards);
    const input = Tensor.from(engine, Float32Array.from(new Rng(3).uniform(32, 0, 1)), [1, 2, 4, 4]);
    const [a, b] = [fromFile.model.logits(input), inMemory.model.logits(input)];
    expect([...(await a.download())]).toEqual([...(await b.download())]);
    for (const t of [a, b, input]) t.dispose();
    fromFile.model.dispose();
    inMemory.model.dispose();

    writeFileSync(
      join(dir, 'missing.json'),
      JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0]!, paths: ['nope.bin'] }] }),
    );
    await expect(loadModel(engine, join(dir, 'missing.json'))).rejects.toThrow(
      /^weight shard of .*missing\.json: file .*nope\.bin does not exist$/,
    );
    writeFileSync(
      join(dir, 'escape.json'),
      JSON.stringify({ ...json, weightsManifest: [{ ...json.weightsManifest[0]!, paths: ['../x.bin'] }] }),
    );
    await expect(loadModel(engine, join(dir, 'escape.json'))).rejects.toThrow(
      /^weight shard of .*escape\.json: "\.\.\/x\.bin" is not a relative path inside the model's folder /,
    );
    writeFileSync(join(dir, 'bad.json'), '{ "format": ');
    await expect(loadModel(engine, join(dir, 'bad.json'))).rejects.toThrow(/bad\.json: not valid JSON/);
  });
});

describe('tfjs real models (issue #22)', () => {
  it('predict keeps a final Softmax / Sigmoid (explain still drops it); inputShape fixes free sizes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-tfjs-final-'));
    const x = Float32Array.from(new Rng(4).uniform(8, -1, 1));
    for (const op of ['Softmax', 'Sigmoid']) {
      const g = new TinyGraph(21);
      g.op(op, 'prob', [g.op('MatMul', 'logits', [g.input([4]), g.const('w', [4, 3])], {})]);
      const { json, shards } = g.build();
      writeFileSync(join(dir, `${op}.json`), JSON.stringify(json));
      writeFileSync(join(dir, json.weightsManifest[0]!.paths[0]!), shards[0]!);
      const explained = await loadModel(engine, join(dir, `${op}.json`));
      expect(explained.notes.join()).toMatch(new RegExp(`dropped the final ${op} \\(prob\\)`));
      const t = Tensor.from(engine, x, [2, 4]);
      const out = explained.model.logits(t);
      const logits = await out.download();
      for (const v of [t, out]) v.dispose();
      explained.model.dispose();
      const p = await loadPredictor(engine, join(dir, `${op}.json`));
      const got = (await p.predict({ shape: [2, 4], data: x })).data;
      p.dispose();
      expect(p.notes).toEqual([]);
      const want = [0, 1].flatMap((b) => {
        const row = Array.from(logits.subarray(b * 3, b * 3 + 3));
        const total = row.reduce((s, v) => s + Math.exp(v), 0);
        return row.map((v) => (op === 'Softmax' ? Math.exp(v) / total : 1 / (1 + Math.exp(-v))));
      });
      want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
    }

    const g = new TinyGraph(22);
    head(g, conv(g, 'c', g.input([4, 4, 2]), [1, 1, 2, 2], { padding: 'VALID' }), 2);
    const { json, bytes } = g.build();
    json.modelTopology.node[0]!.attr!.shape!.shape!.dim!.forEach((d, i) =>
      i === 1 || i === 2 ? (d.size = '-1') : undefined,
    );
    expect(importTfjs(json, bytes, { inputShape: [2, 6, 5] }).spec.info.inputShape).toEqual([2, 6, 5]);
    expect(() => importTfjs(json, bytes, { source: 'm.json', inputShape: [3, 6, 5] })).toThrow(
      /node "input" \(Placeholder\): inputShape \[3, 6, 5\] does not fit the input shape \[-1, -1, -1, 2\]/,
    );
    expect(() => importTfjs(json, bytes, { source: 'm.json' })).toThrow(
      /has free sizes after N: fix them with inputShape \/ --input-shape \(C,H,W or D; here 2,S,S\)/,
    );
    // predict: the first input binds the free sizes, a later one of other sizes is refused naming both
    writeFileSync(join(dir, 'free.json'), JSON.stringify(json));
    writeFileSync(join(dir, json.weightsManifest[0]!.paths[0]!), bytes);
    const p = await loadPredictor(engine, join(dir, 'free.json'));
    try {
      expect(p.inputShape).toEqual([-1, 2, -1, -1]);
      expect((await p.predict({ shape: [2, 2, 6, 5], data: new Float32Array(120).fill(0.5) })).shape).toEqual([2, 3]);
      expect(p.notes.join()).toMatch(/fixed by the first input: \[N, 2, 6, 5\]/);
      await expect(p.predict({ shape: [1, 2, 4, 4], data: new Float32Array(32) })).rejects.toThrow(
        /^model free\.json: input has shape \[1, 2, 4, 4\], but the first input fixed the free sizes of the input \[-1, 2, -1, -1\] to \[N, 2, 6, 5\]/,
      );
    } finally {
      p.dispose();
    }
  });

  it('predict and explain take --input-shape C,H,W and --max-model-bytes N', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-flags-'));
    writeFileSync(join(dir, 'x.npy'), '');
    const req = parsePredictFlags(
      parseFlags([
        '--model',
        'lenet',
        '--input',
        join(dir, 'x.npy'),
        '--input-shape',
        '3,48,192',
        '--max-model-bytes',
        '5000000',
      ]),
    );
    expect([req.inputShape, req.maxModelBytes]).toEqual([[3, 48, 192], 5_000_000]);
    expect(() =>
      parsePredictFlags(parseFlags(['--model', 'lenet', '--input', join(dir, 'x.npy'), '--input-shape', '3,x'])),
    ).toThrow(/--input-shape needs the input's sizes after N as positive decimal integers/);
    expect(() =>
      parsePredictFlags(parseFlags(['--model', 'lenet', '--input', join(dir, 'x.npy'), '--max-model-bytes', '0'])),
    ).toThrow(/--max-model-bytes needs a positive decimal integer/);
  });
});
