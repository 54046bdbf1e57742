/** CPU-only checks of the float64 reference metrics against closed forms and synthetic models. */
import { describe, expect, it } from 'vitest';
import { Rng } from './harness/random.js';
import { gaussianBlur } from './reference/methods/blur.js';
import type { RefModel } from './reference/methods/model.js';
import { completenessError, completenessOf } from './reference/metrics/completeness.js';
import { giniIndex } from './reference/metrics/gini.js';
import { deletionCurve, insertionCurve, trapezoidAuc } from './reference/metrics/insertion-deletion.js';
import { MS_SSIM_WEIGHTS, msSsim, msSsimPlan } from './reference/metrics/ms-ssim.js';
import { aggregatePic, computePic, interpolateCurve, quantileLinear, type PicResult } from './reference/metrics/pic.js';
import { pixelSaliency, rankPixels } from './reference/metrics/pixel-saliency.js';

type Shape = readonly [number, number, number];

/**
 * Two classes; logit_0 = gain·(Σ_{p∈S} Σ_c x[c,p] − offset), logit_1 = 0: only the pixels in S matter.
 * (grad/rep are unused by the metrics.)
 */
function chosenPixelsModel(shape: Shape, chosen: number[], gain: number, offset: number): RefModel {
  const [c, h, w] = shape;
  const hw = h * w;
  return {
    shape,
    numClasses: 2,
    logits: (x) => {
      let s = 0;
      for (const p of chosen) for (let ch = 0; ch < c; ch++) s += x[ch * hw + p]!;
      return Float64Array.of(gain * (s - offset), 0);
    },
    grad: () => new Float64Array(c * hw),
    rep: (x) => x,
    repVjp: (_x, v) => v,
  };
}

const shuffled = (n: number, rng: Rng) => {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
};

describe('Gini index', () => {
  it('one-hot → 1 − 1/n, constant → 0, and a hand-computed case', () => {
    for (const n of [1, 2, 10, 1000]) {
      const oneHot = new Float64Array(n);
      oneHot[n >> 1] = -3; // |·| is taken
      expect(Math.abs(giniIndex(oneHot) - (1 - 1 / n))).toBeLessThan(1e-12);
      expect(Math.abs(giniIndex(new Float64Array(n).fill(0.4)))).toBeLessThan(1e-12);
    }
    // sorted |c| = [0, 1, 1], ‖c‖₁ = 2: G = 1 − 2·(½·1.5/3 + ½·0.5/3) = 1/3
    expect(Math.abs(giniIndex([1, 0, -1]) - 1 / 3)).toBeLessThan(1e-15);
    expect(giniIndex(new Float64Array(5))).toBe(0);
  });
});

describe('completeness error', () => {
  it('is |Σ − (f(x) − f(x′))| / |f(x) − f(x′)|', () => {
    expect(completenessError(1.9, 3, 1)).toEqual({
      delta: 1.9 - 2,
      absolute: Math.abs(1.9 - 2),
      relative: Math.abs(1.9 - 2) / 2,
    });
    expect(completenessOf([1, 1], 3, 1).relative).toBe(0);
    expect(completenessError(0, 1, 1).relative).toBe(0);
    expect(completenessError(0.5, 1, 1).relative).toBe(Infinity);
  });
});

describe('MS-SSIM', () => {
  it('scale rule: most scales whose smallest side is ≥ the window, truncated weights renormalised', () => {
    expect(msSsimPlan(256, 256).scales).toBe(5);
    expect(msSsimPlan(256, 256).weights).toEqual([...MS_SSIM_WEIGHTS]); // as published (Σ = 1.0001)
    expect(msSsimPlan(28, 28).scales).toBe(2);
    expect(msSsimPlan(32, 32).scales).toBe(2);
    expect(msSsimPlan(32, 32, { winSize: 7 }).scales).toBe(3);
    expect(msSsimPlan(176, 200).scales).toBe(5); // 176 → 88 → 44 → 22 → 11
    expect(msSsimPlan(175, 200).scales).toBe(4); // … → 21 → 10 < 11
    const small = msSsimPlan(8, 9);
    expect([small.scales, small.winSize]).toEqual([1, 7]);
    for (const p of [msSsimPlan(28, 28), msSsimPlan(64, 64)])
      expect(Math.abs(p.weights.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-15);
  });

  it('MS-SSIM(x, x) = 1', () => {
    const shape: Shape = [3, 32, 32];
    const x = new Rng(1).uniform(3 * 32 * 32, 0, 1);
    expect(Math.abs(msSsim(x, x, shape).value - 1)).toBeLessThan(1e-12);
    expect(Math.abs(msSsim(x, x, shape, { winSize: 7 }).value - 1)).toBeLessThan(1e-12);
  });

  it('independent noise images are near 0', () => {
    const shape: Shape = [1, 64, 64];
    const v = msSsim(new Rng(2).uniform(4096, 0, 1), new Rng(3).uniform(4096, 0, 1), shape).value;
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThan(0.1);
  });

  it('constant images: the luminance term alone, raised to the last renormalised weight', () => {
    const shape: Shape = [1, 32, 32];
    const a = new Float64Array(1024).fill(0.2);
    const b = new Float64Array(1024).fill(0.6);
    const c1 = 0.01 ** 2;
    const luminance = (2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1);
    const expected = luminance ** (0.2856 / (0.0448 + 0.2856)); // 2 scales; cs = 1 at both
    expect(Math.abs(msSsim(a, b, shape).value - expected)).toBeLessThan(1e-12);
    const range255 = msSsim(
      a.map((v) => v * 255),
      b.map((v) => v * 255),
      shape,
      { dataRange: 255 },
    ).value;
    expect(Math.abs(range255 - expected)).toBeLessThan(1e-12);
  });

  it('falls as the noise grows', () => {
    const shape: Shape = [1, 48, 48];
    const x = gaussianBlur(new Rng(4).uniform(48 * 48, 0, 1), shape, 2);
    const n = new Rng(5).normal(48 * 48);
    const values = [0.01, 0.05, 0.2].map(
      (s) =>
        msSsim(
          x,
          x.map((v, i) => v + s * n[i]!),
          shape,
        ).value,
    );
    expect(values[0]!).toBeGreaterThan(values[1]!);
    expect(values[1]!).toBeGreaterThan(values[2]!);
    expect(values[0]!).toBeLessThan(1);
  });
});

describe('pixel saliency', () => {
  it('reduces over channels as asked and ranks descending with stable ties', () => {
    const attr = Float64Array.of(1, -2, 0, 3, /* ch 1 */ -1, 1, 0, -4);
    const shape: Shape = [2, 2, 2];
    expect(Array.from(pixelSaliency(attr, shape))).toEqual([2, 3, 0, 7]);
    expect(Array.from(pixelSaliency(attr, shape, 'sum'))).toEqual([0, -1, 0, -1]);
    expect(Array.from(pixelSaliency(attr, shape, 'abs-of-sum'))).toEqual([0, 1, 0, 1]);
    expect(Array.from(rankPixels(Float64Array.of(0, 5, 0, 5, 1)))).toEqual([1, 3, 4, 0, 2]);
  });
});

describe('insertion / deletion', () => {
  const shape: Shape = [2, 8, 8];
  const rng = new Rng(7);
  const chosen = shuffled(64, rng).slice(0, 10);
  const model = chosenPixelsModel(shape, chosen, 0.5, 10);
  const x = rng.uniform(128, 0.5, 1);
  const perfect = new Float64Array(128);
  for (const p of chosen) perfect[p] = 1 + p / 100; // channel 0 only: Σ_c |·| still ranks S first

  it('a perfect ordering beats random orderings (insertion higher, deletion lower)', () => {
    const opts = { target: 0, steps: 16 };
    const ins = insertionCurve(model, x, perfect, 'black', opts);
    const del = deletionCurve(model, x, perfect, 'black', opts);
    for (let trial = 0; trial < 5; trial++) {
      const random = new Rng(100 + trial).uniform(128, 0, 1);
      expect(ins.auc).toBeGreaterThan(insertionCurve(model, x, random, 'black', opts).auc);
      expect(del.auc).toBeLessThan(deletionCurve(model, x, random, 'black', opts).auc);
    }
  });

  it('curves start at the reference and end at x; fractions span [0, 1]', () => {
    const opts = { target: 0, steps: 5 }; // 64 pixels: n_k = round(64k/5)
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const blurred = gaussianBlur(x, shape, 1.5);
    const ins = insertionCurve(model, x, perfect, { blurSigma: 1.5 }, opts);
    expect(Array.from(ins.fractions)).toEqual([0, 13, 26, 38, 51, 64].map((n) => n / 64));
    expect(ins.scores[0]).toBeCloseTo(sigmoid(model.logits(blurred)[0]!), 15);
    expect(ins.scores[5]).toBeCloseTo(sigmoid(model.logits(x)[0]!), 15);
    const del = deletionCurve(model, x, perfect, 'black', opts);
    expect(del.scores[0]).toBeCloseTo(sigmoid(model.logits(x)[0]!), 15);
    expect(del.scores[5]).toBeCloseTo(sigmoid(-5), 15);
    expect(ins.forwardEvaluations).toBe(6);
  });

  it('trapezoid AUC of closed forms', () => {
    expect(trapezoidAuc([0, 0.5, 1], [0, 1, 1])).toBe(0.75);
    expect(trapezoidAuc([0, 1], [0.3, 0.3])).toBe(0.3);
  });
});

describe('PIC (MS-SSIM information axis)', () => {
  const shape: Shape = [1, 32, 32];
  const rng = new Rng(9);
  const chosen = shuffled(1024, rng).slice(0, 24);
  const x = rng.uniform(1024, 0, 0.5);
  for (const p of chosen) x[p] = 1;
  // mean over S of x is 1 on x and ≈ 0.3 once blurred: p_orig ≈ 0.98, p_blur small.
  const model = chosenPixelsModel(shape, chosen, 10 / 24, 24 * 0.6);
  const blurred = gaussianBlur(x, shape, 3);
  const thresholds = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.21, 0.34, 0.5, 0.75];
  const perfect = new Float64Array(1024);
  chosen.forEach((p, k) => (perfect[p] = 1 + k));
  const reverse = perfect.map((v) => (v > 0 ? 0 : 1 + new Rng(1).next()));

  it('numpy-style linear quantile and curve interpolation', () => {
    expect(quantileLinear([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileLinear([4, 1, 3, 2], 1)).toBe(4);
    expect(quantileLinear([10, 0], 0.25)).toBe(2.5);
    const y = interpolateCurve(
      [
        [1, 1],
        [0, 0],
        [0.5, 0.8],
      ],
      Float64Array.of(0, 0.25, 0.5, 0.75, 1),
    );
    expect(Array.from(y).map((v) => +v.toFixed(12))).toEqual([0, 0.4, 0.8, 0.9, 1]);
  });

  it('SIC: a perfect ordering beats the reverse ordering; curve shape as pic.py', () => {
    const opts = { kind: 'sic' as const, blurred, thresholds, numDataPoints: 200 };
    const good = computePic(model, x, perfect, opts);
    const bad = computePic(model, x, reverse, opts);
    if (good.status !== 'ok' || bad.status !== 'ok') throw new Error('unexpected skip');
    expect(good.curveX.length).toBe(201);
    expect(good.curveY[200]).toBe(1);
    expect(good.curveY.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (let i = 1; i < good.curveY.length; i++)
      expect(good.curveY[i]!).toBeGreaterThanOrEqual(good.curveY[i - 1]! - 1e-15);
    expect(good.auc).toBeGreaterThan(0);
    expect(good.auc).toBeLessThan(1);
    expect(good.auc).toBeGreaterThan(bad.auc + 0.1);
    expect(good.thresholds).toEqual([0, ...thresholds, 1]);
    expect(good.predictions.length).toBe(thresholds.length + 2);
    expect(good.informationLevels[good.informationLevels.length - 1]).toBe(1);
  });

  it('AIC uses 0/1 accuracy; images are skipped by the pic.py rules', () => {
    const aic = computePic(model, x, perfect, { kind: 'aic', blurred, thresholds, numDataPoints: 100 });
    if (aic.status !== 'ok') throw new Error('unexpected skip');
    expect(aic.predictions.every((p) => p === 0 || p === 1)).toBe(true);
    const unsure = chosenPixelsModel(shape, chosen, 0.01, 24);
    expect(computePic(unsure, x, perfect, { kind: 'sic', blurred, thresholds }).status).toBe('skipped');
    expect(computePic(model, x, perfect, { kind: 'sic', blurred: x, thresholds }).status).toBe('skipped');
  });

  it('aggregates pointwise (mean and median) as pic.py', () => {
    const fake = (ys: number[]): PicResult => ({
      status: 'ok',
      target: 0,
      curveX: Float64Array.of(0, 0.25, 0.5, 0.75, 1),
      curveY: Float64Array.from(ys),
      auc: 0,
      thresholds: [],
      predictions: [],
      informationLevels: [],
      forwardEvaluations: 0,
    });
    const mean = aggregatePic([fake([0, 0.2, 0.4, 0.6, 1]), fake([0, 0.4, 0.4, 0.4, 1])], 'mean');
    expect(Array.from(mean.curveY).map((v) => +v.toFixed(12))).toEqual([0, 0.3, 0.4, 0.5, 1]);
    const median = aggregatePic(
      [fake([0, 0.2, 0.4, 0.6, 1]), fake([0, 0.4, 0.4, 0.4, 1]), fake([0, 0, 0, 0, 1])],
      'median',
    );
    expect(Array.from(median.curveY)).toEqual([0, 0.2, 0.4, 0.4, 1]);
    expect(median.auc).toBe(trapezoidAuc(median.curveX, median.curveY));
  });
});
