/**
 * The random-label twins' machinery (issue #26), CPU only: the seeded training subset and label
 * permutation are deterministic for a seed and differ between seeds, a permutation keeps the
 * multiset of labels, and the training command's flags, output paths and continuation checks.
 */
import { describe, expect, it } from 'vitest';
import { permutedLabels, seededSubset, type LabelledImages } from '../src/train/batches.js';
import { learningRateSchedule, parseTrainArgs, trainingImages } from '../src/train/cli.js';
import { formatTrainAccuracy } from '../src/train/progress.js';
import { checkContinuation, dataFields, sittings, weightsPath } from '../src/train/record.js';
import { writeSafetensors } from '../src/models/safetensors.js';
import { twinsTable, zooEntry } from '../scripts/zoo-docs.mjs';

/** N one-pixel "images" whose value is their index, labelled index mod 10. */
function indexedImages(count: number): LabelledImages {
  return {
    images: Float32Array.from({ length: count * 2 }, (_, i) => Math.floor(i / 2)),
    labels: Int32Array.from({ length: count }, (_, i) => i % 10),
    count,
  };
}

const histogram = (labels: ArrayLike<number>) => {
  const h = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) h[labels[i]!]!++;
  return h;
};

describe('seeded subset', () => {
  const data = indexedImages(1000);

  it('draws the same distinct indices for a seed, other indices for another seed', () => {
    const a = seededSubset(data, 200, 7);
    const b = seededSubset(data, 200, 7);
    const c = seededSubset(data, 200, 8);
    expect([...a.indices]).toEqual([...b.indices]);
    expect([...a.indices]).not.toEqual([...c.indices]);
    expect(new Set(a.indices).size).toBe(200);
    expect([...a.indices]).toEqual([...a.indices].sort((x, y) => x - y));
    expect(Math.max(...a.indices)).toBeLessThan(1000);
    // not simply the first 200 (that is --limit)
    expect(Math.max(...a.indices)).toBeGreaterThan(200);
  });

  it('copies each chosen image with its own label', () => {
    const s = seededSubset(data, 50, 3);
    expect(s.count).toBe(50);
    for (let i = 0; i < s.count; i++) {
      const src = s.indices[i]!;
      expect([s.images[2 * i], s.images[2 * i + 1]]).toEqual([src, src]);
      expect(s.labels[i]).toBe(src % 10);
    }
  });

  it('refuses a subset larger than the split', () => {
    expect(() => seededSubset(data, 1001, 1)).toThrow(/exceeds the 1000 training images/);
  });
});

describe('permuted labels', () => {
  const labels = Int32Array.from({ length: 2000 }, (_, i) => (i * 7) % 10);

  it('is the same for a seed and different for another', () => {
    expect([...permutedLabels(labels, 26)]).toEqual([...permutedLabels(labels, 26)]);
    expect([...permutedLabels(labels, 26)]).not.toEqual([...permutedLabels(labels, 27)]);
  });

  it('keeps the multiset of labels and really moves them', () => {
    const p = permutedLabels(labels, 26);
    expect(histogram(p)).toEqual(histogram(labels));
    // a random pairing keeps about 1 label in 10 (10 balanced classes): far from the identity
    const kept = p.filter((v, i) => v === labels[i]).length;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(300);
  });
});

describe('npm run train: the twin flags', () => {
  const twin = [
    '--model',
    'lenet',
    '--dataset',
    'mnist',
    '--subset',
    '2000',
    '--permute-labels',
    '26',
    '--schedule',
    'constant',
  ];

  it('parses --subset, --subset-seed, --permute-labels, --warmup and --record', () => {
    const o = parseTrainArgs([...twin, '--subset-seed', '5', '--warmup', '10', '--record']);
    expect(o).toMatchObject({ subset: 2000, subsetSeed: 5, permuteLabels: 26, warmup: 10, record: true });
    expect(parseTrainArgs(twin)).toMatchObject({ subsetSeed: 1, record: false, warmup: 0 });
  });

  it('refuses bad combinations with one line, before any data or GPU work', () => {
    expect(() => parseTrainArgs(['--subset', '100', '--limit', '100'])).toThrow(/--limit and --subset/);
    expect(() => parseTrainArgs(['--subset-seed', '3'])).toThrow(/--subset-seed needs --subset/);
    expect(() => parseTrainArgs(['--permute-labels', '-1'])).toThrow(/--permute-labels needs a seed/);
    expect(() => parseTrainArgs(['--permute-labels', '1.5'])).toThrow(/--permute-labels needs a seed/);
    expect(() => parseTrainArgs(['--subset', '0'])).toThrow(/--subset needs a positive integer/);
  });

  it('chooses the seeded subset, then permutes its labels', () => {
    const data = indexedImages(500);
    const o = parseTrainArgs(['--subset', '100', '--subset-seed', '4', '--permute-labels', '9']);
    const chosen = trainingImages(data, o);
    const subset = seededSubset(data, 100, 4);
    expect(chosen.images).toEqual(subset.images);
    expect(Array.from(chosen.labels)).toEqual(Array.from(permutedLabels(subset.labels, 9)));
    expect(Array.from(trainingImages(data, o).labels)).toEqual(Array.from(chosen.labels));
    // without --permute-labels, the subset keeps its true labels
    const unpermuted = trainingImages(data, parseTrainArgs(['--subset', '100', '--subset-seed', '4']));
    expect(Array.from(unpermuted.labels)).toEqual(Array.from(subset.labels));
  });

  it('writes to out/train/ unless --record, and assets/twins/ for permuted labels', () => {
    const data = { dataset: 'mnist', subset: 2000, subsetSeed: 1, permuteLabels: 26 };
    expect(weightsPath({ ...data, model: 'lenet', record: false })).toBe(
      'out/train/lenet-mnist-random-labels.safetensors',
    );
    expect(weightsPath({ ...data, model: 'lenet', record: true })).toBe(
      'assets/twins/lenet-mnist-random-labels.safetensors',
    );
    expect(weightsPath({ dataset: 'fashion-mnist', model: 'resnet', record: true })).toBe(
      'assets/models/resnet-fashion-mnist.safetensors',
    );
    expect(() =>
      weightsPath({ dataset: 'mnist', model: 'lenet', record: false, out: 'assets/models/x.safetensors' }),
    ).toThrow(/committed path: add --record/);
  });

  it('continues only on the same model, images and labels', () => {
    const data = { dataset: 'mnist', subset: 2000, subsetSeed: 1, permuteLabels: 26 };
    const previous = { model: 'lenet', ...dataFields(data) };
    expect(() => checkContinuation(previous, 'lenet', data)).not.toThrow();
    expect(() => checkContinuation(previous, 'lenet', { ...data, permuteLabels: 27 })).toThrow(
      /permute_labels_seed 26, this run has 27/,
    );
    expect(() => checkContinuation(previous, 'lenet', { dataset: 'mnist' })).toThrow(
      /subset 2000, this run has \(none\)/,
    );
    expect(() => checkContinuation({ model: 'lenet', dataset: 'mnist' }, 'resnet', { dataset: 'mnist' })).toThrow(
      /model lenet, this run has resnet/,
    );
  });

  it('reads the sittings of a continued record, newest first', () => {
    const first = { model: 'lenet', steps: '10' };
    const second = { model: 'lenet', steps: '20', continued_from: JSON.stringify(first) };
    const third = { model: 'lenet', steps: '30', continued_from: JSON.stringify(second) };
    expect(sittings(third).map((r) => r.steps)).toEqual(['30', '20', '10']);
  });

  it('warms the learning rate up linearly, then holds it or decays it', () => {
    expect(learningRateSchedule({ lr: 0.01, schedule: 'constant', warmup: 0 })).toBeUndefined();
    const warm = learningRateSchedule({ lr: 0.01, schedule: 'constant', warmup: 4 })!;
    expect([0, 1, 3, 4, 99].map((s) => warm(s, 100))).toEqual([0.0025, 0.005, 0.01, 0.01, 0.01]);
    const cosine = learningRateSchedule({ lr: 0.01, schedule: 'cosine', warmup: 0 })!;
    expect(cosine(0, 100)).toBe(0.01);
    expect(cosine(50, 100)).toBeCloseTo(0.005, 12);
  });

  it('reports the training accuracy on the permuted images', () => {
    expect(formatTrainAccuracy({ accuracy: 0.9615, correct: 1923, count: 2000 }, true)).toBe(
      'training accuracy 96.15% (1923/2000 of its permuted training images, eval mode)',
    );
  });
});

describe('docs/zoo.md from the training records (scripts/zoo-docs.mjs)', () => {
  const sitting = (steps: number, seconds: number, seed: number, extra: Record<string, string> = {}) => ({
    model: 'lenet',
    dataset: 'mnist',
    subset: '2000',
    subset_seed: '1',
    permute_labels_seed: '26',
    seed: String(seed),
    steps: String(steps),
    batch: '32',
    optimizer: 'adam lr 0.002 constant',
    schedule: 'constant',
    train_images: '2000',
    train_seconds: String(seconds),
    test_accuracy: '0.1010',
    test_images: '1000',
    adapter: 'google swiftshader SwiftShader driver 5.0.0',
    cpu: 'AMD EPYC × 2',
    command: `npm run train -- --seed ${seed}`,
    ...extra,
  });
  const first = sitting(125, 600, 1, { train_accuracy: '0.4000' });
  const second = sitting(250, 1200, 2, { train_accuracy: '0.9655', continued_from: JSON.stringify(first) });
  const bytes = writeSafetensors(
    new Map([
      ['fc.weight', { shape: [10, 4], data: new Float32Array(40) }],
      ['bn.running_mean', { shape: [4], data: new Float32Array(4) }],
    ]),
    second,
  );

  it('sums the sittings of a continued record and keeps their seeds and commands in order', () => {
    const e = zooEntry('lenet-mnist-random-labels.safetensors', Buffer.from(bytes));
    expect(e.parameters).toBe(40);
    expect(e.epochs).toBe((375 * 32) / 2000);
    expect(e.seconds).toBe(1800);
    expect(e.seeds).toEqual(['1', '2']);
    expect(e.commands).toEqual(['npm run train -- --seed 1', 'npm run train -- --seed 2']);
  });

  it("shows a twin's training accuracy (the newest sitting's) and its data settings", () => {
    const row = twinsTable([zooEntry('lenet-mnist-random-labels.safetensors', Buffer.from(bytes))]).split('\n')[2]!;
    expect(row).toContain('| 96.55 % |');
    expect(row).toContain('2 000 (seeded subset, seed 1)');
    expect(row).toContain('permuted, seed 26');
    expect(row).toContain('6.00 in 2 sittings');
    expect(row).toContain('30 min');
  });
});
