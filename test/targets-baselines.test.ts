/**
 * Several targets per image and baselines as distributions (issue #25): one call with T targets
 * or K baselines agrees with T separate calls, or with K separate calls weighted, for every path
 * method, on a tiny ONNX model and a CPU function; baseline sensitivity; top-k; refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { modelFromOnnx } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { cpuFunction, explain, type ExplainOptions, type Explanation } from '../src/index.js';
import { N, REFS, SET, WEIGHTS, X, tinyBytes } from './harness/tiny-classes.js';
import { maxAbsDiff } from './harness/assert.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { writeNpy } from '../src/models/npy.js';

let engine: Engine;
let model: Model;
/** f_c(x) = Σ_j sin((c + 1)·x_j + j/16): class-dependent and not linear */
const classFn = cpuFunction(
  (p, shape, info) => {
    const per = p.length / shape[0]!;
    const f = new Float32Array(shape[0]!);
    const grad = new Float32Array(p.length);
    for (let r = 0; r < shape[0]!; r++) {
      const c = (info.targets?.[r] ?? 0) + 1;
      for (let j = 0; j < per; j++) {
        f[r]! += Math.sin(c * p[r * per + j]! + j / 16);
        grad[r * per + j] = c * Math.cos(c * p[r * per + j]! + j / 16);
      }
    }
    return { f, grad };
  },
  { inputShape: [1, 4, 4], batchSize: 64 },
);

const METHOD_OPTIONS: Record<string, Partial<ExplainOptions<string>>> = {
  ig: { steps: 16 },
  idgi: { steps: 16 },
  gig: { steps: 4 },
  'gig-idgi': { steps: 4 },
  blurig: { steps: 8, methodOptions: { maxSigma: 2 } },
  ig2: { steps: 2, methodOptions: { references: REFS } },
  'expected-gradients': { steps: 4, seed: 3 },
  'split-ig': { steps: 8 },
  idg: { steps: 8 },
};
const row = (r: Explanation, i: number) => {
  const per = r.attribution.length / r.shape[0]!;
  return r.attribution.subarray(i * per, (i + 1) * per);
};
const scale = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));

beforeAll(async () => {
  engine = await createEngine();
  model = modelFromOnnx(engine, tinyBytes(), { source: 'tiny' }).model;
});
afterAll(() => {
  model?.dispose();
  engine?.dispose();
});

describe('several targets per image', () => {
  it('T targets in one call agree with T separate calls, for every path method (model)', async () => {
    const targets = [
      [2, 0],
      [1, 2],
    ];
    for (const [method, extra] of Object.entries(METHOD_OPTIONS)) {
      const o = { method, ...extra } as ExplainOptions<string>;
      const all = await explain(engine, model, X, { ...o, targets } as never);
      expect(all.shape, method).toEqual([N, 2, 1, 4, 4]);
      for (let t = 0; t < 2; t++) {
        const one = await explain(engine, model, X, { ...o, target: targets.map((l) => l[t]!) } as never);
        for (let i = 0; i < N; i++) {
          const got = all.attribution.subarray((i * 2 + t) * 16, (i * 2 + t + 1) * 16);
          const want = row(one, i);
          expect(maxAbsDiff(got, want), `${method} image ${i} target ${t}`).toBeLessThanOrEqual(
            1e-5 * scale(want) + 1e-7,
          );
          const im = all.images[i]!.targets![t]!;
          expect(im.target).toBe(targets[i]![t]);
          expect(im.sum).toBeCloseTo(one.images[i]!.sum, 4);
          expect(im.completenessError).toBeCloseTo(one.images[i]!.completenessError, 4);
        }
      }
    }
  }, 60_000);

  it('targets as one list for every image, as { top }, and on a CPU function', async () => {
    const top = await explain(engine, model, X, { method: 'ig', steps: 8, targets: { top: 3 } });
    expect(top.shape).toEqual([N, 3, 1, 4, 4]);
    for (const im of top.images) {
      const fx = im.targets!.map((t) => t.fx);
      expect([...fx].sort((a, b) => b - a)).toEqual(fx); // highest first
      expect(new Set(im.targets!.map((t) => t.target)).size).toBe(3);
    }
    const same = await explain(engine, classFn, X, { method: 'idgi', steps: 16, targets: [0, 3] });
    expect(same.images.map((im) => im.targets!.map((t) => t.target))).toEqual([
      [0, 3],
      [0, 3],
    ]);
    const t3 = await explain(engine, classFn, X, { method: 'idgi', steps: 16, target: 3 });
    for (let i = 0; i < N; i++)
      expect(maxAbsDiff(same.attribution.subarray((2 * i + 1) * 16, (2 * i + 2) * 16), row(t3, i))).toBeLessThan(1e-5);
  });

  it('refuses bad targets before any GPU work', async () => {
    const cases: [unknown, RegExp][] = [
      [[], /at least one class/],
      [[[1, 2], [3]], /same number of classes/],
      [[[1, 2]], /1 lists of classes for 2 inputs/],
      [[5], /class 5 for input 0 is out of range/],
      [{ top: 0 }, /positive integer/],
    ];
    for (const [targets, pattern] of cases)
      await expect(explain(engine, model, X, { method: 'ig', targets } as never)).rejects.toThrow(pattern);
    await expect(explain(engine, model, X, { method: 'ig', target: 1, targets: [1] })).rejects.toThrow(/not both/);
    await expect(explain(engine, model, X, { method: 'ig', smoothgrad: true, targets: [1, 2] })).rejects.toThrow(
      /smoothgrad: targets and baseline sets are for path methods/,
    );
    await expect(explain(engine, classFn, X, { method: 'ig', targets: { top: 2 } })).rejects.toThrow(/needs classes/);
    const withClasses = Object.assign(Object.create(classFn) as typeof classFn, { numClasses: 4 });
    await expect(explain(engine, withClasses, X, { method: 'ig', targets: { top: 2 } })).rejects.toThrow(
      /ranks a Model's logits/,
    );
  });
});

describe('baselines as distributions', () => {
  it('a weighted set of K baselines agrees with K separate calls weighted, for every path method with a baseline', async () => {
    for (const method of ['ig', 'idgi', 'gig', 'gig-idgi', 'split-ig', 'idg']) {
      const o = { method, ...METHOD_OPTIONS[method], target: [1, 2] } as ExplainOptions<string>;
      const set = await explain(engine, model, X, { ...o, baseline: { set: SET, weights: WEIGHTS } } as never);
      const want = new Float64Array(N * 16);
      let fStart = [0, 0];
      for (let k = 0; k < 3; k++) {
        const one = await explain(engine, model, X, { ...o, baseline: SET.slice(k * 16, (k + 1) * 16) } as never);
        one.attribution.forEach((v, j) => (want[j] += WEIGHTS[k]! * v));
        fStart = fStart.map((s, i) => s + WEIGHTS[k]! * one.images[i]!.fStart);
      }
      expect(set.shape).toEqual([N, 1, 4, 4]);
      expect(maxAbsDiff(set.attribution, want), method).toBeLessThanOrEqual(1e-5 * scale(want) + 1e-7);
      set.images.forEach((im, i) => expect(im.fStart).toBeCloseTo(fStart[i]!, 5));
      expect(set.images[0]!.baselineSensitivity!.sumStd).toBeGreaterThan(0);
    }
  }, 60_000);

  it('baseline sensitivity is the spread of the K attributions (float64 reference)', async () => {
    const r = await explain(engine, classFn, X.subarray(0, 16), {
      method: 'ig',
      steps: 16,
      target: 1,
      baseline: { set: SET, weights: WEIGHTS },
    });
    const each = await Promise.all(
      [0, 1, 2].map((k) =>
        explain(engine, classFn, X.subarray(0, 16), {
          method: 'ig',
          steps: 16,
          target: 1,
          baseline: SET.slice(16 * k, 16 * (k + 1)),
        }),
      ),
    );
    const sums = each.map((e) => e.images[0]!.sum);
    const meanSum = sums.reduce((s, v, k) => s + WEIGHTS[k]! * v, 0);
    const sumStd = Math.sqrt(sums.reduce((s, v, k) => s + WEIGHTS[k]! * (v - meanSum) ** 2, 0));
    let [std, abs] = [0, 0];
    for (let j = 0; j < 16; j++) {
      const mean = each.reduce((s, e, k) => s + WEIGHTS[k]! * e.attribution[j]!, 0);
      std += Math.sqrt(each.reduce((s, e, k) => s + WEIGHTS[k]! * (e.attribution[j]! - mean) ** 2, 0)) / 16;
      abs += Math.abs(mean) / 16;
    }
    const got = r.images[0]!.baselineSensitivity!;
    expect(got.sumStd).toBeCloseTo(sumStd, 4);
    expect(got.pixelStdRatio).toBeCloseTo(std / abs, 4);
    expect(r.start).toBe('Σ w f(baseline)');
  });

  it('draws are seeded (the same seed, bitwise the same), generators make the set, and several targets combine with a set', async () => {
    const o = { method: 'ig', steps: 8, target: 0, baseline: { set: SET, draws: 5, seed: 11 } } as const;
    const [a, b] = [await explain(engine, model, X, o), await explain(engine, model, X, o)];
    expect(Array.from(a.attribution)).toEqual(Array.from(b.attribution));
    const c = await explain(engine, model, X, { ...o, baseline: { ...o.baseline, seed: 12 } });
    expect(Array.from(c.attribution)).not.toEqual(Array.from(a.attribution));
    const gen = await explain(engine, model, X, { method: 'ig', steps: 8, baseline: { set: { blur: [1, 2] } } });
    const blurs = await Promise.all(
      [1, 2].map((blur) => explain(engine, model, X, { method: 'ig', steps: 8, baseline: { blur } })),
    );
    const mean = blurs[0]!.attribution.map((v, j) => (v + blurs[1]!.attribution[j]!) / 2);
    expect(maxAbsDiff(gen.attribution, mean)).toBeLessThanOrEqual(1e-5 * scale(mean) + 1e-7);
    const both = await explain(engine, model, X, { method: 'ig', steps: 8, targets: [0, 2], baseline: { set: SET } });
    expect(both.shape).toEqual([N, 2, 1, 4, 4]);
    expect(both.images[1]!.targets![1]!.baselineSensitivity).toBeDefined();
  });

  it('refuses a bad set before any GPU work', async () => {
    const cases: [unknown, RegExp][] = [
      [{ set: new Float32Array(10) }, /the set has shape/],
      [{ set: SET, weights: [1, 2] }, /2 weights for 3 baselines/],
      [{ set: SET, weights: [1, -1, 1] }, /non-negative/],
      [{ set: SET, draws: 0 }, /draws must be a positive integer/],
      [{ set: SET, other: 1 }, /unknown key 'other'/],
    ];
    for (const [baseline, pattern] of cases)
      await expect(explain(engine, model, X, { method: 'ig', baseline } as never)).rejects.toThrow(pattern);
  });
});

describe('CLI flags', () => {
  it('--targets and --baseline-set are parsed, and refused with one line when wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-targets-'));
    writeFileSync(join(dir, 'tiny.onnx'), tinyBytes());
    writeFileSync(join(dir, 'x.npy'), writeNpy(X, [N, 1, 4, 4]));
    writeFileSync(join(dir, 'set.npy'), writeNpy(SET, [3, 1, 4, 4]));
    const args = ['--model', join(dir, 'tiny.onnx'), '--input', join(dir, 'x.npy')];
    const req = parseExplainFlags(
      parseFlags([...args, '--targets', 'top2', '--baseline-set', join(dir, 'set.npy'), '--baseline-draws', '4']),
    );
    expect(req.targets).toEqual({ top: 2 });
    expect(req.baselineSet).toEqual({ file: join(dir, 'set.npy'), draws: 4 });
    expect(parseExplainFlags(parseFlags([...args, '--targets', '7,2,5'])).targets).toEqual([7, 2, 5]);
    const split = parseFlags([
      ...args,
      '--method',
      'split-ig',
      '--method-option',
      'ratio=0.9',
      '--method-option',
      'part=right',
    ]);
    expect(parseExplainFlags(split).methodOptions).toEqual({ ratio: 0.9, part: 'right' });
    const refuse = (extra: string[], pattern: RegExp) =>
      expect(() => parseExplainFlags(parseFlags([...args, ...extra]))).toThrow(pattern);
    refuse(['--targets', '2,x'], /--targets must be class indices separated by commas/);
    refuse(['--targets', '1', '--target', '1'], /--target or --targets, not both/);
    refuse(['--baseline-set', join(dir, 'set.npy'), '--baseline', 'black'], /not both/);
    refuse(['--baseline-draws', '3'], /--baseline-draws draws from --baseline-set/);
    refuse(['--method', 'split-ig', '--method-option', 'part=middle'], /part must be left or right/);
    refuse(['--baseline-set', join(dir, 'missing.npy')], /missing\.npy/);
  });
});
