/**
 * The sanity checks (src/sanity/, docs/sanity.md): the similarity measures against float64
 * definitions, the layer randomisation (seeded, cascade = independent per layer, batch norms
 * grouped with their conv), the model's weights restored bit for bit, and the harness check on the
 * trained LeNet: the signed gradient's Spearman rank is 1 against itself and < 0.5 fully randomised.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadMnist } from '../src/data/datasets.js';
import { readSafetensors, writeSafetensors } from '../src/models/safetensors.js';
import { zooGraph, zooSpec } from '../src/models/zoo.js';
import { fuseModel } from '../src/models/fuse.js';
import { initParameters } from '../src/nn/init.js';
import {
  averageRanks,
  loadSanityModel,
  loadTwin,
  randomisableLayers,
  randomisedParams,
  randomOtherClasses,
  sanityChecks,
  sanityFigureSvg,
  similarities,
  spearman,
  topKIntersection,
  type SanityReport,
} from '../src/sanity/index.js';
import { Rng } from './harness/random.js';
import { sanityCommand } from '../src/cli/sanity-command.js';
import { parseFlags } from '../src/cli/flags.js';

/** float64 SSIM of two [H, W] maps (Gaussian window, 'valid' positions, mean over them). */
function ssimRef(a: Float64Array, b: Float64Array, h: number, w: number, win: number, range: number): number {
  const r = (win - 1) / 2;
  const g = Array.from({ length: win }, (_, t) => Math.exp(-((t - r) ** 2) / (2 * 1.5 * 1.5)));
  const gs = g.reduce((s, v) => s + v, 0);
  const k = g.map((v) => v / gs);
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  for (let y = 0; y + win <= h; y++)
    for (let x = 0; x + win <= w; x++) {
      let ma = 0, mb = 0, aa = 0, bb = 0, ab = 0; // prettier-ignore
      for (let i = 0; i < win; i++)
        for (let j = 0; j < win; j++) {
          const wt = k[i]! * k[j]!;
          const va = a[(y + i) * w + x + j]!;
          const vb = b[(y + i) * w + x + j]!;
          ma += wt * va;
          mb += wt * vb;
          aa += wt * va * va;
          bb += wt * vb * vb;
          ab += wt * va * vb;
        }
      const sa = aa - ma * ma;
      const sb = bb - mb * mb;
      const sab = ab - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * sab + c2)) / ((ma * ma + mb * mb + c1) * (sa + sb + c2));
    }
  return total / ((h - win + 1) * (w - win + 1));
}

const maxAbs = (m: Float64Array) => m.reduce((s, v) => Math.max(s, Math.abs(v)), 0);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('similarity measures', () => {
  it('Spearman: average ranks for ties, ±1 for monotone maps, matches the rank-difference formula without ties', () => {
    expect([...averageRanks([3, 1, 3, 2])]).toEqual([3.5, 1, 3.5, 2]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 45])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    const rng = new Rng(3);
    const a = rng.normal(50);
    const noise = rng.normal(50);
    const b = a.map((v, i) => v + noise[i]!);
    const ra = averageRanks(a);
    const rb = averageRanks(b);
    const d2 = ra.reduce((s, v, i) => s + (v - rb[i]!) ** 2, 0);
    expect(spearman(a, b)).toBeCloseTo(1 - (6 * d2) / (50 * (50 * 50 - 1)), 10);
  });

  it('top-k intersection: the shared fraction of the k largest', () => {
    expect(topKIntersection([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], [5, 0, 4, 0, 0, 0, 0, 0, 0, 1], 0.3)).toBeCloseTo(
      2 / 3,
      12,
    );
    expect(topKIntersection([1, 2, 3], [1, 2, 3], 0.5)).toBe(1);
  });

  it('SSIM on the GPU equals a float64 SSIM of the max-|a|-normalised maps; a map against itself scores 1 everywhere', async () => {
    const rng = new Rng(5);
    const [n, h, w] = [3, 12, 10];
    const a = Float32Array.from(rng.normal(n * h * w));
    const noise = rng.normal(n * h * w, 0.8);
    const b = Float32Array.from(a, (v, i) => v + noise[i]!);
    const s = await similarities(engine, a, b, n, [1, h, w]);
    for (let i = 0; i < n; i++) {
      const pa = Float64Array.from(a.subarray(i * h * w, (i + 1) * h * w));
      const pb = Float64Array.from(b.subarray(i * h * w, (i + 1) * h * w));
      const na = pa.map((v) => v / maxAbs(pa));
      const nb = pb.map((v) => v / maxAbs(pb));
      expect(s.signed.ssim[i]).toBeCloseTo(ssimRef(na, nb, h, w, 7, 2), 4);
      const aa = pa.map(Math.abs);
      const ab = pb.map(Math.abs);
      expect(s.abs.ssim[i]).toBeCloseTo(
        ssimRef(
          aa.map((v) => v / maxAbs(aa)),
          ab.map((v) => v / maxAbs(ab)),
          h,
          w,
          7,
          1,
        ),
        4,
      );
      expect(s.signed.spearman[i]).toBeCloseTo(spearman(pa, pb), 12);
    }
    const self = await similarities(engine, a, a, n, [1, h, w]);
    for (const kind of ['signed', 'abs'] as const)
      for (const m of ['spearman', 'ssim', 'topk'] as const) for (const v of self[kind][m]) expect(v).toBeCloseTo(1, 5);
  });
});

describe('layer randomisation', () => {
  it('lists conv / linear layers with the batch norm that follows them', () => {
    expect(randomisableLayers(zooSpec('lenet')).map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    const resnet = randomisableLayers(zooSpec('resnet'));
    expect(resnet).toHaveLength(16);
    expect(resnet[0]).toEqual({ name: 'conv1', params: ['conv1.weight'], bnParams: ['bn1.weight', 'bn1.bias'] });
    expect(resnet.at(-1)).toEqual({ name: 'fc', params: ['fc.weight', 'fc.bias'], bnParams: [] });
  });

  it('is seeded, redraws only the chosen layers, a layer the same in both orders; BN γ, β permuted; folds again', () => {
    const spec = zooSpec('resnet', initParameters(zooGraph('resnet').builder, 9));
    const layers = randomisableLayers(spec);
    const bnGamma = spec.params.get('bn1.weight')!;
    bnGamma.data.forEach((_, i) => (bnGamma.data[i] = 0.5 + i / 16)); // distinct values, to see the permutation
    const one = randomisedParams(spec, layers, [0], 4);
    const cascade = randomisedParams(spec, layers, [15, 14, 0], 4);
    expect(randomisedParams(spec, layers, [0], 4).get('conv1.weight')!.data).toEqual(one.get('conv1.weight')!.data);
    expect(cascade.get('conv1.weight')!.data).toEqual(one.get('conv1.weight')!.data);
    expect(randomisedParams(spec, layers, [0], 5).get('conv1.weight')!.data).not.toEqual(one.get('conv1.weight')!.data);
    expect(one.get('conv1.weight')!.data).not.toEqual(spec.params.get('conv1.weight')!.data);
    expect(one.get('layer1.0.conv1.weight')).toBe(spec.params.get('layer1.0.conv1.weight'));
    expect(one.get('bn1.running_var')).toBe(spec.params.get('bn1.running_var'));
    const g = one.get('bn1.weight')!.data;
    expect(g).not.toEqual(bnGamma.data);
    expect([...g].sort()).toEqual([...bnGamma.data].sort());
    const bound = 1 / Math.sqrt(3 * 9);
    for (const v of one.get('conv1.weight')!.data) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect([...fuseModel({ ...spec, params: one }).params.keys()].sort()).toEqual(
      [...fuseModel(spec).params.keys()].sort(),
    );
  });

  it('random other classes: never the label, seeded by the index', () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 10);
    const others = randomOtherClasses(
      labels,
      labels.map((_, i) => i + 40),
      10,
      3,
    );
    others.forEach((c, i) => expect(c).not.toBe(labels[i]));
    expect(new Set(others).size).toBe(10);
    expect(
      randomOtherClasses(
        labels,
        labels.map((_, i) => i + 40),
        10,
        3,
      ),
    ).toEqual(others);
  });
});

describe('pathlight sanity flags', () => {
  it('refuses bad flags before any GPU work, naming the problem', async () => {
    const cases: [string[], RegExp][] = [
      [['--method', 'grad'], /--model is required/],
      [['--model', 'net.onnx'], /zoo model or a zoo-architecture \.safetensors/],
      [['--model', 'lenet', '--method', 'grad,grad'], /names a method twice/],
      [['--model', 'lenet', '--orders', 'cascading,upwards'], /unknown order 'upwards'/],
      [['--model', 'lenet', '--twin', 'twin.onnx'], /not a \.safetensors file/],
      [['--model', 'lenet', '--seed', '-1'], /--seed needs a decimal integer/],
      [['--model', 'lenet', '--out', 'x.svg'], /use a \.json file name/],
      [['--model', 'lenet', '--colour', 'red'], /unknown flag --colour/],
    ];
    for (const [argv, message] of cases) await expect(sanityCommand(parseFlags(argv))).rejects.toThrow(message);
  });
});

describe('sanityChecks on the trained LeNet', () => {
  let report: SanityReport;
  let before: Map<string, { data: Float32Array }>;
  let after: Map<string, { data: Float32Array }>;
  let dir: string;

  beforeAll(async () => {
    const { model, spec } = await loadSanityModel(engine, 'lenet');
    const test = loadMnist('test');
    const n = 4;
    const images = { data: test.images.slice(0, n * 784), labels: [...test.labels.subarray(0, n)] };
    // a twin of the same architecture: the trained weights perturbed, written to a temp file
    dir = mkdtempSync(join(tmpdir(), 'pathlight-sanity-'));
    const twinFile = join(dir, 'twin.safetensors');
    writeFileSync(twinFile, perturbedCopy(readFileSync('assets/models/lenet-mnist.safetensors')));
    const twin = await loadTwin(engine, twinFile, model);
    try {
      before = await model.getParameters();
      report = await sanityChecks(engine, model, spec, images, { methods: ['grad'], steps: 4, seed: 1, twin });
      after = await model.getParameters();
    } finally {
      twin.dispose();
      model.dispose();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a twin of another architecture', async () => {
    const { model } = await loadSanityModel(engine, 'lenet');
    try {
      await expect(loadTwin(engine, 'assets/models/resnet-fashion-mnist.safetensors', model)).rejects.toThrow(
        /model lenet: unknown parameter/,
      );
    } finally {
      model.dispose();
    }
  });

  it('draws one curve per method in every panel, x from the trained model down to the first layer', () => {
    const svg = sanityFigureSvg(report, 'LeNet');
    expect(svg.match(/<polyline/g)).toHaveLength(2 * 6); // 2 orders × 6 panels × 1 method
    for (const label of ['trained', 'fc3', 'conv1']) expect(svg).toContain(`>${label}</text>`);
  });

  it("restores the model's weights bit for bit", () => {
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [k, v] of before)
      expect(Buffer.from(after.get(k)!.data.buffer).equals(Buffer.from(v.data.buffer))).toBe(true);
  });

  it('harness check: signed-gradient Spearman is 1 unrandomised and < 0.5 with every layer randomised', () => {
    expect(report.layers).toEqual(['fc3', 'fc2', 'fc1', 'conv2', 'conv1']);
    const cascade = report.mprt.cascading!;
    expect(cascade.map((s) => s.layer)).toEqual(['none', ...report.layers]);
    expect(cascade[0]!.methods.grad!.signed.spearman.mean).toBe(1);
    const full = cascade.at(-1)!;
    expect(full.randomised).toHaveLength(5);
    expect(full.methods.grad!.signed.spearman.mean).toBeLessThan(0.5);
    expect(full.methods.grad!.signed.spearman.values).toHaveLength(4);
    expect(report.mprt.independent!.map((s) => s.randomised.length)).toEqual([0, 1, 1, 1, 1, 1]);
  });

  it('reports random logit and data randomisation with every measure on signed and absolute maps', () => {
    const rl = report.randomLogit!;
    expect(rl.classes).toHaveLength(4);
    for (const part of [rl.methods.grad!, report.dataRandomisation!.methods.grad!])
      for (const kind of ['signed', 'abs'] as const)
        for (const m of ['spearman', 'ssim', 'topk'] as const) {
          const s = part[kind][m];
          expect(s.values).toHaveLength(4);
          expect(s.low).toBeLessThanOrEqual(s.mean);
          expect(s.high).toBeGreaterThanOrEqual(s.mean);
          expect(Number.isFinite(s.sd)).toBe(true);
        }
    // the twin is the model with 30 % noise: its gradients are alike, not equal
    const twinRank = report.dataRandomisation!.methods.grad!.signed.spearman.mean;
    expect(twinRank).toBeLessThan(1);
    expect(twinRank).toBeGreaterThan(0.2);
  });
});

/** The weights file with every tensor multiplied by (1 + 0.3 · noise), noise seeded. */
function perturbedCopy(bytes: Uint8Array): Uint8Array {
  const { tensors } = readSafetensors(bytes);
  const rng = new Rng(11);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) {
    const noise = rng.normal(t.data.length, 0.3);
    out.set(name, { shape: [...t.shape], data: Float32Array.from(t.data, (v, i) => v * (1 + noise[i]!)) });
  }
  return writeSafetensors(out);
}
