/**
 * The methods written with the public path spec (issue #25), each against a float64 reference
 * that follows its authors' code, on a CPU function and a GPU function (the model runs are in
 * targets-baselines.test.ts):
 * - Split IG: split_ig in notebooks/ImageNetSplitIG-Basic.ipynb, github.com/vivekmig/captum-1 @ 30d527f;
 * - IDG: IDG / getSlopes / getAlphaParameters in util/attribution_methods/saliencyMethods.py,
 *   github.com/chasewalker26/Integrated-Decision-Gradients @ 2c53059 (torch, not installed here);
 * - Expected Gradients: PathExplainerTorch.attributions(use_expectation=True) in
 *   path_explain/explainers/path_explainer_torch.py, github.com/suinleelab/path_explain @ 03f9565
 *   (mean over samples of (x − ref) ⊙ ∇f(ref + t(x − ref))), with the same seeded draws and α.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cpuFunction, drawBaselines, explain, gpuFunction, seededUniform, type Explainable } from '../src/index.js';
import { maxAbsDiff } from './harness/assert.js';
import { idgSchedule } from '../src/attribution/methods/idg.js';
import '../examples/left-ig.js';

const D = 6;
const W = [1.5, -0.7, 0.9, 0.4, -1.1, 0.8];
/** f(x) = 3·tanh(w·x) + ½‖x‖²: saturates along the path (float64) */
const f64 = (x: ArrayLike<number>) => {
  const s = W.reduce((a, w, j) => a + w * x[j]!, 0);
  return 3 * Math.tanh(s) + 0.5 * Array.from(x).reduce((a, v) => a + v * v, 0);
};
const g64 = (x: ArrayLike<number>) => {
  const s = W.reduce((a, w, j) => a + w * x[j]!, 0);
  return W.map((w, j) => 3 * (1 - Math.tanh(s) ** 2) * w + x[j]!);
};
const rows = (p: Float32Array, n: number) => {
  const f = new Float32Array(n);
  const grad = new Float32Array(p.length);
  for (let r = 0; r < n; r++) {
    const x = p.subarray(r * D, (r + 1) * D);
    f[r] = f64(x);
    grad.set(g64(x), r * D);
  }
  return { f, grad };
};
const cpu = cpuFunction((p, shape) => rows(p, shape[0]!), { inputShape: [D], batchSize: 7 });
const gpu = gpuFunction(
  async (points) => {
    const r = rows(await points.download(), points.shape[0]!);
    return {
      f: Tensor.from(points.engine, r.f, [points.shape[0]!]),
      grad: Tensor.from(points.engine, r.grad, points.shape),
    };
  },
  { inputShape: [D] },
);
const SUBJECTS: [string, Explainable][] = [
  ['cpuFunction', cpu],
  ['gpuFunction', gpu],
];
const X = Float32Array.from([0.9, 0.2, 0.7, 0.5, 0.1, 0.8, 0.3, 0.6, 0.95, 0.4, 0.25, 0.7]);
const at = (x: ArrayLike<number>, b: ArrayLike<number>, a: number) => Array.from(x, (v, j) => b[j]! + a * (v - b[j]!));

/** split_ig: riemann_right, the first output above f(x') + ratio·(f(x) − f(x')) starts the right part. */
function splitIgRef(x: Float32Array, b: Float32Array, n: number, ratio: number, part: 'left' | 'right') {
  const [f0, f1] = [f64(b), f64(x)];
  const threshold = f0 + ratio * (f1 - f0);
  const outputs = Array.from({ length: n }, (_, k) => f64(at(x, b, (k + 1) / n)));
  let index = outputs.findIndex((o) => o > threshold);
  if (index < 0) index = n; // grads[:None]
  const ks = part === 'left' ? [...Array(index).keys()] : [...Array(n).keys()].slice(index);
  const out = new Float64Array(D);
  for (const k of ks) g64(at(x, b, (k + 1) / n)).forEach((g, j) => (out[j] += (g / n) * (x[j]! - b[j]!)));
  return out;
}

/** IDG as the authors' code runs it (loops as in getAlphaParameters), in float64. */
function idgRef(x: Float32Array, b: Float32Array, steps: number) {
  const step = 1 / (steps - 1);
  const probe = Array.from({ length: steps }, (_, i) => f64(at(x, b, i * step)));
  const slopes = [0, ...probe.slice(1).map((l, i) => (l - probe[i]!) / step)];
  const [lo, hi] = [Math.min(...slopes), Math.max(...slopes)];
  const norm01 = slopes.map((s) => (s - lo) / (hi - lo));
  norm01[0] = 0;
  const sum = norm01.reduce((a, v) => a + v, 0);
  const placementsFloat = norm01.map((v) => (v / sum) * steps);
  const placements = placementsFloat.map((v) => Math.trunc(v));
  const remaining = steps - placements.reduce((a, v) => a + v, 0);
  placements.forEach((p, i) => p !== 0 && (placementsFloat[i] = -1));
  const ascending = [...placementsFloat.keys()].sort((i, j) => placementsFloat[i]! - placementsFloat[j]! || i - j);
  for (const i of ascending.reverse().slice(0, remaining)) placements[i] = 1;
  const alphas: number[] = [];
  const sub: number[] = [];
  let startValue = 0;
  for (const num of placements) {
    if (num === 0) continue;
    for (let j = 0; j < num; j++) alphas.push(startValue + (j * step) / num); // linspace(s, s + step, num + 1)[:num]
    for (let j = 0; j < num; j++) sub.push(step / num);
    startValue += step;
  }
  const logits = alphas.map((a) => f64(at(x, b, a)));
  const out = new Float64Array(D);
  for (let i = 0; i < steps; i++) {
    const slope = i === 0 ? 0 : (logits[i]! - logits[i - 1]!) / (alphas[i]! - alphas[i - 1]!);
    g64(at(x, b, alphas[i]!)).forEach((g, j) => (out[j] += (g * slope * sub[i]!) / steps));
  }
  return out.map((v, j) => v * (x[j]! - b[j]!));
}

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const scale = (a: ArrayLike<number>) => Math.max(...Array.from(a, Math.abs));
const close = (got: Float32Array, want: ArrayLike<number>, what: string) =>
  expect(maxAbsDiff(got, want), what).toBeLessThanOrEqual(2e-5 * scale(want) + 1e-6);

describe('methods written with the public path spec', () => {
  it('split-ig matches split_ig (left and right parts, two ratios), and left + right = IG (right rule)', async () => {
    const black = new Float32Array(D);
    for (const [name, subject] of SUBJECTS)
      for (const ratio of [0.5, 0.9]) {
        const parts: Float32Array[] = [];
        for (const part of ['left', 'right'] as const) {
          const r = await explain(engine, subject, X, {
            method: 'split-ig',
            steps: 20,
            methodOptions: { ratio, part },
          });
          for (let i = 0; i < 2; i++)
            close(
              r.attribution.subarray(i * D, (i + 1) * D),
              splitIgRef(X.subarray(i * D, (i + 1) * D), black, 20, ratio, part),
              `${name} ${ratio} ${part} ${i}`,
            );
          parts.push(r.attribution);
        }
        const ig = await explain(engine, subject, X, { method: 'ig', steps: 20, rule: 'right' });
        close(
          parts[0]!.map((v, j) => v + parts[1]![j]!),
          ig.attribution,
          `${name} left + right`,
        );
      }
  });

  it('idg matches the authors’ IDG; its schedule places every step and F rises where it is dense', async () => {
    const black = new Float32Array(D);
    for (const [name, subject] of SUBJECTS) {
      const r = await explain(engine, subject, X, { method: 'idg', steps: 16, baseline: black });
      for (let i = 0; i < 2; i++)
        close(
          r.attribution.subarray(i * D, (i + 1) * D),
          idgRef(X.subarray(i * D, (i + 1) * D), black, 16),
          `${name} ${i}`,
        );
    }
    // F rises most on its 4th interval: most samples go there, each weighted Δα / m
    const s = idgSchedule(Float64Array.from([0, 0.1, 0.2, 2, 2.1, 2.1]));
    expect(Array.from(s.alphas).every((a, i) => i === 0 || a > s.alphas[i - 1]!)).toBe(true);
    expect(Math.min(...s.weights)).toBeCloseTo(0.2 / Math.max(...s.weights.map((w) => 0.2 / w / 6)) / 6, 12);
    expect(Math.max(...s.weights.map((w) => Math.round(0.2 / w / 6)))).toBeGreaterThanOrEqual(3);
  });

  it('expected-gradients matches E[(x − x′) ⊙ ∇f(x′ + α(x − x′))] with the same seeded draws and α, bitwise reproducible', async () => {
    const set = Float32Array.from({ length: 4 * D }, (_, i) => 0.25 * Math.abs(Math.sin(1.3 * i)));
    const weights = [0.1, 0.4, 0.2, 0.3];
    const [draws, samples, seed, drawSeed] = [5, 3, 7, 21];
    const picks = drawBaselines(Float64Array.from(weights), draws, drawSeed);
    for (const [name, subject] of SUBJECTS) {
      const options = {
        method: 'expected-gradients',
        steps: samples,
        seed,
        baseline: { set, weights, draws, seed: drawSeed },
      } as const;
      const r = await explain(engine, subject, X, options);
      for (let i = 0; i < 2; i++) {
        const x = X.subarray(i * D, (i + 1) * D);
        const want = new Float64Array(D);
        picks.forEach((p, j) => {
          const b = set.subarray(p * D, (p + 1) * D);
          for (let s = 0; s < samples; s++) {
            const alpha = seededUniform(seed, i * draws + j, s);
            g64(at(x, b, alpha)).forEach((g, e) => (want[e] += (g * (x[e]! - b[e]!)) / (draws * samples)));
          }
        });
        close(r.attribution.subarray(i * D, (i + 1) * D), want, `${name} ${i}`);
      }
      const again = await explain(engine, subject, X, { ...options, memoryBudgetBytes: 2000 });
      expect(Array.from(again.attribution), `${name}: batched otherwise`).toEqual(Array.from(r.attribution));
    }
  });

  it('examples/left-ig.ts (two passes) matches the IDG authors’ IG with alpha_star 0.9', async () => {
    const black = new Float32Array(D);
    for (const [name, subject] of SUBJECTS) {
      const r = await explain(engine, subject, X, { method: 'left-ig', steps: 12 });
      for (let i = 0; i < 2; i++) {
        const x = X.subarray(i * D, (i + 1) * D);
        const alphas = Array.from({ length: 12 }, (_, k) => k / 11);
        const logits = alphas.map((a) => f64(at(x, black, a)));
        const first = logits.findIndex((v) => v > 0.9 * Math.max(...logits));
        const keep = first <= 0 ? 1 : first;
        const want = new Float64Array(D);
        for (let k = 0; k < keep; k++) g64(at(x, black, alphas[k]!)).forEach((g, j) => (want[j] += (g / keep) * x[j]!));
        expect(keep).toBeLessThan(12);
        close(r.attribution.subarray(i * D, (i + 1) * D), want, `${name} ${i}`);
      }
    }
  });

  it('refuses bad options before any GPU work', async () => {
    await expect(explain(engine, cpu, X, { method: 'split-ig', methodOptions: { ratio: 2 } })).rejects.toThrow(
      /ratio must be in \[0, 1\]/,
    );
    await expect(
      explain(engine, cpu, X, { method: 'split-ig', methodOptions: { part: 'middle' } as never }),
    ).rejects.toThrow(/part must be/);
    await expect(explain(engine, cpu, X, { method: 'idg', steps: 1 })).rejects.toThrow(/at least 2/);
  });
});
