import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createEngine, type Engine } from '../../src/gpu/engine.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import type { Model, ModelInfo } from '../../src/nn/model.js';
import { refBackward, refForward } from '../reference/graph.js';
import * as refBn from '../reference/batch-norm.js';

/** conv-relu → maxpool → conv-relu → GAP → linear: the '3-layer CNN' of the runtime acceptance. */
function threeLayer(): {
  g: GraphBuilder;
  info: { name: string; inputShape: [number, number, number]; numClasses: number; representationNode: number };
} {
  const g = new GraphBuilder();
  let h = g.conv2d('conv1', 0, 1, 4, 3, { padding: 1, relu: true });
  h = g.maxPool('pool1', h, { kernel: 2 });
  h = g.conv2d('conv2', h, 4, 8, 3, { padding: 1, relu: true });
  const rep = g.globalAvgPool('gap', h);
  g.linear('fc', rep, 8, 10);
  return { g, info: { name: 'three-layer', inputShape: [1, 8, 8], numClasses: 10, representationNode: rep } };
}

/** Every node kind: BN (+relu), residual conv epilogue, add+relu, avg pool, flatten, linear+relu. */
function everyKind(): {
  g: GraphBuilder;
  info: { name: string; inputShape: [number, number, number]; numClasses: number; representationNode: number };
} {
  const g = new GraphBuilder();
  let h = g.conv2d('stem', 0, 3, 4, 3, { padding: 1, bias: false });
  h = g.batchNorm('bn', h, 4, { relu: true });
  const branch = g.conv2d('b1', h, 4, 4, 3, { padding: 1, relu: true });
  h = g.conv2d('b2', branch, 4, 4, 3, { padding: 1, residual: h, relu: true });
  const proj = g.conv2d('proj', h, 4, 6, 1, { stride: 2 });
  const down = g.conv2d('down', h, 4, 6, 3, { stride: 2, padding: 1, groups: 2 });
  h = g.add('join', down, proj, { relu: true });
  h = g.avgPool('avg', h, { kernel: 2 });
  h = g.maxPool('max', h, { kernel: 2, stride: 1 });
  const flat = g.flatten('flat', h);
  const hidden = g.linear('fc1', flat, 6, 5, { relu: true });
  h = g.relu('relu_again', hidden);
  g.linear('fc2', h, 5, 3);
  return { g, info: { name: 'every-kind', inputShape: [3, 9, 9], numClasses: 3, representationNode: h } };
}

/** 1-D layers on [N, C, L]: conv1d (dilated, strided, grouped, residual epilogue), BN, max / avg / global pooling. */
function sequence(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  let h = g.conv1d('stem', 0, 3, 4, 3, { padding: 1, bias: false });
  h = g.batchNorm('bn', h, 4, { relu: true });
  const branch = g.conv1d('b1', h, 4, 4, 3, { padding: 2, dilation: 2, relu: true });
  h = g.conv1d('b2', branch, 4, 4, 3, { padding: 1, residual: h, relu: true });
  h = g.conv1d('down', h, 4, 6, 3, { stride: 2, padding: 1, groups: 2 }); // 13 → 7
  h = g.maxPool1d('max', h, { kernel: 3, stride: 1, padding: 1 });
  h = g.avgPool1d('avg', h, { kernel: 2 }); // 7 → 3
  const a = g.globalAvgPool('gap', h);
  const b = g.linear('skip', g.flatten('flat', h), 18, 6);
  const rep = g.add('join', a, b, { relu: true });
  g.linear('fc', rep, 6, 3);
  return { g, info: { name: 'sequence', inputShape: [3, 13], numClasses: 3, representationNode: rep } };
}

/** ONNX geometry in a graph: SAME_UPPER conv pads, dilated ceil-mode max pooling, ceil-mode average pooling with counted pads. */
function onnxGeometry(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  let h = g.conv2d('same', 0, 2, 4, 3, { stride: 2, padding: [0, 0, 1, 1], relu: true }); // 9x8 → 4x4
  h = g.maxPool('dilated', h, { kernel: 2, stride: 1, dilation: 2, padding: [1, 1, 0, 1], ceilMode: true }); // → 3x4
  h = g.avgPool('ceil', h, { kernel: 2, padding: [1, 0, 0, 1], ceilMode: true, countIncludePad: true }); // → 2x2
  g.linear('fc', g.flatten('flat', h), 16, 3);
  return { g, info: { name: 'onnx-geometry', inputShape: [2, 9, 8], numClasses: 3, representationNode: h } };
}

/** The same on [N, C, L]: [begin, end] pads, dilation and ceil mode through conv1d / maxPool1d / avgPool1d. */
function onnxGeometry1d(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  let h = g.conv1d('conv', 0, 3, 4, 4, { stride: 2, padding: [2, 1] }); // 11 → 6
  h = g.maxPool1d('max', h, { kernel: 2, stride: 2, dilation: 2, padding: [1, 2], ceilMode: true }); // → 4
  h = g.avgPool1d('avg', h, { kernel: 3, stride: 2, padding: [0, 2], ceilMode: true, countIncludePad: false }); // → 2 (a third window would start in the end pad)
  g.linear('fc', g.flatten('flat', h), 8, 3);
  return { g, info: { name: 'onnx-geometry-1d', inputShape: [3, 11], numClasses: 3, representationNode: h } };
}

/** Tabular [N, D]: linear+relu, BN over features, a softmax inside, add, linear head. */
function tabular(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  const h = g.linear('fc1', 0, 10, 8, { relu: true });
  const bn = g.batchNorm('bn', h, 8);
  const p = g.softmax('attn', g.linear('fc2', bn, 8, 8));
  const rep = g.add('join', p, bn);
  g.linear('head', rep, 8, 4);
  return { g, info: { name: 'tabular', inputShape: [10], numClasses: 4, representationNode: rep } };
}

function oneHotSeed(engine: Engine, n: number, classes: number, targets: number[]): Tensor {
  const s = new Float32Array(n * classes);
  targets.forEach((t, i) => (s[i * classes + t] = 1));
  return Tensor.from(engine, s, [n, classes], { label: 'seed' });
}

/** Non-trivial BN statistics so the test can tell BN from identity. */
function withBnStats(values: Map<string, { shape: number[]; data: Float32Array }>, rng: Rng) {
  for (const [name, v] of values) {
    if (name.endsWith('running_var')) v.data.set(rng.uniform(v.data.length, 0.5, 2));
    else if (name.endsWith('running_mean') || (name.startsWith('bn.') && v.shape.length === 1))
      v.data.set(rng.uniform(v.data.length, -0.5, 0.5));
  }
  return values;
}

/** GPU logits, input and parameter gradients vs the float64 graph reference; `values` may adjust the random parameters. */
export async function compareWithReference(
  engine: Engine,
  build: () => { g: GraphBuilder; info: ModelInfo },
  batch: number,
  seed: number,
  adjust?: (values: Map<string, { shape: number[]; data: Float32Array }>) => void,
): Promise<void> {
  const { g, info } = build();
  const rng = new Rng(seed);
  const values = withBnStats(initParameters(g, seed), rng);
  adjust?.(values);
  const model = buildModel(engine, g, info, values);
  const xShape = [batch, ...info.inputShape];
  const x = Float32Array.from(rng.uniform(xShape.reduce((a, b) => a * b, 1)));
  const targets = Array.from({ length: batch }, (_, i) => i % info.numClasses);
  const tx = Tensor.from(engine, x, xShape);
  const tape = model.forward(tx, { record: true });
  const logits = await tape.output.download();
  const seedT = oneHotSeed(engine, batch, info.numClasses, targets);
  const { dx, params } = tape.backward(seedT, { params: true });
  const dxGpu = await dx.download();

  const refParams = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
  const shapes = new Map([...values].map(([k, v]) => [k, v.shape]));
  const fw = refForward(g.nodes, refParams, shapes, Float64Array.from(x), xShape);
  const last = g.nodes.length - 1;
  expectClose(logits, fw.outs[last]!, { rtol: 1e-4, atol: 1e-5 }, `${info.name} logits`);
  const seedRef = new Float64Array(batch * info.numClasses);
  targets.forEach((t, i) => (seedRef[i * info.numClasses + t] = 1));
  const bw = refBackward(g.nodes, refParams, shapes, fw, new Map([[last, seedRef]]));
  expectClose(dxGpu, bw.dx, { rtol: 1e-3, atol: 1e-5 }, `${info.name} input gradient`);
  for (const [name, grad] of params!) {
    expectClose(
      await grad.download(),
      bw.params.get(name)!,
      { rtol: 1e-3, atol: 2e-5 },
      `${info.name} gradient of ${name}`,
    );
    grad.dispose();
  }
  for (const t of [dx, seedT, tx]) t.dispose();
  tape.dispose();
  model.dispose();
}

export default defineCases('nn', (test) => {
  test('every node kind: logits, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, everyKind, 3, 11);
  });

  test('1-D layers on [N, C, L] inputs: logits, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, sequence, 3, 12);
  });

  test('ONNX conv / pooling geometry (asymmetric pads, dilation, ceil mode), 2-D and 1-D: logits, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, onnxGeometry, 3, 14);
    await compareWithReference(engine, onnxGeometry1d, 2, 15);
  });

  test('[N, D] inputs (linear, BN, softmax, add): logits, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, tabular, 4, 13);
  });

  for (const oneD of [false, true])
    test(`training mode${oneD ? ' on [N, C, L]' : ''}: batch norms use batch statistics (forward vs float64), update running ones, and their input shift has zero gradient`, async (engine) => {
      const g = new GraphBuilder();
      // with a bias: a per-channel shift of BN's input
      const conv = oneD ? g.conv1d('conv', 0, 2, 3, 3, { padding: 1 }) : g.conv2d('conv', 0, 2, 3, 3, { padding: 1 });
      const bn = g.batchNorm('bn', conv, 3, {});
      const rep = g.globalAvgPool('gap', g.relu('act', bn));
      g.linear('fc', rep, 3, 4);
      const info = { name: 'bn-train', inputShape: oneD ? [2, 25] : [2, 5, 5], numClasses: 4, representationNode: rep };
      const values = initParameters(g, 5);
      const model = buildModel(engine, g, info, values);
      const rng = new Rng(8);
      const n = 6;
      const xs = Float32Array.from(rng.uniform(n * 50, 0, 1));
      const x = Tensor.from(engine, xs, [n, ...info.inputShape]);
      // the float64 BN takes [N, C, H, W]; a [N, C, L] activation is one row high
      const bnShape = oneD ? [n, 3, 1, 25] : [n, 3, 5, 5];
      const seed = Tensor.from(engine, Float32Array.from(rng.uniform(n * 4, -1, 1)), [n, 4]);
      const grads = async (training: boolean) => {
        const tape = model.forward(x, { record: true, training });
        const conv1 = await tape.nodeOutput(conv).download();
        const bnOut = await tape.nodeOutput(bn).download();
        const { dx, params } = tape.backward(seed, { params: true });
        const db = await params!.get('conv.bias')!.download();
        const dw = await params!.get('conv.weight')!.download();
        for (const t of [dx, ...params!.values()]) t.dispose();
        tape.dispose();
        return { conv1, bnOut, db, dw };
      };
      const running0 = await model.params.get('bn.running_mean')!.download();
      const train = await grads(true);
      // forward: BN normalised by the batch's own statistics
      const stats = refBn.batchStatistics(train.conv1, bnShape);
      const bnp = {
        gamma: Float64Array.from(values.get('bn.weight')!.data),
        beta: Float64Array.from(values.get('bn.bias')!.data),
        mean: stats.mean,
        variance: stats.variance,
        eps: 1e-5,
      };
      expectClose(
        train.bnOut,
        refBn.batchNorm(Float64Array.from(train.conv1), bnShape, bnp),
        { rtol: 1e-4, atol: 1e-5 },
        'training BN output',
      );
      // running mean moved 10 % of the way to the batch mean
      expectClose(
        await model.params.get('bn.running_mean')!.download(),
        running0.map((r, c) => 0.9 * r + 0.1 * stats.mean[c]!),
        { rtol: 1e-5, atol: 1e-6 },
        'running mean',
      );
      // BN(x + b_c) = BN(x) per channel with batch statistics: the conv bias cannot change the loss
      const inference = await grads(false);
      const scale = Math.max(...Array.from(inference.db, Math.abs));
      assert(scale > 1e-3, `inference-mode bias gradient ${inference.db} is ~0: the test cannot fail`);
      assert(
        Math.max(...Array.from(train.db, Math.abs)) < 1e-4 * Math.max(1, scale),
        `training-mode conv bias gradient ${train.db} is not ~0`,
      );
      assert(
        train.dw.some((v, i) => Math.abs(v - inference.dw[i]!) > 1e-4),
        'training and inference weight gradients agree',
      );
      for (const t of [x, seed]) t.dispose();
      model.dispose();
    });

  test('3-layer CNN, batch 32: forward+backward is one submission and no readback', async (engine) => {
    const { g, info } = threeLayer();
    const model = buildModel(engine, g, info);
    const x = Tensor.from(engine, new Rng(5).uniform(32 * 64), [32, 1, 8, 8]);
    const seed = oneHotSeed(
      engine,
      32,
      10,
      Array.from({ length: 32 }, (_, i) => i % 10),
    );
    await engine.sync(); // parameter and input uploads are not part of the measured work
    const before = { ...engine.stats };
    const tape = model.forward(x, { record: true });
    const { dx, params } = tape.backward(seed, { params: true });
    assert(
      engine.stats.submissions === before.submissions,
      `forward+backward submitted ${engine.stats.submissions - before.submissions} times before any download`,
    );
    assert(engine.stats.readbacks === before.readbacks, 'forward+backward read back data');
    assert(engine.stats.dispatches > before.dispatches + 8, 'forward+backward recorded too few dispatches');
    const grad = await dx.download();
    assert(
      engine.stats.submissions === before.submissions + 1,
      `expected exactly 1 submission, got ${engine.stats.submissions - before.submissions}`,
    );
    assert(engine.stats.readbacks === before.readbacks + 1, 'expected exactly 1 readback');
    assert(grad.some((v) => v !== 0) && grad.every(Number.isFinite), 'input gradient is zero or non-finite');
    for (const t of params!.values()) t.dispose();
    for (const t of [dx, x, seed]) t.dispose();
    tape.dispose();
    model.dispose();
  });

  test('200 forward+backward rounds leave the live buffer count unchanged', async (engine) => {
    const { g, info } = threeLayer();
    const model = buildModel(engine, g, info);
    const x = Tensor.from(engine, new Rng(6).uniform(4 * 64), [4, 1, 8, 8]);
    const seed = oneHotSeed(engine, 4, 10, [1, 2, 3, 4]);
    const round = () => {
      const tape = model.forward(x, { record: true });
      const { dx, params } = tape.backward(seed, { params: true });
      dx.dispose();
      for (const t of params!.values()) t.dispose();
      tape.dispose();
      engine.flush();
    };
    round();
    await engine.sync();
    const live = engine.poolStats().liveBuffers;
    const created = engine.poolStats().created;
    for (let i = 0; i < 200; i++) round();
    await engine.sync();
    const after = engine.poolStats();
    assert(after.liveBuffers === live, `live buffers went from ${live} to ${after.liveBuffers}`);
    assert(
      after.created === created,
      `the pool created ${after.created - created} new buffers during steady-state rounds`,
    );
    for (const t of [x, seed]) t.dispose();
    model.dispose();
  });

  test('a batch over the binding limit is split and gives the same results', async () => {
    // 3x9x9 images: the largest activation is 4*9*9 floats = 1296 B per image; 2 KiB holds one.
    const small = await createEngine({ maxBindingBytes: 2048 });
    try {
      const { g, info } = everyKind();
      const model = buildModel(small, g, info);
      assert(model.maxBatchPerPass() === 1, `expected 1 image per pass, got ${model.maxBatchPerPass()}`);
      model.dispose();
      await compareWithReference(small, everyKind, 3, 12);
    } finally {
      small.dispose();
    }
  });

  test('model input and tape misuse give clear errors', async (engine) => {
    const { g, info } = threeLayer();
    const model: Model = buildModel(engine, g, info);
    const bad = Tensor.zeros(engine, [2, 3, 8, 8]);
    await expectThrows(
      () => model.forward(bad),
      /input has shape \[2, 3, 8, 8\], expected \[N, 1, 8, 8\]/,
      'wrong channels',
    );
    const x = Tensor.zeros(engine, [2, 1, 8, 8]);
    const tape = model.forward(x);
    const seed = oneHotSeed(engine, 2, 10, [0, 1]);
    await expectThrows(() => tape.backward(seed), /without \{ record: true \}/, 'backward without record');
    tape.dispose();
    const tape2 = model.forward(x, { record: true });
    const wrong = Tensor.zeros(engine, [2, 9]);
    await expectThrows(() => tape2.backward(wrong), /seed .* has shape \[2, 9\], expected \[2, 10\]/, 'seed shape');
    tape2.backward(seed).dx.dispose();
    await expectThrows(() => tape2.backward(seed), /already called/, 'second backward');
    tape2.dispose();
    await expectThrows(
      () =>
        model.setParameters(new Map([['fc.weight', { shape: [3, 3], data: new Float32Array(9) }]]), { strict: false }),
      /'fc.weight' has shape \[3, 3\], expected \[10, 8\]/,
      'weight shape',
    );
    for (const t of [bad, x, seed, wrong]) t.dispose();
    model.dispose();
    await expectThrows(() => model.forward(x), /used after dispose/, 'disposed model');
  });
});
