/**
 * Cross-node fusions of an explanation's forward + backward: the explain seed taken through the
 * model's last linear layer (explainSeed with its weight) against its float64 reference, the reference
 * against finite differences, a fused LeNet's gradients and attributions against the unfused
 * path (relu masks in the max-pool backward off, the seed and the last layer's backward apart), and
 * a relu node's gradient finished by its last reader (the sum of its readers' parts and the relu
 * mask in a conv's input-gradient epilogue, the mask in a global average pool's backward) against
 * float64 and the unfused backward (add + relu backward).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad } from '../reference/finite-diff.js';
import { softmax } from '../reference/softmax.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { explainSeed, type ExplainedOutput } from '../../src/attribution/kernels/explain-seed.js';
import { modelSubject } from '../../src/attribution/model-subject.js';
import { explain } from '../../src/attribution/index.js';
import { fuseModel, modelFromSpec } from '../../src/models/fuse.js';
import { zooSpec } from '../../src/models/zoo.js';
import { GraphBuilder, type GraphNode } from '../../src/nn/graph.js';
import type { Engine } from '../../src/gpu/engine.js';
import type { BackwardResult, Model, ModelInfo } from '../../src/nn/model.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import { refBackward, refForward } from '../reference/graph.js';
import { compareWithReference } from './nn.cases.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const FD_TOL = { rtol: 1e-6, atol: 1e-7 };

/** Σ_b f_b of logits = x·Wᵀ + bias (x [B, F], W [K, F]), f the target logit or probability; float64. */
function explainedSum(
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array,
  targets: number[],
  s: number,
  k: number,
  output: ExplainedOutput,
): number {
  const rows = x.length / (w.length / k);
  const fs = w.length / k;
  const logits = new Float64Array(rows * k).map(
    (_, i) =>
      bias[i % k]! +
      Array.from({ length: fs }, (_, j) => x[Math.floor(i / k) * fs + j]! * w[(i % k) * fs + j]!).reduce(
        (a, b) => a + b,
        0,
      ),
  );
  const y = output === 'prob' ? softmax(logits, rows, k) : logits;
  return targets
    .flatMap((t, n) => Array.from({ length: s }, (_, r) => y[(n * s + r) * k + t]!))
    .reduce((a, b) => a + b, 0);
}

/** seed · W per row, seed = ∂f/∂logits (one-hot, or p_t (δ − p) for the probability). */
function seedThroughLinear(
  logits: Float64Array,
  w: Float64Array,
  targets: number[],
  s: number,
  k: number,
  output: ExplainedOutput,
): Float64Array {
  const rows = logits.length / k;
  const fs = w.length / k;
  const p = softmax(logits, rows, k);
  const dx = new Float64Array(rows * fs);
  for (let b = 0; b < rows; b++) {
    const t = targets[Math.floor(b / s)]!;
    for (let c = 0; c < k; c++) {
      const seed = output === 'prob' ? p[b * k + t]! * ((c === t ? 1 : 0) - p[b * k + c]!) : c === t ? 1 : 0;
      for (let j = 0; j < fs; j++) dx[b * fs + j]! += seed * w[c * fs + j]!;
    }
  }
  return dx;
}

/** The same spec with the relu masks of its max pools left to the relus (the unfused backward). */
function withoutPoolMasks(nodes: GraphNode[]): GraphNode[] {
  return nodes.map((n) => ({
    ...n,
    reluMaskedByReaders: undefined,
    ...(n.kind === 'maxpool' ? { maskRelu: undefined } : {}),
  }));
}

/** ∇f the unfused way: the seed kernel, then backward from the logits. */
async function unfusedGradients(
  model: Model,
  x: Tensor,
  targets: Tensor,
  output: ExplainedOutput,
): Promise<Float32Array> {
  const tape = model.forward(x, { record: true });
  const { seed, f } = explainSeed(tape.output, targets, 1, output);
  const { dx } = tape.backward(seed);
  const g = await dx.download();
  for (const t of [seed, f, dx]) t.dispose();
  tape.dispose();
  return g;
}

/** The same model with its readers' finishing off (Model.finishesInputGradient emptied): sums by add, masks by relu backward. */
function withoutInputGradientFusion(model: Model): Model {
  (model.finishesInputGradient as Map<number, number>).clear();
  return model;
}

/**
 * Relu nodes read twice: each conv kind of last reader (strided phases, stride 1, a 1×1 stride 2
 * whose cleared columns take the epilogue apart) with and without a residual, and the readers that
 * must not fuse (the model input, a residual-only reader, an add, a conv reading its input twice).
 */
function twoReaders(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  const a = g.conv2d('a', 0, 2, 4, 3, { padding: 1, relu: true }); // 1, 9×9: read by c1 (last reader) and ds
  const c1 = g.conv2d('c1', a, 4, 4, 3, { stride: 2, padding: 1, relu: true }); // 2, 5×5: read by c2 alone
  const c2 = g.conv2d('c2', c1, 4, 4, 3, { padding: 1 }); // 3
  const ds = g.conv2d('ds', a, 4, 4, 1, { stride: 2, residual: c2, relu: true }); // 4: read by e (1×1 stride 2, last) and f
  const e = g.conv2d('e', ds, 4, 4, 1, { stride: 2, relu: true }); // 5, 3×3: read by f as its residual only
  const f = g.conv2d('f', ds, 4, 4, 3, { stride: 2, padding: 1, residual: e, relu: true }); // 6: read by h (last) and the add
  const h = g.conv2d('h', f, 4, 4, 3, { padding: 1, relu: true }); // 7: read by the add only
  const sum = g.add('sum', h, f, { relu: true }); // 8: read by k as input and residual
  const k = g.conv2d('k', sum, 4, 4, 3, { padding: 1, residual: sum, relu: true }); // 9: read by the pool alone (its mask rides there)
  const rep = g.globalAvgPool('gap', k); // 10
  g.linear('fc', rep, 4, 3);
  return { g, info: { name: 'two-readers', inputShape: [2, 9, 9], numClasses: 3, representationNode: rep } };
}

/** Op names of the dispatches `work` records. */
function opsOf(engine: Engine, work: () => void): string[] {
  const ops: string[] = [];
  const run = engine.run;
  engine.run = (p) => (ops.push(p.op), run.call(engine, p));
  try {
    work();
  } finally {
    engine.run = run;
  }
  return ops;
}

const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;

/** dx (and parameter gradients) of one backward seeded at `seeds` (node → values), with the ops it dispatched. */
async function backwardOf(model: Model, x: Tensor, seeds: Map<number, Float32Array>, params = false) {
  const tape = model.forward(x, { record: true });
  const seedTensors = new Map([...seeds].map(([i, v]) => [i, Tensor.from(model.engine, v, tape.nodeOutput(i).shape)]));
  let r: BackwardResult | undefined;
  const ops = opsOf(model.engine, () => (r = tape.backward(seedTensors, { params })));
  const dx = await r!.dx.download();
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of r!.params ?? []) grads.set(name, await g.download());
  for (const t of [r!.dx, ...(r!.params?.values() ?? []), ...seedTensors.values()]) t.dispose();
  tape.dispose();
  return { dx, grads, ops };
}

export default defineCases('fusion', (test) => {
  // odd features (F = 5, 13) and classes (K = 7, 1), several rows per image
  for (const [k, fs, s] of [
    [7, 5, 2],
    [10, 13, 3],
    [1, 4, 1],
  ] as [number, number, number][]) {
    for (const output of ['logit', 'prob'] as const) {
      test(`explainSeed through a linear layer K=${k} F=${fs} rows/image=${s} ${output}: seed · W and f match float64 and finite differences`, async (engine) => {
        const rng = new Rng(k * 100 + fs + s);
        const targets = Array.from({ length: 3 }, (_, n) => (n * 5) % k);
        const rows = targets.length * s;
        const x = rng.uniform(rows * fs);
        const w = asF32(rng.uniform(k * fs));
        const bias = asF32(rng.uniform(k));
        const logits = asF32(
          new Float64Array(rows * k).map(
            (_, i) =>
              bias[i % k]! +
              Array.from({ length: fs }, (_, j) => x[Math.floor(i / k) * fs + j]! * w[(i % k) * fs + j]!).reduce(
                (a, b) => a + b,
                0,
              ),
          ),
        );
        const tl = Tensor.from(engine, logits, [rows, k]);
        const tt = Tensor.from(engine, Float32Array.from(targets), [targets.length]);
        const tw = Tensor.from(engine, w, [k, fs]);
        const { seed, f } = explainSeed(tl, tt, s, output, tw);
        const want = seedThroughLinear(logits, w, targets, s, k, output);
        expectClose(await seed.download(), want, TOL, 'seed · W');
        const p = softmax(logits, rows, k);
        const wantF = Array.from(
          { length: rows },
          (_, b) => (output === 'prob' ? p : logits)[b * k + targets[Math.floor(b / s)]!]!,
        );
        expectClose(await f.download(), wantF, TOL, 'f');
        const fd = numericGrad((z) => explainedSum(z, w, bias, targets, s, k, output), x);
        expectClose(
          seedThroughLinear(logits, w, targets, s, k, output),
          fd,
          { rtol: 1e-5, atol: 1e-6 },
          'reference vs finite differences',
        );
        for (const t of [tl, tt, tw, seed, f]) t.dispose();
      });
    }
  }

  test('explainSeed rejects a weight that does not make the logits', async (engine) => {
    const logits = Tensor.zeros(engine, [2, 3]);
    const targets = Tensor.zeros(engine, [2]);
    const w = Tensor.zeros(engine, [4, 5]);
    const before = engine.stats.dispatches;
    await expectThrows(
      () => explainSeed(logits, targets, 1, 'logit', w),
      /explainSeed: the last layer's weight \[4, 5\] does not make the 3 logits/,
      'weight rows',
    );
    await expectThrows(
      () => explainSeed(logits, targets, 2, 'logit', w),
      /explainSeed: logits \[2, 3\] do not hold 2 rows for each of 2 targets/,
      'rows',
    );
    assert(engine.stats.dispatches === before, 'dispatched before rejecting');
    for (const t of [logits, targets, w]) t.dispose();
  });

  test('fused LeNet: ∇f, and IG / Guided IG attributions, equal the unfused path, with 3 dispatches fewer per forward + backward', async (engine) => {
    const spec = fuseModel(zooSpec('lenet', undefined, 7));
    assert(
      spec.nodes.filter((n) => n.kind === 'maxpool' && n.maskRelu).length === 2 &&
        spec.nodes.filter((n) => n.reluMaskedByReaders).length === 2,
      'both LeNet pools read a conv relu: both take its mask',
    );
    const fused = modelFromSpec(engine, spec);
    const unfused = modelFromSpec(engine, { ...spec, nodes: withoutPoolMasks(spec.nodes) });
    const rows = 3;
    const data = Float32Array.from(new Rng(8).uniform(rows * 784, 0, 1));
    const x = Tensor.from(engine, data, [rows, 1, 28, 28]);
    const targets = Tensor.from(engine, Float32Array.of(1, 7, 3), [rows]);
    try {
      for (const output of ['logit', 'prob'] as const) {
        const request = { targets, targetList: [1, 7, 3], pointsPerImage: 1, output };
        const d0 = engine.stats.dispatches;
        const { f, grad } = await modelSubject(fused).gradients(x, request);
        const d1 = engine.stats.dispatches;
        const want = await unfusedGradients(unfused, x, targets, output);
        const d2 = engine.stats.dispatches;
        assert(
          d2 - d1 - (d1 - d0) === 3,
          `${output}: fused forward + backward took ${d1 - d0} dispatches, unfused ${d2 - d1}: expected 3 fewer (2 relu backwards, 1 seed)`,
        );
        const g = await grad!.download();
        expectClose(
          g,
          want,
          { rtol: 1e-5, atol: 1e-6 * Math.max(...want.map(Math.abs)) },
          `${output}: fused vs unfused ∇f`,
        );
        f.dispose();
        grad!.dispose();
      }
      for (const method of ['ig', 'gig']) {
        const options = { method, steps: 16, target: [1, 7, 3] };
        const a = await explain(engine, fused, data, options);
        const b = await explain(engine, unfused, data, options);
        expectClose(
          a.attribution,
          b.attribution,
          { rtol: 1e-4, atol: 1e-6 * Math.max(...b.attribution.map(Math.abs)) },
          `${method}: fused vs unfused attributions`,
        );
      }
    } finally {
      for (const t of [x, targets]) t.dispose();
      fused.dispose();
      unfused.dispose();
    }
  });

  test('relu gradients finished by their last reader (convs, a pool): a graph of two-reader relus matches float64 (input and parameter gradients)', async (engine) => {
    const { g, info } = twoReaders();
    const model = buildModel(engine, g, info);
    assert(
      [...model.finishesInputGradient].join(' ') === '2,1 3,2 5,4 7,6 10,9',
      `fused readers → inputs: ${[...model.finishesInputGradient].join(' ')}`,
    );
    model.dispose();
    await compareWithReference(engine, twoReaders, 3, 21);
  });

  test('two-reader relus: seeds at the logits, at a fused relu node and at the pooled one (its mask then not in the pool) give the float64 and the unfused gradients, with 2 adds and 3 relu backwards fewer', async (engine) => {
    const { g, info } = twoReaders();
    const values = initParameters(g, 22);
    const fused = buildModel(engine, g, info, values);
    const unfused = withoutInputGradientFusion(buildModel(engine, g, info, values));
    const rng = new Rng(23);
    const n = 2;
    const xs = Float32Array.from(rng.uniform(n * 162));
    const x = Tensor.from(engine, xs, [n, ...info.inputShape]);
    const seeds = new Map([
      [11, Float32Array.from(rng.uniform(n * 3))],
      [6, Float32Array.from(rng.uniform(n * 36))],
      [9, Float32Array.from(rng.uniform(n * 36))],
    ]);
    try {
      const a = await backwardOf(fused, x, seeds, true);
      const b = await backwardOf(unfused, x, seeds, true);
      const refParams = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
      const shapes = new Map([...values].map(([k, v]) => [k, v.shape]));
      const fw = refForward(g.nodes, refParams, shapes, Float64Array.from(xs), [n, ...info.inputShape]);
      const want = refBackward(
        g.nodes,
        refParams,
        shapes,
        fw,
        new Map([...seeds].map(([i, v]) => [i, Float64Array.from(v)])),
      );
      expectClose(a.dx, want.dx, { rtol: 1e-4, atol: 1e-5 }, 'fused dx vs float64');
      expectClose(a.dx, b.dx, { rtol: 1e-5, atol: 1e-6 * Math.max(...b.dx.map(Math.abs)) }, 'fused vs unfused dx');
      for (const [name, gb] of b.grads)
        expectClose(
          a.grads.get(name)!,
          gb,
          { rtol: 1e-5, atol: 1e-6 * Math.max(1, ...gb.map(Math.abs)) },
          `fused vs unfused gradient of ${name}`,
        );
      // fused away: a's and f's last sums (by c1, h) and the masks of a, c1, f; the 1×1 stride-2 conv e adds and masks ds's apart
      const [adds, masks] = ['add', 'relu_backward'].map((op) => [count(b.ops, op), count(a.ops, op)] as const);
      assert(
        adds[0] - adds[1] === 2 && masks[0] - masks[1] === 3,
        `adds ${adds.join(' → ')}, relu backwards ${masks.join(' → ')}`,
      );
    } finally {
      x.dispose();
      fused.dispose();
      unfused.dispose();
    }
  });

  test('fused ResNet: ∇f, parameter gradients and IG / Guided IG attributions equal the unfused backward, with no relu backward or add left', async (engine) => {
    const spec = fuseModel(zooSpec('resnet', undefined, 7));
    const fused = modelFromSpec(engine, spec);
    const unfused = withoutInputGradientFusion(modelFromSpec(engine, spec));
    const rows = 2;
    const data = Float32Array.from(new Rng(9).uniform(rows * 3 * 32 * 32, 0, 1));
    const x = Tensor.from(engine, data, [rows, 3, 32, 32]);
    const last = spec.nodes.length - 1;
    const seeds = new Map([[last, Float32Array.from(new Rng(10).uniform(rows * 10))]]);
    try {
      const a = await backwardOf(fused, x, seeds, true);
      const b = await backwardOf(unfused, x, seeds, true);
      expectClose(a.dx, b.dx, { rtol: 1e-5, atol: 1e-6 * Math.max(...b.dx.map(Math.abs)) }, 'fused vs unfused ∇f');
      for (const [name, gb] of b.grads)
        expectClose(
          a.grads.get(name)!,
          gb,
          { rtol: 1e-5, atol: 1e-6 * Math.max(1, ...gb.map(Math.abs)) },
          `fused vs unfused gradient of ${name}`,
        );
      const summary = (ops: string[]) =>
        `${count(ops, 'relu_backward')} relu backwards, ${count(ops, 'add')} adds, ${ops.length} dispatches`;
      assert(count(b.ops, 'relu_backward') === 13 && count(b.ops, 'add') === 6, `unfused: ${summary(b.ops)}`);
      assert(
        count(a.ops, 'relu_backward') === 0 && count(a.ops, 'add') === 0 && b.ops.length - a.ops.length === 19,
        `fused: ${summary(a.ops)}`,
      );
      for (const method of ['ig', 'gig']) {
        const options = { method, steps: 8, target: [1, 7] };
        const fa = await explain(engine, fused, data, options);
        const fb = await explain(engine, unfused, data, options);
        expectClose(
          fa.attribution,
          fb.attribution,
          { rtol: 1e-4, atol: 1e-6 * Math.max(...fb.attribution.map(Math.abs)) },
          `${method}: fused vs unfused attributions`,
        );
      }
    } finally {
      x.dispose();
      fused.dispose();
      unfused.dispose();
    }
  });
});
