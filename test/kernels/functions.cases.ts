/**
 * Methods on functions with non-image inputs ([N, D] and [N, T, D]) through cpuFunction and
 * gpuFunction, against the float64 references of the same algorithms on the same function.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import {
  cpuFunction,
  explain,
  gpuFunction,
  modelSubject,
  type CpuFunctionResult,
} from '../../src/attribution/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { add } from '../../src/ops/add.js';
import { square, sub } from '../../src/ops/arithmetic.js';
import { sumAxis } from '../../src/ops/reduce.js';
import type { RefModel } from '../reference/methods/model.js';
import { integratedGradients } from '../reference/methods/ig.js';
import { idgiIG } from '../reference/methods/idgi-variants.js';
import { guidedIntegratedGradients } from '../reference/methods/guided-ig.js';
import { ig2 as refIg2 } from '../reference/methods/ig2.js';
import { smallCnn } from './methods.cases.js';

/** A float64 tanh MLP on D features: logits = W2 tanh(W1 x + b1) + b2; rep = the tanh layer. */
function tanhMlp(d: number, hidden: number, classes: number, seed: number): RefModel {
  const rng = new Rng(seed);
  const w1 = rng.uniform(hidden * d, -1, 1);
  const b1 = rng.uniform(hidden, -0.5, 0.5);
  const w2 = rng.uniform(classes * hidden, -1, 1);
  const b2 = rng.uniform(classes, -0.5, 0.5);
  const rep = (x: Float64Array) =>
    Float64Array.from({ length: hidden }, (_, j) =>
      Math.tanh(b1[j]! + x.reduce((s, v, i) => s + w1[j * d + i]! * v, 0)),
    );
  const repVjp = (x: Float64Array, v: Float64Array) => {
    const h = rep(x);
    const dz = h.map((hj, j) => v[j]! * (1 - hj * hj));
    return Float64Array.from({ length: d }, (_, i) => dz.reduce((s, g, j) => s + g * w1[j * d + i]!, 0));
  };
  return {
    shape: [1, 1, d],
    numClasses: classes,
    rep,
    repVjp,
    logits: (x) => {
      const h = rep(x);
      return Float64Array.from(
        { length: classes },
        (_, k) => b2[k]! + h.reduce((s, v, j) => s + w2[k * hidden + j]! * v, 0),
      );
    },
    grad: (x, target) => repVjp(x, w2.slice(target * hidden, (target + 1) * hidden)),
  };
}

/** The reference model as a cpuFunction explaining the logit of each row's target (and IG2's distance). */
function asCpuFunction(m: RefModel, inputShape: number[], batchSize: number) {
  const d = inputShape.reduce((a, b) => a * b, 1);
  const seen: Float32Array[] = [];
  const rows = (points: Float32Array, r: number) => Float64Array.from(points.subarray(r * d, (r + 1) * d));
  const fn = cpuFunction(
    (points, shape, info): CpuFunctionResult => {
      assert(info.targets !== null && info.targets.length === shape[0], 'every row gets its target');
      seen.push(points.slice());
      const f = new Float32Array(shape[0]!);
      const grad = new Float32Array(shape[0]! * d);
      for (let r = 0; r < shape[0]!; r++) {
        const x = rows(points, r);
        f[r] = m.logits(x)[info.targets[r]!]!;
        grad.set(m.grad(x, info.targets[r]!, 'logit'), r * d);
      }
      return { f, grad };
    },
    {
      inputShape,
      batchSize,
      name: 'tanh mlp',
      ig2: (points, refs, shape) => {
        const h = m.rep(new Float64Array(d)).length;
        const distance = new Float32Array(shape[0]!);
        const grad = new Float32Array(shape[0]! * d);
        for (let r = 0; r < shape[0]!; r++) {
          const z = rows(points, r);
          const diff = m.rep(z).map((v, j) => v - m.rep(rows(refs, r))[j]!);
          distance[r] = diff.reduce((s, v) => s + v * v, 0) / h;
          grad.set(
            m.repVjp(
              z,
              diff.map((v) => (2 * v) / h),
            ),
            r * d,
          );
        }
        return { distance, grad };
      },
    },
  );
  return { fn, seen };
}

function row(a: ArrayLike<number>, i: number, d: number): Float64Array {
  return Float64Array.from(Array.prototype.slice.call(a, i * d, (i + 1) * d));
}

const SHAPES: number[][] = [[7], [4, 3]]; // [N, D] and [N, T, D]

export default defineCases('functions', (test) => {
  for (const inputShape of SHAPES) {
    const label = `[N, ${inputShape.join(', ')}]`;
    const d = inputShape.reduce((a, b) => a * b, 1);

    test(`cpuFunction ${label}: IG, IDGI and Guided IG match float64, in batches of 5 rows`, async (engine) => {
      const m = tanhMlp(d, 5, 3, d);
      const { fn } = asCpuFunction(m, inputShape, 5);
      const x = Float32Array.from(new Rng(1).uniform(2 * d, 0, 1));
      const baseline = Float32Array.from(new Rng(2).uniform(d, 0, 0.3));
      const targets = [2, 0];
      const ig = await explain(engine, fn, x, { method: 'ig', steps: 9, target: targets, baseline });
      const idgi = await explain(engine, fn, x, { method: 'idgi', steps: 9, target: targets, baseline });
      const gig = await explain(engine, fn, x, {
        method: 'gig',
        steps: 12,
        target: targets,
        baseline,
        methodOptions: { fraction: 0.3, maxDist: 0.1 },
      });
      assert(ig.shape.join() === [2, ...inputShape].join(), `attribution shape ${ig.shape.join()}`);
      const b64 = Float64Array.from(baseline);
      for (let i = 0; i < 2; i++) {
        const opts = { target: targets[i]! };
        const eIg = integratedGradients(m, row(x, i, d), b64, { ...opts, steps: 9, rule: 'trapezoid' });
        const eIdgi = idgiIG(m, row(x, i, d), b64, { ...opts, steps: 9 });
        const eGig = guidedIntegratedGradients(m, row(x, i, d), b64, {
          ...opts,
          steps: 12,
          fraction: 0.3,
          maxDist: 0.1,
        });
        assert(
          relL2(row(ig.attribution, i, d), eIg.attribution) < 1e-5,
          `IG input ${i}: rel L2 ${relL2(row(ig.attribution, i, d), eIg.attribution)}`,
        );
        assert(
          relL2(row(idgi.attribution, i, d), eIdgi.attribution) < 1e-5,
          `IDGI input ${i}: rel L2 ${relL2(row(idgi.attribution, i, d), eIdgi.attribution)}`,
        );
        assert(
          relL2(row(gig.attribution, i, d), eGig.attribution) < 1e-4,
          `Guided IG input ${i}: rel L2 ${relL2(row(gig.attribution, i, d), eGig.attribution)}`,
        );
        assert(Math.abs(idgi.images[i]!.sum - (eIdgi.fEnd - eIdgi.fStart)) < 1e-5, `IDGI input ${i} is not complete`);
        assert(ig.images[i]!.target === targets[i], 'target reported');
      }
    });

    test(`cpuFunction ${label}: IG2 with the distance callback matches float64`, async (engine) => {
      const m = tanhMlp(d, 4, 3, 10 + d);
      const { fn } = asCpuFunction(m, inputShape, 3);
      const x = Float32Array.from(new Rng(3).uniform(2 * d, 0, 1));
      const refs = Float32Array.from(new Rng(4).uniform(2 * d, 0, 1));
      const r = await explain(engine, fn, x, {
        method: 'ig2',
        steps: 6,
        target: [1, 2],
        methodOptions: { references: refs, stepSize: 0.3 },
      });
      for (let i = 0; i < 2; i++) {
        const e = refIg2(m, row(x, i, d), [row(refs, 0, d), row(refs, 1, d)], {
          target: [1, 2][i]!,
          steps: 6,
          stepSize: 0.3,
          clip: [0, 1],
        });
        assert(
          relL2(row(r.attribution, i, d), e.attribution) < 1e-4,
          `IG2 input ${i}: rel L2 ${relL2(row(r.attribution, i, d), e.attribution)}`,
        );
        assert(
          Math.abs(r.images[i]!.fStart - e.fBaseline) < 1e-4,
          `IG2 input ${i}: mean f(GradCF) ${r.images[i]!.fStart} vs ${e.fBaseline}`,
        );
      }
    });

    test(`cpuFunction ${label}: SmoothGrad averages the squared gradients at the noisy points it evaluated`, async (engine) => {
      const m = tanhMlp(d, 5, 2, 20 + d);
      const { fn, seen } = asCpuFunction(m, inputShape, 64);
      const x = Float32Array.from(new Rng(5).uniform(d, 0, 1));
      const samples = 16;
      const r = await explain(engine, fn, x, {
        method: 'grad',
        target: 1,
        smoothgrad: { samples, noiseLevel: 0.2 },
        seed: 9,
      });
      const noisy = seen[0]!;
      assert(
        noisy.length === samples * d,
        `the first call saw ${noisy.length / d} rows, expected the ${samples} noisy copies`,
      );
      const expected = new Float64Array(d);
      for (let s = 0; s < samples; s++)
        m.grad(row(noisy, s, d), 1, 'logit').forEach((g, i) => (expected[i]! += (g * g) / samples));
      expectClose(r.attribution, expected, { rtol: 1e-4, atol: 1e-7 }, 'SmoothGrad');
      const lo = Math.min(...x);
      const hi = Math.max(...x);
      const deviations = Array.from(noisy, (v, k) => v - x[k % d]!);
      const std = Math.sqrt(deviations.reduce((s, v) => s + v * v, 0) / deviations.length);
      const sigma = 0.2 * (hi - lo);
      assert(std > 0.6 * sigma && std < 1.4 * sigma, `noise std ${std} far from σ = 0.2·(max − min) = ${sigma}`);
    });
  }

  test('gpuFunction wrapping a model equals explaining the model (IDGI, chunked by a small budget), with no extra readback', async (engine) => {
    const { model } = smallCnn(engine);
    const inner = modelSubject(model);
    let calls = 0;
    const fn = gpuFunction(
      async (points, info) => {
        calls++;
        // info.targets has one class per row: hand the model one target per row
        const perRow = Tensor.from(engine, info.targets!, [info.targets!.length]);
        const r = await inner.gradients(points, {
          targets: perRow,
          targetList: Array.from(info.targets!),
          pointsPerImage: 1,
          output: 'logit',
        });
        perRow.dispose();
        return r;
      },
      { inputShape: model.info.inputShape, name: 'wrapped model' },
    );
    const x = Float32Array.from(new Rng(6).uniform(2 * 72, 0, 1));
    const direct = await explain(engine, model, x, { method: 'idgi', steps: 7, target: [1, 3] });
    const before = engine.stats.readbacks;
    // 6 rows of 72 floats per chunk: 2 images × 3 points, chunks overlap by one point
    const wrapped = await explain(engine, fn, x, {
      method: 'idgi',
      steps: 7,
      target: [1, 3],
      memoryBudgetBytes: 6 * 8 * 4 * 72,
    });
    assert(
      engine.stats.readbacks - before === 2,
      `${engine.stats.readbacks - before} readbacks, expected explain()'s 2`,
    );
    assert(
      relL2(wrapped.attribution, direct.attribution) < 1e-6,
      `rel L2 ${relL2(wrapped.attribution, direct.attribution)}`,
    );
    assert(calls === 5, `${calls} calls: 4 chunks of 3 points (overlapping by one) for 8 points, and f at the ends`);
    model.dispose();
  });

  test('gpuFunction IG2 with a GPU distance callback matches float64 (f = Σx², distance ‖z − r‖²)', async (engine) => {
    const d = 5;
    /** Σ over each row of t² ([rows]); every intermediate disposed */
    const rowSumSquares = (t: Tensor) => {
      const sq = square(t);
      const rows = sq.reshape([t.shape[0]!, d]);
      const out = sumAxis(rows, 1);
      rows.dispose();
      sq.dispose();
      return out;
    };
    const fn = gpuFunction((points) => ({ f: rowSumSquares(points), grad: add(points, points) }), {
      inputShape: [d],
      ig2: (points, refs) => {
        const diff = sub(points, refs);
        const r = { distance: rowSumSquares(diff), grad: add(diff, diff) };
        diff.dispose();
        return r;
      },
    });
    const m: RefModel = {
      shape: [1, 1, d],
      numClasses: 1,
      logits: (x) => Float64Array.of(x.reduce((s, v) => s + v * v, 0)),
      grad: (x) => x.map((v) => 2 * v),
      rep: (x) => x.map((v) => v * Math.sqrt(d)), // ‖rep(z) − rep(r)‖²/d = ‖z − r‖²
      repVjp: (_x, v) => v.map((g) => g * Math.sqrt(d)),
    };
    const x = Float32Array.from(new Rng(7).uniform(d, 0.2, 0.9));
    const refs = Float32Array.from(new Rng(8).uniform(d, 0, 1));
    const before = engine.poolStats().liveBuffers;
    const r = await explain(engine, fn, x, {
      method: 'ig2',
      steps: 5,
      methodOptions: { references: refs, stepSize: 0.2 },
    });
    const e = refIg2(m, Float64Array.from(x), [Float64Array.from(refs)], {
      target: 0,
      steps: 5,
      stepSize: 0.2,
      clip: [0, 1],
    });
    assert(relL2(r.attribution, e.attribution) < 1e-5, `IG2 rel L2 ${relL2(r.attribution, e.attribution)}`);
    assert(r.images[0]!.target === -1, 'a function without classes reports target −1');
    assert(engine.poolStats().liveBuffers === before, `live buffers ${before} → ${engine.poolStats().liveBuffers}`);
  });

  test('functions: bad callbacks and options are one-line PathlightErrors', async (engine) => {
    const shapeOnly = { inputShape: [3], batchSize: 4 };
    const x = new Float32Array(3).fill(0.5);
    const wrongGrad = cpuFunction((_p, s) => ({ f: new Float32Array(s[0]!), grad: new Float32Array(2) }), shapeOnly);
    await expectThrows(
      () => explain(engine, wrongGrad, x, { method: 'ig', steps: 3 }),
      /returned 2 grad values for points of shape \[\d+, 3\], expected \d+/,
      'grad length',
    );
    const noResult = cpuFunction(() => undefined as unknown as CpuFunctionResult, shapeOnly);
    await expectThrows(
      () => explain(engine, noResult, x, { method: 'grad' }),
      /returned undefined, expected \{ f, grad \}/,
      'no result',
    );
    const plain = cpuFunction(
      (_p, s) => ({ f: new Float32Array(s[0]!), grad: new Float32Array(s[0]! * 3) }),
      shapeOnly,
    );
    await expectThrows(
      () => explain(engine, plain, x, { method: 'ig2', methodOptions: { references: x } }),
      /no IG2 support/,
      'ig2 without callback',
    );
    await expectThrows(
      () => explain(engine, plain, x, { method: 'blurig' }),
      /needs image inputs \[N, C, H, W\]/,
      'blur on vectors',
    );
    await expectThrows(
      () => explain(engine, plain, x, { method: 'ig', output: 'prob' }),
      /output 'prob' applies to models/,
      'prob',
    );
    await expectThrows(
      () => explain(engine, plain, new Float32Array(4), { method: 'ig' }),
      /not a whole number of inputs of shape \[3\]/,
      'input size',
    );
    await expectThrows(
      async () => cpuFunction(() => ({ f: [], grad: [] }), { inputShape: [3] } as never),
      /batchSize \(rows per call\) must be an integer >= 1, got undefined/,
      'batchSize',
    );
    await expectThrows(
      async () => gpuFunction(() => ({}) as never, { inputShape: [0] }),
      /at least one feature/,
      'empty shape',
    );
    const leaky = gpuFunction(
      (p) => ({ f: Tensor.zeros(engine, [p.shape[0]! + 1]), grad: Tensor.zeros(engine, p.shape) }),
      { inputShape: [3] },
    );
    await expectThrows(
      () => explain(engine, leaky, x, { method: 'grad' }),
      /returned f of shape \[2\] for points of shape \[1, 3\]/,
      'gpu f shape',
    );
    const noDistance = gpuFunction(
      (p) => ({ f: Tensor.zeros(engine, [p.shape[0]!]), grad: Tensor.zeros(engine, p.shape) }),
      { inputShape: [3], ig2: (p) => ({ distance: undefined as never, grad: Tensor.zeros(engine, p.shape) }) },
    );
    const live = engine.poolStats().liveBuffers;
    await expectThrows(
      () => explain(engine, noDistance, x, { method: 'ig2', steps: 2, methodOptions: { references: x } }),
      /returned no ig2 distance Tensor/,
      'ig2 distance missing',
    );
    assert(
      engine.poolStats().liveBuffers === live,
      `a rejected ig2 callback left ${engine.poolStats().liveBuffers - live} buffers live`,
    );
  });
});
