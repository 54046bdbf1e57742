/**
 * GPU path methods (grad, gradxinput, IG with every rule, IDGI, SmoothGrad) against their float64
 * references on a small random CNN, their axioms, and explain()'s contracts (readbacks, memory,
 * errors).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectThrows, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import type { Engine } from '../../src/gpu/engine.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import type { Model } from '../../src/nn/model.js';
import { explain, type ExplainOptions } from '../../src/attribution/index.js';
import { idgiStep } from '../../src/attribution/kernels/idgi-step.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { oneRowBudget } from '../harness/budget.js';
import { graphRefModel } from '../reference/graph.js';
import type { RefModel } from '../reference/methods/model.js';
import { integratedGradients } from '../reference/methods/ig.js';
import { idgiIG } from '../reference/methods/idgi-variants.js';
import { vanillaGradient, gradientTimesInput } from '../reference/methods/gradient.js';

const SHAPE: [number, number, number] = [2, 6, 6];
const D = SHAPE[0] * SHAPE[1] * SHAPE[2];

/** conv-relu → maxpool → flatten → linear-relu → linear: small, non-linear, with a representation. */
export function smallCnn(engine: Engine, seed = 3): { model: Model; ref: RefModel } {
  const g = new GraphBuilder();
  let h = g.conv2d('conv', 0, 2, 3, 3, { padding: 1, relu: true });
  h = g.maxPool('pool', h, { kernel: 2 });
  h = g.flatten('flat', h);
  const rep = g.linear('fc1', h, 27, 6, { relu: true });
  g.linear('fc2', rep, 6, 4);
  const info = { name: 'small-cnn', inputShape: SHAPE, numClasses: 4, representationNode: rep };
  const values = initParameters(g, seed);
  const model = buildModel(engine, g, info, values);
  const ref = graphRefModel(
    g.nodes,
    new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)])),
    new Map([...values].map(([k, v]) => [k, v.shape])),
    SHAPE,
    rep,
  );
  return { model, ref };
}

function images(seed: number, n: number): Float32Array {
  return Float32Array.from(new Rng(seed).uniform(n * D, 0, 1));
}

function row(a: ArrayLike<number>, i: number): Float64Array {
  return Float64Array.from(Array.prototype.slice.call(a, i * D, (i + 1) * D));
}

export default defineCases('methods', (test) => {
  test('grad and gradxinput match float64 (logit and prob)', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = images(1, 2);
    for (const output of ['logit', 'prob'] as const) {
      for (const method of ['grad', 'gradxinput'] as const) {
        const r = await explain(engine, model, x, { method, target: [1, 3], output });
        for (let i = 0; i < 2; i++) {
          const fn = method === 'grad' ? vanillaGradient : gradientTimesInput;
          const e = fn(ref, row(x, i), { target: [1, 3][i]!, output });
          const err = relL2(row(r.attribution, i), e.attribution);
          assert(err < 1e-4, `${method}/${output} image ${i}: rel L2 ${err}`);
        }
      }
    }
    model.dispose();
  });

  test('IG matches float64 for every rule, with a user baseline, logit and prob', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = images(2, 2);
    const base = Float32Array.from(new Rng(9).uniform(D, 0, 0.3));
    const cases: [ExplainOptions['rule'], number, 'logit' | 'prob'][] = [
      ['left', 5, 'logit'],
      ['right', 5, 'logit'],
      ['middle', 6, 'prob'],
      ['trapezoid', 7, 'logit'],
      ['gauss-legendre', 4, 'prob'],
    ];
    for (const [rule, steps, output] of cases) {
      const r = await explain(engine, model, x, { method: 'ig', steps, rule, output, baseline: base, target: [0, 2] });
      for (let i = 0; i < 2; i++) {
        const e = integratedGradients(ref, row(x, i), Float64Array.from(base), {
          target: [0, 2][i]!,
          output,
          steps,
          rule: rule!,
        });
        const err = relL2(row(r.attribution, i), e.attribution);
        assert(err < 1e-3, `IG ${rule} ${steps} ${output} image ${i}: rel L2 ${err}`);
        assert(Math.abs(r.images[i]!.fx - e.fx) < 1e-4 * (1 + Math.abs(e.fx)), `f(x) ${r.images[i]!.fx} vs ${e.fx}`);
        assert(Math.abs(r.images[i]!.fStart - e.fBaseline) < 1e-4 * (1 + Math.abs(e.fBaseline)), 'f(baseline)');
      }
    }
    model.dispose();
  });

  test('IG completeness error falls as steps grow', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(3, 1);
    const errs: number[] = [];
    for (const steps of [2, 8, 64]) {
      const r = await explain(engine, model, x, { method: 'ig', steps, rule: 'trapezoid', target: 1 });
      errs.push(r.images[0]!.completenessError);
    }
    // ReLU kinks make the trapezoid rule converge slowly; the error must still fall monotonically.
    assert(
      errs[2]! < errs[1]! && errs[1]! < errs[0]! && errs[2]! < 0.05,
      `completeness errors ${errs.join(', ')} do not fall`,
    );
  });

  test('IDGI matches float64 and is exactly complete, across chunk boundaries', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = images(4, 2);
    for (const [steps, budget] of [
      [7, undefined],
      [16, 30_000],
      [5, oneRowBudget(model)],
    ] as const) {
      // a one-row budget forces 2-point chunks that overlap by one point
      const r = await explain(engine, model, x, { method: 'idgi', steps, target: [3, 1], memoryBudgetBytes: budget });
      for (let i = 0; i < 2; i++) {
        const e = idgiIG(ref, row(x, i), new Float64Array(D), { target: [3, 1][i]!, steps });
        const err = relL2(row(r.attribution, i), e.attribution);
        assert(err < 1e-3, `IDGI steps ${steps} budget ${budget} image ${i}: rel L2 ${err}`);
        const im = r.images[i]!;
        const gap = im.fx - im.fStart - im.droppedDelta;
        assert(Math.abs(im.sum - gap) <= 1e-4 * Math.max(1, Math.abs(gap)), `IDGI completeness: Σ ${im.sum} vs ${gap}`);
      }
      assert(r.gradientEvaluations >= 2 * (steps + 1), 'gradient evaluations not counted');
    }
    model.dispose();
  });

  test('idgiStep on image-sized rows (3×224×224, 3×448×448) matches float64 to 1e-6: its row norms keep their precision', async (engine) => {
    const rng = new Rng(17);
    for (const d of [150_528, 602_112]) {
      const n = 1;
      const r = 3;
      const g = Float32Array.from(rng.normal(n * r * d));
      const f = Float32Array.from(rng.normal(n * r));
      const attr = Tensor.zeros(engine, [n, d]);
      const dropped = Tensor.zeros(engine, [n]);
      const grad = Tensor.from(engine, g, [n * r, d]);
      const fs = Tensor.from(engine, f, [n * r]);
      idgiStep(attr, dropped, grad, fs, r);
      const got = await attr.download();
      const want = new Float64Array(d);
      for (let b = 0; b + 1 < r; b++) {
        let norm = 0;
        for (let k = 0; k < d; k++) norm += g[b * d + k]! ** 2;
        for (let k = 0; k < d; k++) want[k]! += (g[b * d + k]! ** 2 * (f[b + 1]! - f[b]!)) / norm;
      }
      const err = relL2(got, want);
      assert(err < 1e-6, `${d} features: relative L2 ${err.toExponential(2)} against float64`);
      for (const t of [attr, dropped, grad, fs]) t.dispose();
    }
  });

  test('IDGI on a constant input (x = baseline) gives zeros, no NaN', async (engine) => {
    const { model } = smallCnn(engine);
    const x = new Float32Array(D).fill(0.5);
    const r = await explain(engine, model, x, { method: 'idgi', steps: 4, baseline: x, target: 0 });
    assert(
      r.attribution.every((v) => v === 0),
      'non-zero attribution on a zero-length path',
    );
    const ig = await explain(engine, model, x, { method: 'ig', steps: 4, baseline: x, target: 0 });
    assert(
      ig.attribution.every((v) => Number.isFinite(v)),
      'IG produced NaN',
    );
    model.dispose();
  });

  test('SmoothGrad with one noiseless sample equals the wrapped method; noise is seeded', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(5, 2);
    const plain = await explain(engine, model, x, { method: 'ig', steps: 4, target: [1, 2] });
    const sg = await explain(engine, model, x, {
      method: 'ig',
      steps: 4,
      target: [1, 2],
      smoothgrad: { samples: 1, noiseLevel: 0, magnitude: false },
    });
    assert(relL2(sg.attribution, plain.attribution) < 1e-6, 'smoothgrad(1 sample, σ=0) differs from the method');
    const a = await explain(engine, model, x, { method: 'grad', target: [1, 2], smoothgrad: { samples: 3 }, seed: 4 });
    const b = await explain(engine, model, x, { method: 'grad', target: [1, 2], smoothgrad: { samples: 3 }, seed: 4 });
    assert(
      relL2(a.attribution, b.attribution) === 0 && a.attribution.every((v) => v >= 0),
      'seeded magnitude smoothgrad not reproducible or negative',
    );
    model.dispose();
  });

  test('explain() reads back twice, submits once per chunk + 2 and leaks no buffer', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(6, 2);
    for (const [method, steps, smoothgrad] of [
      ['grad', 1, false],
      ['ig', 40, false],
      ['idgi', 40, false],
      ['ig', 8, true],
    ] as const) {
      await engine.sync();
      const s0 = { ...engine.stats };
      const live = engine.poolStats().liveBuffers;
      const r = await explain(engine, model, x, {
        method,
        steps,
        memoryBudgetBytes: 40_000,
        smoothgrad: smoothgrad && { samples: 3 },
      });
      assert(
        engine.poolStats().liveBuffers === live,
        `${method}: explain() leaked ${engine.poolStats().liveBuffers - live} buffers`,
      );
      const reads = engine.stats.readbacks - s0.readbacks;
      const subs = engine.stats.submissions - s0.submissions;
      assert(reads === 2, `${method}: ${reads} readbacks, expected 2 (attribution + diagnostics)`);
      // one submission per chunk (at least one point per image each), then the two readbacks
      const chunks = r.gradientEvaluations / 2;
      assert(subs <= chunks + 2, `${method}: ${subs} submissions for one explanation of ${chunks} chunks at most`);
    }
    model.dispose();
  });

  test('peak GPU memory does not grow with the number of steps (64 vs 4096)', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(7, 1);
    const peaks: number[] = [];
    for (const steps of [64, 4096]) {
      await engine.sync();
      engine.pool.resetPeak();
      const base = engine.poolStats().liveBytes;
      await explain(engine, model, x, { method: 'idgi', steps, memoryBudgetBytes: 60_000 }); // both runs saturate the chunk size
      peaks.push(engine.poolStats().peakLiveBytes - base);
    }
    assert(peaks[1]! <= peaks[0]!, `peak grew from ${peaks[0]} to ${peaks[1]} bytes`);
    model.dispose();
  });

  test('a second explain() with another step count and batch size compiles no pipeline (MLP: linear, batch norm)', async (engine) => {
    const g = new GraphBuilder();
    const h = g.linear('fc1', 0, 12, 8, { relu: true });
    g.linear('fc2', g.batchNorm('bn', h, 8), 8, 3);
    const model = buildModel(
      engine,
      g,
      { name: 'mlp', inputShape: [12], numClasses: 3, representationNode: h },
      initParameters(g, 5),
    );
    const input = (n: number) => Float32Array.from(new Rng(n).uniform(n * 12, 0, 1));
    // memoryBudgetBytes: 4 kB splits the later paths into several chunks (one chunk at first)
    const run = async (n: number, steps: number, memoryBudgetBytes?: number, chunked = false) => {
      for (const method of ['ig', 'idgi'] as const) {
        const r = await explain(engine, model, input(n), { method, steps, target: 'auto', memoryBudgetBytes });
        assert(r.attribution.every(Number.isFinite), `${method}: finite attribution`);
        assert(!chunked || r.gradientEvaluations > 1, `${method}: ${r.gradientEvaluations} chunk(s), expected several`);
      }
    };
    await run(1, 8);
    const compiled = engine.stats.pipelines;
    assert(compiled > 0, 'the first calls compiled pipelines');
    await run(3, 21, 4096, true);
    await run(2, 64, 4096, true);
    assert(
      engine.stats.pipelines === compiled,
      `other batch sizes and step counts compiled ${engine.stats.pipelines - compiled} new pipelines`,
    );
    model.dispose();
  });

  test('bad input gives clear errors', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(8, 1);
    await expectThrows(
      () => explain(engine, model, new Float32Array(D - 1), { method: 'ig' }),
      /not a whole number of inputs of shape \[2, 6, 6\]/,
      'input size',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig', target: 4 }),
      /target class 4 for input 0 is out of range: small-cnn has classes 0..3/,
      'target',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig', target: [1, 2] }),
      /2 class indices for 1 inputs/,
      'target count',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig', steps: 0 }),
      /steps must be an integer >= 1, got 0/,
      'steps',
    );
    const nan = x.slice();
    nan[5] = NaN;
    await expectThrows(
      () => explain(engine, model, nan, { method: 'ig' }),
      /input: non-finite value NaN at index 5/,
      'NaN',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig', baseline: new Float32Array(7) }),
      /baseline has 7 values, expected/,
      'baseline',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'nope' as string }),
      /unknown method 'nope'/,
      'method',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig', rule: 'simpson' as never }),
      /unknown rule 'simpson'/,
      'rule',
    );
    assert(engine.poolStats().liveBuffers >= 0, 'pool');
    model.dispose();
  });
});
