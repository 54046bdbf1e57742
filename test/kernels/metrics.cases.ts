/**
 * Attribution metrics on the GPU against their float64 references (test/reference/metrics):
 * insertion/deletion on a small random CNN (black, blurred and given references), MS-SSIM
 * (per-image and shared second image, several scales), PIC (SIC and AIC); plus properties
 * (MS-SSIM(x, x) = 1, independent noise ≈ 0, a perfect ordering beats a random one, Gini
 * extremes, completeness) and contracts (one readback per call, PathlightError on bad input).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, maxAbsDiff } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import type { Engine } from '../../src/gpu/engine.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel } from '../../src/nn/init.js';
import type { Model } from '../../src/nn/model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import {
  completenessError,
  gini,
  insertionDeletion,
  msSsim,
  pic,
  picCurves,
  rankPixels,
} from '../../src/metrics/index.js';
import { deletionCurve, insertionCurve, type ReferenceImage } from '../reference/metrics/insertion-deletion.js';
import { msSsim as refMsSsim } from '../reference/metrics/ms-ssim.js';
import { computePic } from '../reference/metrics/pic.js';
import { ssimStats } from '../../src/metrics/ssim-stats.js';
import { revealImages } from '../../src/metrics/reveal-images.js';
import { giniIndex } from '../reference/metrics/gini.js';
import { completenessError as refCompleteness } from '../reference/metrics/completeness.js';
import { gaussianBlur as refBlur } from '../reference/methods/blur.js';
import { smallCnn } from './methods.cases.js';
import { graphRefModel } from '../reference/graph.js';
import type { RefModel } from '../reference/methods/model.js';

const SHAPE: [number, number, number] = [2, 6, 6];
const D = SHAPE[0] * SHAPE[1] * SHAPE[2];

const random = (seed: number, n: number, lo = 0, hi = 1) => Float32Array.from(new Rng(seed).uniform(n, lo, hi));
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

/** logit 0 = 10 · Σ x over `pixels` (all channels) − 30, logit 1 = 0: x = 0 and blurred images lean to class 1 */
function pixelSumModel(engine: Engine, pixels: readonly number[]): { model: Model; ref: RefModel } {
  const g = new GraphBuilder();
  const flat = g.flatten('flat', 0);
  g.linear('fc', flat, D, 2);
  const hw = SHAPE[1] * SHAPE[2];
  const weight = new Float32Array(2 * D);
  for (const p of pixels) for (let c = 0; c < SHAPE[0]; c++) weight[c * hw + p] = 10;
  const values = new Map([
    ['fc.weight', { shape: [2, D], data: weight }],
    ['fc.bias', { shape: [2], data: Float32Array.of(-30, 0) }],
  ]);
  const model = buildModel(
    engine,
    g,
    { name: 'pixel-sum', inputShape: SHAPE, numClasses: 2, representationNode: flat },
    values,
  );
  const ref = graphRefModel(
    g.nodes,
    new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)])),
    new Map([...values].map(([k, v]) => [k, v.shape])),
    SHAPE,
    flat,
  );
  return { model, ref };
}

export default defineCases('metrics', (test) => {
  test('insertion/deletion match float64 (black, blur and given references) with one readback', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = random(1, D);
    const attribution = random(2, D, -1, 1);
    const given = random(3, D);
    // [options, float64 insertion reference, float64 deletion reference (default: the same)]
    const cases: [Parameters<typeof insertionDeletion>[4], ReferenceImage, ReferenceImage?][] = [
      [{ target: 1, steps: 7 }, 'black'],
      [{ target: 2, steps: 36, reference: 'blur', blurSigma: 1.5 }, { blurSigma: 1.5 }],
      [{ target: 0, steps: 5, reference: given, reduction: 'sum' }, f64(given)],
      [
        { target: 3, steps: 9, reference: 'blur', blurSigma: 1.5, deletionReference: 'black' },
        { blurSigma: 1.5 },
        'black',
      ],
    ];
    for (const [opts, refReference, refDeletion] of cases) {
      const before = engine.stats.readbacks;
      const r = await insertionDeletion(engine, model, x, attribution, opts);
      assert(engine.stats.readbacks - before === 1, `readbacks ${engine.stats.readbacks - before}`);
      const curveOpts = { target: opts.target, steps: opts.steps!, reduction: opts.reduction };
      const ins = insertionCurve(ref, f64(x), f64(attribution), refReference, curveOpts);
      const del = deletionCurve(ref, f64(x), f64(attribution), refDeletion ?? refReference, curveOpts);
      assert(
        r.order.every((p, i) => p === ins.order[i]),
        'pixel order differs',
      );
      expectClose(r.insertion.fractions, ins.fractions, { atol: 0 }, 'insertion fractions');
      expectClose(r.insertion.scores, ins.scores, { atol: 2e-5 }, 'insertion scores');
      expectClose(r.deletion.scores, del.scores, { atol: 2e-5 }, 'deletion scores');
      expectClose([r.insertion.auc, r.deletion.auc], [ins.auc, del.auc], { atol: 2e-5 }, 'AUCs');
    }
    model.dispose();
  });

  test('insertion AUC: a perfect ordering beats a random one; deletion the reverse', async (engine) => {
    const hw = SHAPE[1] * SHAPE[2];
    const chosen = [3, 8, 14, 20, 31];
    const { model } = pixelSumModel(engine, chosen);
    const x = Float32Array.from({ length: D }, () => 1);
    const perfect = new Float32Array(D);
    for (const p of chosen) perfect[p] = 1;
    const shuffled = random(7, hw);
    const good = await insertionDeletion(engine, model, x, perfect, { target: 0, steps: 12 });
    const bad = await insertionDeletion(engine, model, x, shuffled, { target: 0, steps: 12 });
    assert(
      good.insertion.auc > bad.insertion.auc + 0.2,
      `insertion ${good.insertion.auc} vs random ${bad.insertion.auc}`,
    );
    assert(good.deletion.auc < bad.deletion.auc - 0.2, `deletion ${good.deletion.auc} vs random ${bad.deletion.auc}`);
    model.dispose();
  });

  test('MS-SSIM matches float64 (per-image and shared b, 1–3 scales), x vs x = 1, noise ≈ 0', async (engine) => {
    const shape: [number, number, number] = [2, 24, 20];
    const size = shape[0] * shape[1] * shape[2];
    const n = 3;
    const a = random(11, n * size);
    // b = a + noise: similarities spread over (0, 1)
    const noise = random(12, n * size, -0.3, 0.3);
    const b = a.map((v, i) => v + noise[i]! * (i % 3));
    const ta = Tensor.from(engine, a, [n, ...shape]);
    const tb = Tensor.from(engine, b, [n, ...shape]);
    const tb0 = Tensor.from(engine, b.subarray(0, size), [1, ...shape]);
    for (const opts of [{}, { winSize: 5 }, { winSize: 3, sigma: 1, dataRange: 2 }]) {
      const got = await msSsim(engine, ta, tb, opts);
      const shared = await msSsim(engine, ta, tb0, opts);
      for (let i = 0; i < n; i++) {
        const e = refMsSsim(
          f64(a.subarray(i * size, (i + 1) * size)),
          f64(b.subarray(i * size, (i + 1) * size)),
          shape,
          opts,
        );
        const e0 = refMsSsim(f64(a.subarray(i * size, (i + 1) * size)), f64(b.subarray(0, size)), shape, opts);
        expectClose(
          [got[i]!, shared[i]!],
          [e.value, e0.value],
          { atol: 1e-4 },
          `image ${i} ${JSON.stringify(opts)} (${e.scales} scales)`,
        );
      }
    }
    const self = await msSsim(engine, ta, ta);
    assert(maxAbsDiff(self, [1, 1, 1]) < 1e-5, `MS-SSIM(x, x) = ${Array.from(self)}`);
    // 64×64: enough window positions at the coarsest scale for the estimate itself to be near 0
    const big: [number, number, number] = [1, 64, 64];
    const u = Tensor.from(engine, random(21, 3 * 64 * 64), [3, ...big]);
    const v = Tensor.from(engine, random(22, 3 * 64 * 64), [3, ...big]);
    const indep = await msSsim(engine, u, v);
    assert(
      indep.every((s) => Math.abs(s) < 0.1),
      `independent noise: ${Array.from(indep)}`,
    );
    for (const t of [ta, tb, tb0, u, v]) t.dispose();
  });

  test('SSIM statistics and revealed images compile one pipeline for every shape, batch and scale', async (engine) => {
    const owned: Tensor[] = [];
    const t = (shape: number[]) => (
      owned.push(
        Tensor.from(
          engine,
          random(
            shape.length,
            shape.reduce((a, b) => a * b, 1),
          ),
          shape,
        ),
      ),
      owned.at(-1)!
    );
    const run = ([n, c, h, w]: number[], k: number, win: number) => {
      const stats = t([4 * n * c]);
      ssimStats(t([n, c, h, w]), t([1, c, h, w]), stats, {
        taps: new Float64Array(win).fill(1 / win),
        c1: 1e-4,
        c2: 9e-4,
        offset: 2 * n * c,
      });
      owned.push(revealImages(t([1, c, h, w]), t([1, c, h, w]), t([h * w]), t([k])));
    };
    run([1, 1, 8, 8], 2, 3);
    const compiled = engine.stats.pipelines;
    run([3, 2, 13, 9], 5, 7);
    run([2, 3, 32, 40], 1, 11);
    assert(engine.stats.pipelines === compiled, `${engine.stats.pipelines - compiled} new pipelines for other shapes`);
    await engine.sync();
    for (const x of owned) x.dispose();
  });

  test('PIC (SIC and AIC) matches float64 with one readback', async (engine) => {
    const { model, ref } = pixelSumModel(engine, [8, 14, 15, 21]);
    const thresholds = [0.05, 0.1, 0.25, 0.4, 0.6, 0.8];
    const mask = Uint8Array.from({ length: 36 }, (_, p) => (p % 11 === 0 ? 1 : 0));
    const compared = { sic: 0, aic: 0 };
    for (let seed = 0; seed < 4; seed++) {
      const x = random(40 + seed, D, 0, 0.1);
      for (const p of [8, 14, 15, 21]) for (let c = 0; c < SHAPE[0]; c++) x[c * 36 + p] = 0.8 + 0.05 * seed;
      const attribution = random(50 + seed, D, -1, 1);
      const blurred = Float32Array.from(refBlur(f64(x), SHAPE, 2));
      for (const kind of ['sic', 'aic'] as const) {
        const opts = { kind, thresholds, randomMask: seed % 2 ? mask : undefined, minPredValue: 0, numDataPoints: 50 };
        const before = engine.stats.readbacks;
        const r = await pic(engine, model, x, attribution, { ...opts, blurred });
        assert(engine.stats.readbacks - before === 1, `readbacks ${engine.stats.readbacks - before}`);
        const e = computePic(ref, f64(x), f64(attribution), { ...opts, blurred: f64(blurred) });
        assert(r.status === e.status, `seed ${seed} ${kind}: status ${r.status} vs ${e.status}`);
        if (r.status !== 'ok' || e.status !== 'ok') continue;
        compared[kind]++;
        assert(r.target === e.target, `target ${r.target} vs ${e.target}`);
        expectClose(r.informationLevels, e.informationLevels, { atol: 1e-4 }, `${kind} MS-SSIM levels`);
        expectClose(r.predictions, e.predictions, { atol: 2e-5 }, `${kind} predictions`);
        expectClose(r.curveY, e.curveY, { atol: 1e-3 }, `${kind} curve`);
        expectClose([r.auc], [e.auc], { atol: 1e-3 }, `${kind} AUC`);
      }
    }
    assert(compared.sic >= 2 && compared.aic >= 2, `too many PIC curves skipped: ${JSON.stringify(compared)}`);
    // picCurves: both kinds from one readback, equal to the separate calls
    {
      const x = random(43, D, 0, 0.1);
      for (const p of [8, 14, 15, 21]) for (let c = 0; c < SHAPE[0]; c++) x[c * 36 + p] = 0.95;
      const attribution = random(53, D, -1, 1);
      const blurred = Float32Array.from(refBlur(f64(x), SHAPE, 2));
      const opts = { thresholds, minPredValue: 0, numDataPoints: 50, blurred };
      const before = engine.stats.readbacks;
      const both = await picCurves(engine, model, x, attribution, opts);
      assert(engine.stats.readbacks - before === 1, `picCurves readbacks ${engine.stats.readbacks - before}`);
      let curves = 0;
      for (const kind of ['sic', 'aic'] as const) {
        const one = await pic(engine, model, x, attribution, { ...opts, kind });
        const e = computePic(ref, f64(x), f64(attribution), {
          kind,
          thresholds,
          minPredValue: 0,
          numDataPoints: 50,
          blurred: f64(blurred),
        });
        const r = both[kind];
        assert(
          r.status === one.status && r.status === e.status,
          `picCurves ${kind}: status ${r.status} vs ${one.status} vs ${e.status}`,
        );
        if (r.status === 'ok' && one.status === 'ok' && e.status === 'ok') {
          assert(r.auc === one.auc, `picCurves ${kind} AUC ${r.auc} vs pic ${one.auc}`);
          curves++;
          expectClose([r.auc], [e.auc], { atol: 1e-3 }, `picCurves ${kind} AUC vs float64`);
        }
      }
      assert(curves === 2, `picCurves: ${curves} of 2 curves computed (the rest skipped)`);
    }
    // GPU blur of x (no `blurred` given) runs and gives a curve or a reasoned skip
    const x = random(40, D, 0, 0.1);
    for (const p of [8, 14, 15, 21]) for (let c = 0; c < SHAPE[0]; c++) x[c * 36 + p] = 0.8;
    const attribution = random(50, D, -1, 1);
    const r = await pic(engine, model, x, attribution, { kind: 'sic', thresholds, minPredValue: 0, blurSigma: 2 });
    const e = computePic(ref, f64(x), f64(attribution), {
      kind: 'sic',
      thresholds,
      minPredValue: 0,
      blurred: refBlur(f64(x), SHAPE, 2),
    });
    assert(r.status === 'ok' && e.status === 'ok' && Math.abs(r.auc - e.auc) < 1e-3, 'pic with the GPU blur');
    model.dispose();
  });

  test('Gini of one-hot, constant and random vectors; completeness error', async () => {
    const oneHot = new Float32Array(10);
    oneHot[4] = -3;
    assert(Math.abs(gini(oneHot) - 0.9) < 1e-12, `one-hot Gini ${gini(oneHot)}`);
    assert(Math.abs(gini(new Float32Array(10).fill(2))) < 1e-12, 'constant Gini');
    assert(gini(new Float32Array(5)) === 0, 'zero Gini');
    const v = random(60, 50, -1, 1);
    assert(Math.abs(gini(v) - giniIndex(v)) < 1e-12, 'random Gini vs reference');
    const c = completenessError(1.5, 2, 0.25);
    const e = refCompleteness(1.5, 2, 0.25);
    assert(c.delta === e.delta && c.relative === e.relative && c.absolute === e.absolute, 'completeness');
    assert(rankPixels([1, 3, 3, 0]).join() === '1,2,0,3', 'ties by index');
  });

  test('metrics reject bad input with PathlightError', async (engine) => {
    const { model } = smallCnn(engine);
    const x = random(1, D);
    await expectThrows(() => insertionDeletion(engine, model, x, x, { target: 0, steps: 0 }), /steps/, 'steps');
    await expectThrows(() => insertionDeletion(engine, model, x, x, { target: 9 }), /target/, 'target');
    await expectThrows(() => insertionDeletion(engine, model, x.subarray(1), x, { target: 0 }), /x has/, 'x length');
    await expectThrows(
      () => insertionDeletion(engine, model, x, x.subarray(1), { target: 0 }),
      /attribution length/,
      'attribution length',
    );
    await expectThrows(
      () => pic(engine, model, x, x, { kind: 'sic', thresholds: [0.5, 0.2] }),
      /ascending/,
      'thresholds',
    );
    const a = Tensor.from(engine, random(2, 2 * D), [2, ...SHAPE]);
    const b = Tensor.from(engine, random(3, 2 * 2 * 6 * 5), [2, 2, 6, 5]);
    await expectThrows(() => msSsim(engine, a, b), /msSsim/, 'shapes');
    await expectThrows(() => msSsim(engine, a, a, { winSize: 4 }), /winSize/, 'window');
    for (const t of [a, b]) t.dispose();
    model.dispose();
  });
});
