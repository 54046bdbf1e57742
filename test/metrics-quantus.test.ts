/**
 * The Quantus-style metrics on the GPU against Quantus's own code: test/fixtures/quantus/metrics.json
 * holds what Quantus @ 85bc29d (run by test/fixtures/quantus/generate.py with Debian's numpy and
 * scipy) computed for a linear model on one 1×12×12 image, together with every random draw it
 * used (ROAD's noise, the subsets, the uniform noise), which pathlight is given here.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { GraphBuilder } from '../src/nn/graph.js';
import { buildModel } from '../src/nn/init.js';
import type { Model } from '../src/nn/model.js';
import { Tensor } from '../src/tensor/tensor.js';
import {
  complexity,
  faithfulnessCorrelation,
  infidelity,
  noisyLinearImputation,
  normaliseByNegative,
  rankPixels,
  road,
  sensitivity,
  sparseness,
} from '../src/metrics/index.js';
import { maxAbsDiff } from './harness/assert.js';
import { noisyLinearImputation as refImputation } from './reference/metrics/road.js';

interface Fixture {
  quantus: string;
  shape: [number, number, number];
  classes: number;
  weight: number[];
  bias: number[];
  x: number[];
  attribution: number[];
  target: number;
  road: {
    percentages: number[];
    sigma: number;
    noise: number[];
    morf: { correct: number[]; images: number[][] };
    lerf: { correct: number[]; images: number[][] };
  };
  imputation: { removed: number[]; image: number[] };
  faithfulnessCorrelation: { runs: number; subsetSize: number; subsets: number[]; correlation: number };
  infidelity: { patchSize: number; value: number };
  sensitivity: { samples: number; bound: number; noise: number[]; max: number; avg: number };
  sparseness: number;
  complexity: number;
}

const q = JSON.parse(readFileSync(new URL('./fixtures/quantus/metrics.json', import.meta.url), 'utf8')) as Fixture;
const [C, H, W] = q.shape;
const D = C * H * W;
const x = Float32Array.from(q.x);
const attribution = Float64Array.from(q.attribution);

let engine: Engine;
let model: Model;
beforeAll(async () => {
  engine = await createEngine();
  const g = new GraphBuilder();
  const flat = g.flatten('flat', 0);
  g.linear('fc', flat, D, q.classes);
  const values = new Map([
    ['fc.weight', { shape: [q.classes, D], data: Float32Array.from(q.weight) }],
    ['fc.bias', { shape: [q.classes], data: Float32Array.from(q.bias) }],
  ]);
  model = buildModel(
    engine,
    g,
    { name: 'quantus-linear', inputShape: q.shape, numClasses: q.classes, representationNode: flat },
    values,
  );
});
afterAll(() => {
  model?.dispose();
  engine?.dispose();
});

describe('against Quantus @ 85bc29d (fixture)', () => {
  it('the float64 imputation reference reproduces Quantus’s sparse direct solve', () => {
    const got = refImputation(q.x, q.shape, q.imputation.removed, new Float64Array(D), 0);
    expect(maxAbsDiff(got, q.imputation.image)).toBeLessThan(1e-8);
  });

  it('ROAD: the GPU imputes Quantus’s images (same noise) to 1e-4 and agrees on every prediction', async () => {
    const { percentages, sigma } = q.road;
    const levels = percentages.length;
    const noise = Float32Array.from(q.road.noise); // [MoRF levels, LeRF levels] × [C, H, W]
    const got = await road(engine, model, x, attribution, { target: q.target, percentages, sigma, noise });
    expect(Array.from(got.morf.correct)).toEqual(q.road.morf.correct);
    expect(Array.from(got.lerf.correct)).toEqual(q.road.lerf.correct);

    const order = rankPixels(attribution);
    const masks = new Float32Array(2 * levels * H * W);
    percentages.forEach((pct, l) => {
      const count = Math.floor((H * W * pct) / 100);
      for (let i = 0; i < count; i++) {
        masks[l * H * W + order[i]!] = 1;
        masks[(levels + l) * H * W + order[H * W - 1 - i]!] = 1;
      }
    });
    const t = [Tensor.from(engine, x, [1, C, H, W]), Tensor.from(engine, masks, [2 * levels, H * W])];
    const normals = Tensor.from(engine, noise, [2 * levels, C, H, W]);
    const imputed = noisyLinearImputation(t[0]!, t[1]!, normals, { sigma });
    const images = await imputed.download();
    for (const u of [...t, normals, imputed]) u.dispose();
    const want = [...q.road.morf.images, ...q.road.lerf.images];
    want.forEach((image, k) => expect(maxAbsDiff(images.subarray(k * D, (k + 1) * D), image)).toBeLessThan(1e-4));
  });

  it('faithfulness correlation with Quantus’s subsets', async () => {
    const { runs, subsetSize, subsets, correlation } = q.faithfulnessCorrelation;
    const got = await faithfulnessCorrelation(engine, model, x, attribution, {
      target: q.target,
      runs,
      subsetSize,
      subsets: Int32Array.from(subsets),
    });
    expect(Math.abs(got.correlation - correlation)).toBeLessThan(1e-4);
  });

  it('infidelity (cumulative black patches of 4)', async () => {
    const got = await infidelity(engine, model, x, attribution, {
      target: q.target,
      patchSize: q.infidelity.patchSize,
    });
    expect(Math.abs(got.infidelity - q.infidelity.value) / q.infidelity.value).toBeLessThan(1e-4);
    const single = await infidelity(engine, model, x, attribution, { target: q.target, cumulative: false });
    expect(Math.abs(single.infidelity - q.infidelity.value)).toBeGreaterThan(1e-2); // the option matters
  });

  it('max- and avg-sensitivity with Quantus’s uniform noise (explanation: x ⊙ W[target])', async () => {
    const row = q.weight.slice(q.target * D, (q.target + 1) * D);
    const explain = (xs: Float32Array) => Promise.resolve(Float64Array.from(xs, (v, i) => v * row[i % D]!));
    const a = await explain(x);
    const got = await sensitivity(explain, x, a, { noise: Float32Array.from(q.sensitivity.noise) });
    expect(got.sensitivities.length).toBe(q.sensitivity.samples);
    // float32 noise and x against Quantus's float64
    expect(Math.abs(got.maxSensitivity - q.sensitivity.max)).toBeLessThan(1e-6);
    expect(Math.abs(got.avgSensitivity - q.sensitivity.avg)).toBeLessThan(1e-6);
  });

  it('sparseness and complexity (normalise_by_negative, then |·|)', () => {
    expect(Math.abs(sparseness(attribution) - q.sparseness)).toBeLessThan(1e-9);
    expect(Math.abs(complexity(attribution) - q.complexity)).toBeLessThan(1e-9);
    // Quantus's normalisation is not a no-op on a mixed-sign attribution
    expect(Math.abs(sparseness(attribution, { normalise: false }) - q.sparseness)).toBeGreaterThan(1e-6);
    expect(Array.from(normaliseByNegative([2, -4, 0, 1]))).toEqual([1, -1, 0, 0.5]);
  });
});
