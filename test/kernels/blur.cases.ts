/**
 * The Gaussian-blur op against scipy-semantics float64 blur, and Blur IG / blurig-idgi against
 * their float64 references on a small random CNN, with their contracts (path ends, completeness,
 * readbacks, constant images, the 'blur' baseline, errors).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, maxAbsDiff, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Engine } from '../../src/gpu/engine.js';
import type { Model } from '../../src/nn/model.js';
import { gaussianBlur, gaussianBlurWithDifference } from '../../src/ops/gaussian-blur.js';
import { explain, modelSubject, type ExplainContext } from '../../src/attribution/index.js';
import { blurIgPath, blurPath, blurSigmas } from '../../src/attribution/methods/blur-ig.js';
import { gaussianBlur as refBlur } from '../reference/methods/blur.js';
import { blurIntegratedGradients } from '../reference/methods/blur-ig.js';
import { idgiBlurIG } from '../reference/methods/idgi-variants.js';
import { integratedGradients } from '../reference/methods/ig.js';
import { smallCnn } from './methods.cases.js';
import { oneRowBudget } from '../harness/budget.js';

const SHAPE: [number, number, number] = [2, 6, 6];
const D = SHAPE[0] * SHAPE[1] * SHAPE[2];

function row(a: ArrayLike<number>, i: number, size: number): Float64Array {
  return Float64Array.from(Array.prototype.slice.call(a, i * size, (i + 1) * size));
}

/** Uploads `n` random [c, h, w] images; returns the tensor and the values as float64 images. */
function randomImages(
  engine: Engine,
  seed: number,
  n: number,
  shape: readonly [number, number, number],
): { t: Tensor; xs: Float64Array[] } {
  const size = shape[0] * shape[1] * shape[2];
  const data = Float32Array.from(new Rng(seed).uniform(n * size, 0, 1));
  return { t: Tensor.from(engine, data, [n, ...shape]), xs: Array.from({ length: n }, (_, i) => row(data, i, size)) };
}

function context(engine: Engine, model: Model, x: Tensor): ExplainContext {
  return {
    engine,
    subject: modelSubject(model),
    x,
    baseline: x,
    targets: Tensor.zeros(engine, [x.shape[0]!]),
    targetList: null,
    output: 'logit',
    maxRows: 64,
    stats: { gradientEvaluations: 0, forwardEvaluations: 0 },
  };
}

export default defineCases('blur', (test) => {
  test('blur matches scipy-semantics float64 (odd sizes, σ = 0, large σ, channels)', async (engine) => {
    const shape: [number, number, number] = [3, 5, 7];
    const size = 3 * 5 * 7;
    const sigmas = [0, 0.1, 0.6, 1.7, 3.2, 40]; // 0.1: radius 0 (identity); 40: radius 160 ≫ the image
    const { t, xs } = randomImages(engine, 11, 2, shape);
    const out = gaussianBlur(t, sigmas);
    assert(out.shape.join() === [12, ...shape].join(), `shape ${out.shape.join()}`);
    const got = await out.download();
    for (let i = 0; i < 2; i++) {
      sigmas.forEach((sigma, s) => {
        expectClose(
          row(got, i * sigmas.length + s, size),
          refBlur(xs[i]!, shape, sigma),
          { rtol: 1e-5, atol: 1e-6 },
          `image ${i} σ ${sigma}`,
        );
      });
      assert(
        row(got, i * sigmas.length, size).every((v, k) => v === xs[i]![k]),
        'σ = 0 is not exactly the identity',
      );
    }
    for (const x of [t, out]) x.dispose();
  });

  test('blur of 1-pixel-wide images', async (engine) => {
    const shape: [number, number, number] = [2, 4, 1];
    const { t, xs } = randomImages(engine, 12, 3, shape);
    const sigmas = [0.8, 0, 5];
    const out = gaussianBlur(t, sigmas);
    const got = await out.download();
    xs.forEach((x, i) =>
      sigmas.forEach((sigma, s) =>
        expectClose(
          row(got, 3 * i + s, 8),
          refBlur(x, shape, sigma),
          { rtol: 1e-5, atol: 1e-6 },
          `image ${i} σ ${sigma}`,
        ),
      ),
    );
    for (const x of [t, out]) x.dispose();
  });

  test('blur σ-difference matches the float64 forward difference (no float32 cancellation)', async (engine) => {
    const shape: [number, number, number] = [2, 7, 6];
    const size = 2 * 7 * 6;
    const { t, xs } = randomImages(engine, 13, 2, shape);
    const sigmas = [0, 0.12, 1.3, 9];
    const scales = [2, -1, 0.5, 30];
    const h = 0.01;
    const r = gaussianBlurWithDifference(t, sigmas, h, scales);
    const blurred = await r.blurred.download();
    const diff = await r.difference.download();
    for (let i = 0; i < 2; i++) {
      sigmas.forEach((sigma, s) => {
        const base = refBlur(xs[i]!, shape, sigma);
        const ahead = refBlur(xs[i]!, shape, sigma + h);
        const expected = base.map((v, k) => scales[s]! * (ahead[k]! - v));
        expectClose(row(blurred, i * 4 + s, size), base, { rtol: 1e-5, atol: 1e-6 }, `blur ${i} σ ${sigma}`);
        const got = row(diff, i * 4 + s, size);
        const err = relL2(got, expected);
        // The float64 reference itself subtracts two blurs of x ~ 1: its absolute error is ~1e-16
        // per pixel, which is 1e-3 relative when σ = 0.12 (the difference is ~1e-13). Below that
        // floor, compare absolutely.
        const floor = 1e-14 * Math.abs(scales[s]!) * size;
        assert(
          err < 1e-4 || maxAbsDiff(got, expected) < floor,
          `difference image ${i} σ ${sigma}: rel L2 ${err}, max abs ${maxAbsDiff(got, expected)}`,
        );
      });
    }
    for (const x of [t, r.blurred, r.difference]) x.dispose();
  });

  test('blur rejects bad sigmas and shapes', async (engine) => {
    const t = Tensor.zeros(engine, [1, 1, 3, 3]);
    await expectThrows(
      () => gaussianBlur(t, [1, -0.5]),
      /gaussianBlur: sigma 1 must be a number in \[0, 1000\], got -0.5/,
      'negative σ',
    );
    await expectThrows(() => gaussianBlur(t, [NaN]), /sigma 0 must be a number in \[0, 1000\], got NaN/, 'NaN σ');
    await expectThrows(() => gaussianBlur(t, []), /no sigmas/, 'empty');
    await expectThrows(() => gaussianBlur(t.reshape([9]), [1]), /input must be \[N, C, H, W\], got \[9\]/, 'rank');
    await expectThrows(() => gaussianBlurWithDifference(t, [1], 0, [1]), /sigma step must be a positive/, 'step');
    t.dispose();
  });

  test('Blur IG matches float64 (steps, sqrt, logit and prob, chunked batches)', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const { t, xs } = randomImages(engine, 14, 2, SHAPE);
    const x = await t.download();
    t.dispose();
    const targets = [2, 0];
    const cases = [
      { steps: 6, maxSigma: 50, sqrt: false, output: 'logit', budget: undefined },
      { steps: 13, maxSigma: 4, sqrt: true, output: 'prob', budget: 30_000 },
    ] as const;
    for (const c of cases) {
      const r = await explain(engine, model, x, {
        method: 'blurig',
        steps: c.steps,
        target: targets,
        output: c.output,
        memoryBudgetBytes: c.budget,
        methodOptions: { maxSigma: c.maxSigma, sqrt: c.sqrt },
      });
      for (let i = 0; i < 2; i++) {
        const e = blurIntegratedGradients(ref, xs[i]!, {
          target: targets[i]!,
          output: c.output,
          steps: c.steps,
          maxSigma: c.maxSigma,
          sqrt: c.sqrt,
        });
        const err = relL2(row(r.attribution, i, D), e.attribution);
        assert(err < 1e-3, `Blur IG steps ${c.steps} image ${i}: rel L2 ${err}`);
        const im = r.images[i]!;
        assert(
          Math.abs(im.fStart - e.fBaseline) < 1e-4 * (1 + Math.abs(e.fBaseline)),
          `f(start) ${im.fStart} vs ${e.fBaseline}`,
        );
        assert(Math.abs(im.sum - e.sum) < 1e-3 * (1 + Math.abs(e.sum)), `Σ attr ${im.sum} vs ${e.sum}`);
      }
    }
    model.dispose();
  });

  test('the blur paths start at blur(x, σ_max) and end exactly at the input', async (engine) => {
    const { model } = smallCnn(engine);
    const { t, xs } = randomImages(engine, 15, 2, SHAPE);
    const ctx = context(engine, model, t);
    const sigmas = blurSigmas(3, 4, false);
    const idgiPath = blurPath(sigmas);
    const ends = [
      idgiPath.points(ctx, 0, 1).points,
      idgiPath.points(ctx, 4, 1).points,
      blurIgPath(sigmas, 0.01).points(ctx, 3, 1).points,
    ];
    const [start, end, igEnd] = await Promise.all(ends.map((p) => p.download()));
    for (let i = 0; i < 2; i++) {
      expectClose(row(start!, i, D), refBlur(xs[i]!, SHAPE, 3), { rtol: 1e-5, atol: 1e-6 }, `start of image ${i}`);
      assert(
        row(end!, i, D).every((v, k) => v === xs[i]![k]) && row(igEnd!, i, D).every((v, k) => v === xs[i]![k]),
        `path of image ${i} does not end at x`,
      );
    }
    for (const p of [...ends, t, ctx.targets]) p.dispose();
    model.dispose();
  });

  test('blurig-idgi matches float64 and is exactly complete, across chunk overlaps', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const { t, xs } = randomImages(engine, 16, 2, SHAPE);
    const x = await t.download();
    t.dispose();
    const targets = [1, 3];
    for (const [steps, budget] of [
      [7, undefined],
      [9, oneRowBudget(model)],
    ] as const) {
      const r = await explain(engine, model, x, {
        method: 'blurig-idgi',
        steps,
        target: targets,
        memoryBudgetBytes: budget,
        methodOptions: { maxSigma: 5 },
      });
      for (let i = 0; i < 2; i++) {
        const e = idgiBlurIG(ref, xs[i]!, { target: targets[i]!, steps, maxSigma: 5 });
        const err = relL2(row(r.attribution, i, D), e.attribution);
        assert(err < 1e-3, `blurig-idgi steps ${steps} image ${i}: rel L2 ${err}`);
        const im = r.images[i]!;
        assert(
          Math.abs(im.fStart - e.fStart) < 1e-4 * (1 + Math.abs(e.fStart)),
          `f(start) ${im.fStart} vs ${e.fStart}`,
        );
        const gap = im.fx - im.fStart - im.droppedDelta;
        assert(Math.abs(im.sum - gap) <= 1e-4 * Math.max(1, Math.abs(gap)), `completeness: Σ ${im.sum} vs ${gap}`);
      }
    }
    model.dispose();
  });

  test('blur methods read back exactly twice; constant images give no NaN', async (engine) => {
    const { model } = smallCnn(engine);
    const { t } = randomImages(engine, 17, 2, SHAPE);
    const x = await t.download();
    t.dispose();
    for (const method of ['blurig', 'blurig-idgi']) {
      await engine.sync();
      const before = engine.stats.readbacks;
      await explain(engine, model, x, { method, steps: 12, memoryBudgetBytes: 40_000 });
      const reads = engine.stats.readbacks - before;
      assert(reads === 2, `${method}: ${reads} readbacks, expected 2`);
      for (const value of [0, 0.5]) {
        const r = await explain(engine, model, new Float32Array(D).fill(value), { method, steps: 5, target: 1 });
        assert(
          r.attribution.every(Number.isFinite) &&
            r.images.every((im) => Number.isFinite(im.sum) && Number.isFinite(im.fStart)),
          `${method}: non-finite result on a constant ${value} image`,
        );
      }
    }
    model.dispose();
  });

  test("the 'blur' baseline defaults to the GPU blur; bad blur options are named", async (engine) => {
    const { model, ref } = smallCnn(engine);
    const { t, xs } = randomImages(engine, 18, 1, SHAPE);
    const x = await t.download();
    t.dispose();
    const r = await explain(engine, model, x, {
      method: 'ig',
      steps: 4,
      rule: 'left',
      target: 2,
      baseline: { blur: 1.5 },
    });
    const e = integratedGradients(ref, xs[0]!, refBlur(xs[0]!, SHAPE, 1.5), { target: 2, steps: 4, rule: 'left' });
    const err = relL2(r.attribution, e.attribution);
    assert(err < 1e-3, `IG from a blurred baseline: rel L2 ${err}`);
    await expectThrows(
      () => explain(engine, model, x, { method: 'blurig', methodOptions: { maxSigma: -1 } }),
      /blurig: maxSigma must be a number in \(0, 1000\], got -1/,
      'maxSigma',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'blurig', methodOptions: { gradStep: 0 } }),
      /blurig: gradStep must be a positive number, got 0/,
      'gradStep',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'blurig-idgi', methodOptions: { sqrt: 'yes' as never } }),
      /blurig-idgi: sqrt must be true or false/,
      'sqrt',
    );
    model.dispose();
  });
});
