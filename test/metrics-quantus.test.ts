/**
 * The Quantus-style metrics on the GPU against Quantus's own code: test/fixtures/quantus/metrics.json
 * holds what Quantus @ 85bc29d (run by test/fixtures/quantus/generate.py with Debian's numpy and
 * scipy) computed for a linear model on one 1×12×12 image, together with every random draw it
 * used (ROAD's noise, the subsets, the uniform noise), which pathlight is given here. Colour
 * (two channels, a small CNN) is checked against the float64 transliteration instead.
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
  evaluateMethods,
  faithfulnessCorrelation,
  infidelity,
  meanScores,
  noisyLinearImputation,
  normaliseByNegative,
  QUANTUS_METRICS,
  quantusScores,
  quantusTable,
  randomSubsets,
  rankPixels,
  reduceToPixels,
  road,
  sensitivity,
  sparseness,
  uniformNoise,
} from '../src/metrics/index.js';
import { explain } from '../src/attribution/explain.js';
import { evalCommand } from '../src/cli/eval-command.js';
import { parseFlags } from '../src/cli/flags.js';
import { Rng } from './harness/random.js';
import { imageSeed } from '../src/metrics/seeds.js';
import { smallCnn } from './kernels/methods.cases.js';
import { faithfulnessCorrelation as refCorrelation, infidelity as refInfidelity } from './reference/metrics/quantus.js';
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

describe('two channels (a small CNN) against the float64 transliteration', () => {
  it('faithfulness correlation, infidelity (C·H·W and H·W attributions) and sensitivity of explain()', async () => {
    const { model: cnn, ref } = smallCnn(engine);
    const [c, h, w] = ref.shape;
    const d = c * h * w;
    const rng = new Rng(8);
    const xs = Float32Array.from(rng.uniform(d, 0.1, 1));
    const x64 = Float64Array.from(xs);
    const a = Float64Array.from(rng.uniform(d, -1, 1));
    const saliency = reduceToPixels(a, [c, h, w], 'sum');
    const target = 2;

    const subsets = randomSubsets(h * w, w, 12, 3);
    const fc = await faithfulnessCorrelation(engine, cnn, xs, a, { target, runs: 12, subsets });
    const rows = Array.from({ length: 12 }, (_, r) => Array.from(subsets.subarray(r * w, (r + 1) * w)));
    expect(Math.abs(fc.correlation - refCorrelation(ref, x64, saliency, target, rows))).toBeLessThan(1e-4);

    const inf = await infidelity(engine, cnn, xs, a, { target }); // 6×6 in patches of 4: edge patches cut
    const want = refInfidelity(ref, x64, a, target, 4);
    expect(Math.abs(inf.infidelity - want) / want).toBeLessThan(1e-4);
    const perPixel = await infidelity(engine, cnn, xs, saliency, { target });
    const repeated = Float64Array.from({ length: d }, (_, i) => saliency[i % (h * w)]!);
    const wantPerPixel = refInfidelity(ref, x64, repeated, target, 4);
    expect(Math.abs(perPixel.infidelity - wantPerPixel) / wantPerPixel).toBeLessThan(1e-4);

    const grad = (image: Float32Array) => explain(engine, cnn, image, { method: 'grad', target });
    const own = (await grad(xs)).attribution;
    const noise = uniformNoise(4 * d, -0.2, 0.2, 9);
    const sens = await sensitivity(async (images) => (await grad(images)).attribution, xs, own, { noise });
    const a0 = ref.grad(x64, target, 'logit');
    const norm = Math.hypot(...a0);
    const wantSens = Array.from({ length: 4 }, (_, s) => {
      const moved = Float64Array.from(x64, (v, i) => v + noise[s * d + i]!);
      const g = ref.grad(moved, target, 'logit');
      return Math.hypot(...Array.from(g, (v, i) => v - a0[i]!)) / norm;
    });
    expect(maxAbsDiff(sens.sensitivities, wantSens)).toBeLessThan(1e-4);
    expect(sens.maxSensitivity).toBe(Math.max(...sens.sensitivities));
    cnn.dispose();
  });

  it('refuses bad input with one-line errors', async () => {
    await expect(faithfulnessCorrelation(engine, model, x, attribution, { target: 7 })).rejects.toThrow(/target/);
    await expect(
      faithfulnessCorrelation(engine, model, x, attribution, { target: 0, runs: 3, subsets: Int32Array.of(1, 2) }),
    ).rejects.toThrow(/subsets/);
    await expect(infidelity(engine, model, x, [1, 2, 3], { target: 0 })).rejects.toThrow(/attribution length/);
    await expect(sensitivity(() => Promise.resolve([]), x, attribution, { samples: 2 })).rejects.toThrow(/returned 0/);
    await expect(sensitivity(() => Promise.resolve([]), x, new Float64Array(D))).rejects.toThrow(/all zeros/);
  });
});

describe('in evaluateMethods() and pathlight eval', () => {
  it('adds each requested metric as quantusScores() of the image (seeded by imageSeed(seed, i))', async () => {
    const { model: cnn, ref } = smallCnn(engine);
    const d = ref.shape[0] * ref.shape[1] * ref.shape[2];
    const images = Float32Array.from(new Rng(5).uniform(d, 0, 1));
    const [row] = await evaluateMethods(engine, cnn, images, {
      methods: ['grad'],
      curveSteps: 4,
      quantusMetrics: [...QUANTUS_METRICS],
      sensitivitySamples: 2,
      seed: 3,
    });
    const r = await explain(engine, cnn, images, { method: 'grad' });
    const per = await Promise.all(
      [0].map((i) =>
        quantusScores(
          engine,
          cnn,
          images.subarray(i * d, (i + 1) * d),
          r.attribution.subarray(i * d, (i + 1) * d),
          QUANTUS_METRICS,
          {
            target: r.images[i]!.target,
            seed: imageSeed(3, i),
            sensitivitySamples: 2,
            explainBatch: async (b) =>
              (await explain(engine, cnn, b, { method: 'grad', target: r.images[i]!.target })).attribution,
          },
        ),
      ),
    );
    const want = meanScores(per);
    expect(Object.keys(want).sort()).toEqual(
      [
        'avgSensitivity',
        'complexity',
        'faithfulnessCorrelation',
        'infidelity',
        'maxSensitivity',
        'roadLerf',
        'roadMorf',
        'sparseness',
      ].sort(),
    );
    for (const [k, v] of Object.entries(want)) expect(row!.quantus![k as keyof typeof want]).toBeCloseTo(v!, 6);
    expect(quantusTable([row!])).toContain('| grad |');
    cnn.dispose();
  });

  it('unknown metric names are refused before GPU work', async () => {
    await expect(
      evalCommand(parseFlags(['--model', 'lenet', '--dataset', 'mnist', '--metrics', 'road,roads'])),
    ).rejects.toThrow(/eval --metrics: unknown metric 'roads'/);
    await expect(
      evaluateMethods(engine, model, x, { methods: ['grad'], quantusMetrics: ['sparsity'] }),
    ).rejects.toThrow(/unknown metric 'sparsity'/);
  });
});
