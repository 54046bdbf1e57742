/**
 * ROAD on the GPU against its float64 transliteration of Quantus (test/reference/metrics/road.ts):
 * the conjugate-gradient imputation against a direct (banded Cholesky) solve to 1e-4 on 28² and
 * 32² planes at the stated removal levels, and the MoRF/LeRF curves of a small CNN, with the
 * same noise arrays on both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { noisyLinearImputation, road, standardNormals } from '../src/metrics/index.js';
import { rankPixels } from '../src/metrics/pixel-order.js';
import { maxAbsDiff } from './harness/assert.js';
import { Rng } from './harness/random.js';
import { noisyLinearImputation as refImputation, road as refRoad } from './reference/metrics/road.js';
import { smallCnn } from './kernels/methods.cases.js';
import { blobSaliency, imputationError } from './harness/imputation.js';
import { PathlightError } from '../src/errors.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('noisy linear imputation (conjugate gradients on the GPU)', () => {
  // the full sweep (every ROAD level and 99 %, 1×28² and 3×32²) is in metrics-road.e2e.test.ts
  for (const [c, h, w, levels] of [[1, 28, 28, [90, 99]]] as const)
    it(`matches a float64 direct solve to 1e-4 on ${c}×${h}×${w} at ${levels.join(', ')} %, MoRF and LeRF`, async () => {
      expect(await imputationError(engine, [c, h, w], levels)).toBeLessThan(1e-4);
    });

  it('too few iterations are visibly off (the check can fail), and zero noise imputes exactly the solve', async () => {
    const [c, h, w] = [1, 16, 16];
    const hw = h * w;
    const rng = new Rng(3);
    const x = Float32Array.from(rng.uniform(hw, 0, 1));
    const set = Array.from(rankPixels(blobSaliency(h, w, rng))).slice(0, 200);
    const removed = new Float32Array(hw);
    for (const p of set) removed[p] = 1;
    const noise = standardNormals(hw, 1);
    const want = refImputation(x, [c, h, w], set, noise, 0);
    const run = async (iterations: number) => {
      const t = [Tensor.from(engine, x, [1, c, h, w]), Tensor.from(engine, removed, [1, hw])];
      const normals = Tensor.from(engine, noise, [1, c, h, w]);
      const out = noisyLinearImputation(t[0]!, t[1]!, normals, { sigma: 0, iterations });
      const got = await out.download();
      for (const u of [...t, normals, out]) u.dispose();
      return maxAbsDiff(got, want);
    };
    expect(await run(3)).toBeGreaterThan(1e-2);
    expect(await run(128)).toBeLessThan(1e-5);
  });

  it('refuses mismatched masks and noise before GPU work', () => {
    const image = Tensor.zeros(engine, [1, 1, 4, 4]);
    const masks = Tensor.zeros(engine, [2, 15]);
    const noise = Tensor.zeros(engine, [2, 1, 4, 4]);
    expect(() => noisyLinearImputation(image, masks, noise, { sigma: 0.01 })).toThrow(PathlightError);
    for (const t of [image, masks, noise]) t.dispose();
  });
});

describe('ROAD (MoRF and LeRF)', () => {
  it('matches the float64 transliteration of Quantus on a small CNN, with the same noise', async () => {
    const { model, ref } = smallCnn(engine);
    const [c, h, w] = ref.shape;
    const d = c * h * w;
    const rng = new Rng(11);
    const percentages = [10, 30, 50, 70, 90];
    const levels = percentages.length;
    let kept = 0;
    const x = Float32Array.from(rng.uniform(d, 0, 1));
    const attribution = Float32Array.from(rng.uniform(d, -1, 1));
    const z = ref.logits(Float64Array.from(x));
    const target = z.indexOf(Math.max(...z)); // the prediction: kept at low levels, so `correct` has 1s
    const noise = standardNormals(2 * levels * d, 1);
    const got = await road(engine, model, x, attribution, { target, percentages, noise, sigma: 0.05 });
    const saliency = new Float64Array(h * w);
    for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) saliency[p]! += attribution[ch * h * w + p]!;
    const slice = (i: number) => noise.subarray(i * d, (i + 1) * d);
    const want = refRoad(
      ref,
      Float64Array.from(x),
      saliency,
      target,
      percentages,
      {
        morf: percentages.map((_, l) => slice(l)),
        lerf: percentages.map((_, l) => slice(levels + l)),
      },
      0.05,
    );
    for (const o of ['morf', 'lerf'] as const) {
      expect(maxAbsDiff(got[o].probability, want[o].probability)).toBeLessThan(1e-4);
      expect(Array.from(got[o].correct)).toEqual(Array.from(want[o].correct));
      kept += got[o].correct.reduce((n, v) => n + v, 0);
    }
    expect(kept).toBeGreaterThan(0); // some imputed images keep the target
    model.dispose();
  });

  it('seeded: the same seed gives the same curves, and bad levels are refused', async () => {
    const { model } = smallCnn(engine);
    const x = Float32Array.from(new Rng(1).uniform(72, 0, 1));
    const a = Float32Array.from(new Rng(2).uniform(72, -1, 1));
    const percentages = [30, 60];
    const one = await road(engine, model, x, a, { target: 1, seed: 4, sigma: 0.5, percentages });
    const two = await road(engine, model, x, a, { target: 1, seed: 4, sigma: 0.5, percentages });
    expect(Array.from(one.morf.probability)).toEqual(Array.from(two.morf.probability));
    expect(Array.from(one.lerf.probability)).toEqual(Array.from(two.lerf.probability));
    await expect(road(engine, model, x, a, { target: 1, percentages: [0, 50] })).rejects.toThrow(/percentages/);
    await expect(road(engine, model, x, a, { target: 9 })).rejects.toThrow(/target/);
    model.dispose();
  });
});
