/**
 * `pathlight eval`'s evidence machinery: per-image seeds, the seeded bootstrap, the exact sign test,
 * shard slices and merges (3 merged shards = 1 run, bit for bit; refusals), and batch independence
 * of every method (image i alone = image i inside a batch of 7, bitwise).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import type { Model } from '../src/nn/model.js';
import { explain, type ExplainOptions } from '../src/attribution/index.js';
import { imageSeed } from '../src/metrics/seeds.js';
import { bootstrapMean } from '../src/metrics/bootstrap.js';
import { signTest } from '../src/metrics/sign-test.js';
import { summariseEvaluation } from '../src/metrics/eval-summary.js';
import { parseRange, parseShard, rangeIndices, shardSlice } from '../src/cli/eval/slices.js';
import { drawReferencePool } from '../src/cli/eval/reference-pool.js';
import { mergeResults, type EvalResults, type EvalSettings } from '../src/cli/eval/results-file.js';
import { evaluateSlice } from '../src/cli/eval/run-slice.js';
import { Rng } from './harness/random.js';
import { smallCnn } from './kernels/methods.cases.js';

describe('seeds, bootstrap and sign test', () => {
  it('seeds follow the index, not the position', () => {
    expect(imageSeed(7, 137)).toBe(imageSeed(7, 137));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => imageSeed(7, i)));
    expect(seeds.size).toBe(1000);
    expect(imageSeed(7, 1)).not.toBe(imageSeed(8, 0)); // not seed + index
  });

  it('bootstraps the mean: seeded, inside the data, degenerate cases exact', () => {
    const xs = Array.from({ length: 50 }, (_, i) => Math.sin(i) + 0.1 * i);
    const a = bootstrapMean(xs, { seed: 1 });
    expect(bootstrapMean(xs, { seed: 1 })).toEqual(a);
    expect(a.low).toBeLessThan(a.mean);
    expect(a.high).toBeGreaterThan(a.mean);
    // the normal approximation: half-width ≈ 1.96 s / √n, within the bootstrap's own noise
    const m = a.mean;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
    expect((a.high - a.low) / 2 / ((1.96 * sd) / Math.sqrt(xs.length))).toBeGreaterThan(0.85);
    expect((a.high - a.low) / 2 / ((1.96 * sd) / Math.sqrt(xs.length))).toBeLessThan(1.15);
    expect(bootstrapMean([2, 2, 2])).toEqual({ n: 3, mean: 2, low: 2, high: 2 });
    expect(bootstrapMean([]).n).toBe(0);
  });

  it('gives the exact two-sided binomial p-value, ties dropped', () => {
    expect(signTest([1, 2, 3, 4])).toEqual({ positive: 4, negative: 0, ties: 0, p: 0.125 });
    expect(signTest([1, -1, 0]).p).toBe(1);
    // 9 of 10 positive: 2 (1 + 10) / 1024
    expect(signTest([...Array(9).fill(1), -1, 0, 0]).p).toBeCloseTo(22 / 1024, 12);
    expect(signTest([0, 0])).toEqual({ positive: 0, negative: 0, ties: 2, p: 1 });
  });
});

describe('ranges, shards and the reference pool', () => {
  it('cuts a range into disjoint slices that cover it', () => {
    const range = parseRange('10:21');
    const slices = [0, 1, 2].map((k) => rangeIndices(shardSlice(range, parseShard(`${k}/3`))));
    expect(slices.flat()).toEqual(rangeIndices(range));
    expect(() => parseShard('3/3')).toThrow(/0 ≤ k < n/);
    expect(() => parseRange('5:5')).toThrow(/greater/);
    expect(() => shardSlice({ start: 0, end: 2 }, { k: 0, n: 3 })).toThrow(/empty/);
  });

  it('draws a seeded pool outside the evaluated range', () => {
    const pool = drawReferencePool('test', 100, 10, 3, { start: 0, end: 90 });
    expect(pool).toEqual(drawReferencePool('test', 100, 10, 3, { start: 0, end: 90 }));
    expect(pool.indices.every((i) => i >= 90)).toBe(true);
    expect(new Set(pool.indices).size).toBe(10);
    expect(() => drawReferencePool('test', 100, 20, 3, { start: 0, end: 95 })).toThrow(/5 available/);
  });
});

let engine: Engine;
let model: Model;
let features: number;
beforeAll(async () => {
  engine = await createEngine();
  const cnn = smallCnn(engine);
  model = cnn.model;
  features = cnn.ref.shape.reduce((a, b) => a * b, 1);
});
afterAll(() => {
  model?.dispose();
  engine?.dispose();
});

const images = (n: number, seed = 11) => Float32Array.from(new Rng(seed).uniform(n * features, 0, 1));

describe('batch independence', () => {
  const methods: [string, Partial<ExplainOptions<string>>][] = [
    ['grad', {}],
    ['gradxinput', {}],
    ['ig', {}],
    ['idgi', {}],
    ['gig', {}],
    ['gig-idgi', {}],
    ['blurig', {}],
    ['blurig-idgi', {}],
  ];
  it.each(methods)('%s: image 3 alone = image 3 in a batch of 7, bitwise', async (name, extra) => {
    const batch = images(7);
    const alone = batch.slice(3 * features, 4 * features);
    const options = { method: name, steps: 6, ...extra } as ExplainOptions<string>;
    const a = await explain(engine, model, alone, options);
    const b = await explain(engine, model, batch, options);
    expect(Array.from(b.attribution.subarray(3 * features, 4 * features))).toEqual(Array.from(a.attribution));
  });

  // SmoothGrad's noise streams are keyed by the seed and each image's bits, not its position
  it('smoothgrad: image 3 alone = image 3 in a batch of 7, bitwise', async () => {
    const batch = images(7);
    const options = { method: 'grad', smoothgrad: true } as ExplainOptions<string>;
    const a = await explain(engine, model, batch.slice(3 * features, 4 * features), options);
    const b = await explain(engine, model, batch, options);
    expect(Array.from(b.attribution.subarray(3 * features, 4 * features))).toEqual(Array.from(a.attribution));
  });

  it('ig2: image 3 alone = image 3 in a batch of 7 (the same references), bitwise', async () => {
    const batch = images(7);
    const refs = images(2, 12);
    const methodOptions = (n: number) => ({
      references: Float32Array.from({ length: n * 2 * features }, (_, i) => refs[i % (2 * features)]!),
      referencesPerImage: 2,
    });
    const a = await explain(engine, model, batch.slice(3 * features, 4 * features), {
      method: 'ig2',
      steps: 6,
      methodOptions: methodOptions(1),
    });
    const b = await explain(engine, model, batch, { method: 'ig2', steps: 6, methodOptions: methodOptions(7) });
    expect(Array.from(b.attribution.subarray(3 * features, 4 * features))).toEqual(Array.from(a.attribution));
  });
});

describe('shards', () => {
  const settings: EvalSettings = {
    model: 'small-cnn',
    modelName: 'small-cnn',
    dataset: 'mnist',
    split: 'test',
    range: { start: 100, end: 106 },
    methods: ['ig', 'idgi', 'ig2'],
    steps: 4,
    baseline: 'black',
    references: 2,
    referencePool: null,
    // seeded per image: the shards draw for image 103 what the single run draws for it
    metrics: ['faithfulness-correlation', 'infidelity'],
    seed: 5,
    bootstrap: { resamples: 200, level: 0.95 },
    tuning: 'default',
  };
  const slice = (start: number, end: number, all = images(6, 21)) => ({
    indices: rangeIndices({ start, end }),
    labels: rangeIndices({ start, end }).map((i) => i % 4),
    data: all.slice((start - 100) * features, (end - 100) * features),
  });
  const withoutTiming = ({ timing: _t, ...r }: EvalResults) => r;
  let shards: EvalResults[];

  it('3 merged shards (ig, idgi, ig2) = the single run in batches of 4, bit for bit', async () => {
    const pool = images(8, 31);
    const single = await evaluateSlice(engine, model, settings, null, slice(100, 106), pool, { batchSize: 4 });
    shards = [];
    for (const k of [2, 0, 1]) {
      const s = shardSlice(settings.range, { k, n: 3 });
      shards.push(await evaluateSlice(engine, model, settings, { k, n: 3 }, slice(s.start, s.end), pool));
    }
    const merged = mergeResults(shards.map((results, i) => ({ name: `s${i}.json`, results })));
    expect(JSON.stringify(withoutTiming(merged))).toBe(JSON.stringify(withoutTiming(single)));
    expect(merged.summary.pairs.map((p) => p.metric)).toContain('insertionAuc');
    expect(merged.summary.pairs.map((p) => p.metric)).toContain('faithfulnessCorrelation');
    expect(merged.summary).toEqual(summariseEvaluation(single.methods, { seed: 5, resamples: 200 }));
  });

  it('refuses different settings, overlapping and missing indices', () => {
    const named = (rs: EvalResults[]) => rs.map((results, i) => ({ name: `s${i}.json`, results }));
    const other = { ...shards[1]!, settings: { ...settings, steps: 8 } };
    expect(() => mergeResults(named([shards[0]!, other, shards[2]!]))).toThrow(/s1.json has different settings.*steps/);
    expect(() => mergeResults(named([shards[0]!, shards[1]!]))).toThrow(/is in no shard/);
    expect(() => mergeResults(named([...shards, shards[0]!]))).toThrow(/more than one shard/);
  });
});
