/**
 * Cross-node fusions of an explanation's forward + backward: the explain seed taken through the
 * model's last linear layer (explainSeed with its weight) against its float64 reference, the reference
 * against finite differences, and a fused LeNet's gradients and attributions against the unfused
 * path (relu masks in the max-pool backward off, the seed and the last layer's backward apart).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad } from '../reference/finite-diff.js';
import { softmax } from '../reference/softmax.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { explainSeed, type ExplainedOutput } from '../../src/attribution/explain-seed.js';
import { modelSubject } from '../../src/attribution/model-subject.js';
import { explain } from '../../src/attribution/index.js';
import { fuseModel, modelFromSpec } from '../../src/models/fuse.js';
import { zooSpec } from '../../src/models/zoo.js';
import type { GraphNode } from '../../src/nn/graph.js';
import type { Model } from '../../src/nn/model.js';

const TOL = { rtol: 1e-5, atol: 1e-6 };
const FD_TOL = { rtol: 1e-6, atol: 1e-7 };

/** Σ_b f_b of logits = x·Wᵀ + bias (x [B, F], W [K, F]), f the target logit or probability; float64. */
function explainedSum(x: Float64Array, w: Float64Array, bias: Float64Array, targets: number[], s: number, k: number, output: ExplainedOutput): number {
  const rows = x.length / (w.length / k);
  const fs = w.length / k;
  const logits = new Float64Array(rows * k).map((_, i) => bias[i % k]! + Array.from({ length: fs }, (_, j) => x[Math.floor(i / k) * fs + j]! * w[(i % k) * fs + j]!).reduce((a, b) => a + b, 0));
  const y = output === 'prob' ? softmax(logits, rows, k) : logits;
  return targets.flatMap((t, n) => Array.from({ length: s }, (_, r) => y[(n * s + r) * k + t]!)).reduce((a, b) => a + b, 0);
}

/** seed · W per row, seed = ∂f/∂logits (one-hot, or p_t (δ − p) for the probability). */
function seedThroughLinear(logits: Float64Array, w: Float64Array, targets: number[], s: number, k: number, output: ExplainedOutput): Float64Array {
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
  return nodes.map((n) => ({ ...n, reluMaskedByReaders: undefined, ...(n.kind === 'maxpool' ? { maskRelu: undefined } : {}) }));
}

/** ∇f the unfused way: the seed kernel, then backward from the logits. */
async function unfusedGradients(model: Model, x: Tensor, targets: Tensor, output: ExplainedOutput): Promise<Float32Array> {
  const tape = model.forward(x, { record: true });
  const { seed, f } = explainSeed(tape.output, targets, 1, output);
  const { dx } = tape.backward(seed);
  const g = await dx.download();
  for (const t of [seed, f, dx]) t.dispose();
  tape.dispose();
  return g;
}

export default defineCases('fusion', (test) => {
  // odd features (F = 5, 13) and classes (K = 7, 1), several rows per image
  for (const [k, fs, s] of [[7, 5, 2], [10, 13, 3], [1, 4, 1]] as [number, number, number][]) {
    for (const output of ['logit', 'prob'] as const) {
      test(`explainSeed through a linear layer K=${k} F=${fs} rows/image=${s} ${output}: seed · W and f match float64 and finite differences`, async (engine) => {
        const rng = new Rng(k * 100 + fs + s);
        const targets = Array.from({ length: 3 }, (_, n) => (n * 5) % k);
        const rows = targets.length * s;
        const x = rng.uniform(rows * fs);
        const w = asF32(rng.uniform(k * fs));
        const bias = asF32(rng.uniform(k));
        const logits = asF32(new Float64Array(rows * k).map((_, i) => bias[i % k]! + Array.from({ length: fs }, (_, j) => x[Math.floor(i / k) * fs + j]! * w[(i % k) * fs + j]!).reduce((a, b) => a + b, 0)));
        const tl = Tensor.from(engine, logits, [rows, k]);
        const tt = Tensor.from(engine, Float32Array.from(targets), [targets.length]);
        const tw = Tensor.from(engine, w, [k, fs]);
        const { seed, f } = explainSeed(tl, tt, s, output, tw);
        const want = seedThroughLinear(logits, w, targets, s, k, output);
        expectClose(await seed.download(), want, TOL, 'seed · W');
        const p = softmax(logits, rows, k);
        const wantF = Array.from({ length: rows }, (_, b) => (output === 'prob' ? p : logits)[b * k + targets[Math.floor(b / s)]!]!);
        expectClose(await f.download(), wantF, TOL, 'f');
        const fd = numericGrad((z) => explainedSum(z, w, bias, targets, s, k, output), x);
        expectClose(seedThroughLinear(logits, w, targets, s, k, output), fd, { rtol: 1e-5, atol: 1e-6 }, 'reference vs finite differences');
        for (const t of [tl, tt, tw, seed, f]) t.dispose();
      });
    }
  }

  test('explainSeed rejects a weight that does not make the logits', async (engine) => {
    const logits = Tensor.zeros(engine, [2, 3]);
    const targets = Tensor.zeros(engine, [2]);
    const w = Tensor.zeros(engine, [4, 5]);
    const before = engine.stats.dispatches;
    await expectThrows(() => explainSeed(logits, targets, 1, 'logit', w), /explainSeed: the last layer's weight \[4, 5\] does not make the 3 logits/, 'weight rows');
    await expectThrows(() => explainSeed(logits, targets, 2, 'logit', w), /explainSeed: logits \[2, 3\] do not hold 2 rows for each of 2 targets/, 'rows');
    assert(engine.stats.dispatches === before, 'dispatched before rejecting');
    for (const t of [logits, targets, w]) t.dispose();
  });

  test('fused LeNet: ∇f, and IG / Guided IG attributions, equal the unfused path, with 3 dispatches fewer per forward + backward', async (engine) => {
    const spec = fuseModel(zooSpec('lenet', undefined, 7));
    assert(spec.nodes.filter((n) => n.kind === 'maxpool' && n.maskRelu).length === 2 && spec.nodes.filter((n) => n.reluMaskedByReaders).length === 2, 'both LeNet pools read a conv relu: both take its mask');
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
        assert(d2 - d1 - (d1 - d0) === 3, `${output}: fused forward + backward took ${d1 - d0} dispatches, unfused ${d2 - d1}: expected 3 fewer (2 relu backwards, 1 seed)`);
        const g = await grad!.download();
        expectClose(g, want, { rtol: 1e-5, atol: 1e-6 * Math.max(...want.map(Math.abs)) }, `${output}: fused vs unfused ∇f`);
        f.dispose();
        grad!.dispose();
      }
      for (const method of ['ig', 'gig']) {
        const options = { method, steps: 16, target: [1, 7, 3] };
        const a = await explain(engine, fused, data, options);
        const b = await explain(engine, unfused, data, options);
        expectClose(a.attribution, b.attribution, { rtol: 1e-4, atol: 1e-6 * Math.max(...b.attribution.map(Math.abs)) }, `${method}: fused vs unfused attributions`);
      }
    } finally {
      for (const t of [x, targets]) t.dispose();
      fused.dispose();
      unfused.dispose();
    }
  });
});
