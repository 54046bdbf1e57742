/**
 * IG2 on the GPU against the float64 reference (test/reference/methods/ig2.ts) on the small random
 * CNN with a linear head (representation = input of the final linear layer): attribution,
 * f(GradCF) and the completeness gap; the early stop; ‖G‖ = 0; readbacks; bad options.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectThrows, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { explain, type Explanation } from '../../src/attribution/index.js';
import { ig2 as ig2Reference, type Ig2Options } from '../reference/methods/ig2.js';
import { smallCnn } from './methods.cases.js';
import { pickRelevantReferences } from '../../src/attribution/methods/ig2/references.js';

const SHAPE = [2, 6, 6] as const;
const D = SHAPE[0] * SHAPE[1] * SHAPE[2];
const TARGETS = [1, 3];

function images(seed: number, n: number): Float32Array {
  return Float32Array.from(new Rng(seed).uniform(n * D, 0, 1));
}

function row(a: ArrayLike<number>, i: number): Float64Array {
  return Float64Array.from(Array.prototype.slice.call(a, i * D, (i + 1) * D));
}

function rows(a: ArrayLike<number>, n: number): Float64Array[] {
  return Array.from({ length: n }, (_, i) => row(a, i));
}

type RefOptions = Omit<Ig2Options, 'target'>;

/** GPU explain() and the reference per image agree on the attribution, f(GradCF) and the gap. */
function compare(r: Explanation, refs: ReturnType<typeof ig2Reference>[], tol: number, label: string): void {
  refs.forEach((e, i) => {
    const err = relL2(row(r.attribution, i), e.attribution);
    assert(err < tol, `${label} image ${i}: attribution rel L2 ${err}`);
    const img = r.images[i]!;
    const scale = Math.max(1, Math.abs(e.fx));
    assert(
      Math.abs(img.fStart - e.fBaseline) < tol * scale,
      `${label} image ${i}: fStart ${img.fStart} vs mean f(GradCF) ${e.fBaseline}`,
    );
    const gap = img.sum - (img.fx - img.fStart);
    assert(Math.abs(gap - e.delta) < tol * scale, `${label} image ${i}: completeness gap ${gap} vs float64 ${e.delta}`);
  });
}

export default defineCases('ig2', (test) => {
  test('IG2 matches float64 for 2 images × 2 references (logit and prob), 2 readbacks', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = images(21, 2);
    const references = images(22, 2);
    for (const output of ['logit', 'prob'] as const) {
      const opts: RefOptions = { steps: 5, stepSize: 0.4, clip: [0, 1], output };
      const reads0 = engine.stats.readbacks;
      const live0 = engine.poolStats().liveBuffers;
      const r = await explain(engine, model, x, {
        method: 'ig2',
        steps: 5,
        target: TARGETS,
        output,
        methodOptions: { references, stepSize: 0.4 },
      });
      const reads = engine.stats.readbacks - reads0;
      assert(reads === 2, `ig2/${output}: ${reads} readbacks, expected 2`);
      const ig2Live = engine.poolStats().liveBuffers - live0;
      const live1 = engine.poolStats().liveBuffers;
      await explain(engine, model, x, { method: 'ig', steps: 5, target: TARGETS, output });
      const igLive = engine.poolStats().liveBuffers - live1;
      assert(ig2Live === igLive, `ig2/${output}: left ${ig2Live} GPU buffers alive, explain() around IG ${igLive}`);
      const e = rows(x, 2).map((xi, i) => ig2Reference(ref, xi, rows(references, 2), { ...opts, target: TARGETS[i]! }));
      // the path really moved: a zero map would pass the gap check trivially
      assert(
        e.every((ei) => ei.attribution.some((v) => Math.abs(v) > 1e-4)),
        `ig2/${output}: reference attribution is ~0, the test cannot fail`,
      );
      compare(r, e, 1e-3, `ig2/${output}`);
      // a budget of 4 rows (2 per pair): one image per chunk gives the same result
      const chunked = await explain(engine, model, x, {
        method: 'ig2',
        steps: 5,
        target: TARGETS,
        output,
        memoryBudgetBytes: 9000,
        methodOptions: { references, stepSize: 0.4 },
      });
      compare(chunked, e, 1e-3, `ig2/${output} chunked`);
    }
    model.dispose();
  });

  test('IG2 reports the completeness gap against mean f(GradCF), unclipped paths too', async (engine) => {
    const { model, ref } = smallCnn(engine, 5);
    const x = images(23, 2);
    const references = images(24, 2);
    const opts: RefOptions = { steps: 12, stepSize: 0.05 };
    const r = await explain(engine, model, x, {
      method: 'ig2',
      steps: 12,
      target: TARGETS,
      methodOptions: { references, stepSize: 0.05, clip: null },
    });
    const e = rows(x, 2).map((xi, i) => ig2Reference(ref, xi, rows(references, 2), { ...opts, target: TARGETS[i]! }));
    compare(r, e, 1e-3, 'ig2 unclipped');
    r.images.forEach((img, i) => {
      const expected = Math.abs(e[i]!.delta) / Math.abs(e[i]!.fx - e[i]!.fBaseline);
      assert(
        Math.abs(img.completenessError - expected) < 1e-3 + 1e-2 * expected,
        `image ${i}: completenessError ${img.completenessError} vs ${expected}`,
      );
      assert(img.fStart !== img.fx, `image ${i}: fStart should be f(GradCF), not f(x)`);
    });
    model.dispose();
  });

  test('IG2 early stop: the path stops (more steps change nothing) and matches float64', async (engine) => {
    const { model, ref } = smallCnn(engine);
    const x = images(25, 2);
    const references = images(26, 2);
    const earlyStop = { patience: 2, relTol: 1e-3 };
    // A large η overshoots GradCF and oscillates: the distance stops falling within a few steps.
    const opts: RefOptions = { steps: 16, stepSize: 0.5, clip: [0, 1], earlyStop };
    const e = rows(x, 2).map((xi, i) => ig2Reference(ref, xi, rows(references, 2), { ...opts, target: TARGETS[i]! }));
    // every path stops, each after moving at least once and then being cut back to its best point
    const cut = e.every((ei) =>
      ei.paths.every((p) => p.stoppedEarly && p.path.length > 1 && p.searchSteps > p.path.length - 1),
    );
    assert(cut, 'reference paths did not stop early after moving: the case does not exercise the stop');
    const run = (steps: number) =>
      explain(engine, model, x, {
        method: 'ig2',
        steps,
        target: TARGETS,
        methodOptions: { references, stepSize: 0.5, earlyStop },
      });
    const r16 = await run(16);
    compare(r16, e, 1e-3, 'ig2 early stop');
    const pipelines = engine.stats.pipelines;
    const r24 = await run(24);
    assert(
      engine.stats.pipelines === pipelines,
      `another step count compiled ${engine.stats.pipelines - pipelines} pipelines`,
    );
    const diff = relL2(r24.attribution, r16.attribution);
    assert(diff < 1e-6, `stopped paths moved on: rel L2 ${diff} between 16 and 24 steps`);
    // without the stop the oscillation keeps adding segments
    const free = await explain(engine, model, x, {
      method: 'ig2',
      steps: 16,
      target: TARGETS,
      methodOptions: { references, stepSize: 0.5 },
    });
    assert(relL2(free.attribution, r16.attribution) > 1e-3, 'early stop changed nothing');
    model.dispose();
  });

  test('IG2 with ‖G‖ = 0 (reference equal to the input) gives zeros, not NaN', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(27, 1);
    const r = await explain(engine, model, x, {
      method: 'ig2',
      steps: 3,
      target: [2],
      methodOptions: { references: x },
    });
    assert(
      r.attribution.every((v) => v === 0),
      'attribution should be exactly zero',
    );
    const img = r.images[0]!;
    assert(
      Number.isFinite(img.fStart) && Math.abs(img.fStart - img.fx) < 1e-6,
      `fStart ${img.fStart} should be f(x) ${img.fx}`,
    );
    model.dispose();
  });

  test('IG2 rejects bad options with a PathlightError naming them', async (engine) => {
    const { model } = smallCnn(engine);
    const x = images(28, 1);
    const references = images(29, 1);
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig2', steps: 2 }),
      /ig2: methodOptions.references must be a Float32Array/,
      'missing references',
    );
    await expectThrows(
      () =>
        explain(engine, model, x, { method: 'ig2', steps: 2, methodOptions: { references: new Float32Array(D + 1) } }),
      /not a whole number of images of 72 features/,
      'reference size',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig2', steps: 2, methodOptions: { references, stepSize: 0 } }),
      /stepSize must be a positive number/,
      'stepSize',
    );
    await expectThrows(
      () => explain(engine, model, x, { method: 'ig2', steps: 2, methodOptions: { references, clip: [1, 0] } }),
      /clip must be \[lo, hi\]/,
      'clip',
    );
    await expectThrows(
      () =>
        explain(engine, model, x, {
          method: 'ig2',
          steps: 2,
          methodOptions: { references, earlyStop: { patience: 0 } },
        }),
      /earlyStop.patience must be an integer >= 1/,
      'patience',
    );
    model.dispose();
  });
  test('IG2 with per-image references (referencesPerImage) matches float64 per image, chunked too', async (engine) => {
    const { model, ref } = smallCnn(engine, 7);
    const x = images(31, 2);
    const references = images(32, 4); // image 0: rows 0–1, image 1: rows 2–3
    const opts: RefOptions = { steps: 6, stepSize: 0.3, clip: [0, 1] };
    const e = rows(x, 2).map((xi, i) =>
      ig2Reference(ref, xi, rows(references, 4).slice(2 * i, 2 * i + 2), { ...opts, target: TARGETS[i]! }),
    );
    const methodOptions = { references, referencesPerImage: 2, stepSize: 0.3 };
    const r = await explain(engine, model, x, { method: 'ig2', steps: 6, target: TARGETS, methodOptions });
    compare(r, e, 1e-3, 'ig2 per-image');
    // shared references would give a different answer: the test can tell them apart
    const shared = rows(x, 2).map((xi, i) =>
      ig2Reference(ref, xi, rows(references, 4).slice(0, 2), { ...opts, target: TARGETS[i]! }),
    );
    assert(
      relL2(shared[1]!.attribution, e[1]!.attribution) > 1e-2,
      'per-image and shared references give the same attribution: the test cannot fail',
    );
    const chunked = await explain(engine, model, x, {
      method: 'ig2',
      steps: 6,
      target: TARGETS,
      memoryBudgetBytes: 9000,
      methodOptions,
    });
    compare(chunked, e, 1e-3, 'ig2 per-image chunked');
    await expectThrows(
      () =>
        explain(engine, model, x, { method: 'ig2', steps: 2, methodOptions: { references, referencesPerImage: 3 } }),
      /4 reference images are not 3 per image for 2 images/,
      'count',
    );
    model.dispose();
  });

  test('relevant references: the pool image most typical of each next most likely class (float64 check)', async (engine) => {
    const { model, ref } = smallCnn(engine, 9);
    const x = images(41, 3);
    const pool = new Float32Array(14 * D);
    pool.set(Float32Array.from(new Rng(42).uniform(13 * D, -4, 4))); // wide values: varied predictions
    pool.set(x.subarray(0, D), 13 * D); // the explicand itself is in the pool: never its own reference
    const count = 2;
    const got = await pickRelevantReferences(engine, model, x, pool, { count });
    const softmax = (z: Float64Array) => {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    };
    const argmax = (v: ArrayLike<number>) => Array.prototype.indexOf.call(v, Math.max(...Array.from(v)));
    const poolP = rows(pool, 14).map((p) => softmax(ref.logits(p)));
    const predicted: number[] = [];
    rows(x, 3).forEach((xi, i) => {
      const p = softmax(ref.logits(xi));
      const target = argmax(p);
      const order = [0, 1, 2, 3].filter((c) => c !== target).sort((a, b) => p[b]! - p[a]!);
      const used = new Set<number>();
      const expected: number[] = [];
      for (const c of order) {
        if (expected.length === count) break;
        const free = [...Array(14).keys()].filter((j) => !used.has(j) && !(i === 0 && j === 13));
        const typical = free.filter((j) => argmax(poolP[j]!) === c);
        const from = typical.length ? typical : free;
        if (!from.length) continue;
        const best = from.reduce((a, b) => (poolP[b]![c]! > poolP[a]![c]! ? b : a));
        used.add(best);
        expected.push(best);
      }
      const pick = got.picks[i]!;
      if (i === 0) predicted.push(...poolP.map((q) => argmax(q)));
      assert(pick.target === target, `image ${i}: target ${pick.target}, float64 ${target}`);
      assert(
        JSON.stringify(pick.poolIndices) === JSON.stringify(expected),
        `image ${i}: picked ${pick.poolIndices}, float64 ${expected}`,
      );
      pick.poolIndices.forEach((j, r) =>
        assert(
          relL2(row(got.references, i * count + r), row(pool, j)) === 0,
          `image ${i} reference ${r} is not pool image ${j}`,
        ),
      );
    });
    assert(!got.picks[0]!.poolIndices.includes(13), 'image 0 got itself as a reference');
    assert(
      new Set(predicted).size >= 2,
      `the pool's predictions ${predicted} hold one class: the typical-image rule is not exercised`,
    );
    // the picks feed IG2 directly
    const r = await explain(engine, model, x, {
      method: 'ig2',
      steps: 3,
      methodOptions: { references: got.references, referencesPerImage: count, stepSize: 0.3 },
    });
    assert(
      r.images.every((im) => Number.isFinite(im.sum)),
      'IG2 on the picked references is not finite',
    );
    await expectThrows(
      () => pickRelevantReferences(engine, model, x, pool, { count: 4 }),
      /count must be an integer in \[1, 3\]/,
      'count',
    );
    await expectThrows(
      () => pickRelevantReferences(engine, model, x, pool.subarray(0, D + 1), { count: 1 }),
      /pool hold 73 values/,
      'pool shape',
    );
    model.dispose();
  });
});
