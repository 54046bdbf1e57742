/** CPU-only checks of the float64 reference attribution methods against closed forms. */
import { describe, expect, it } from 'vitest';
import { Rng } from './harness/random.js';
import { numericGrad } from './reference/finite-diff.js';
import { makeBaseline } from './reference/methods/baselines.js';
import { blurIntegratedGradients, blurPath } from './reference/methods/blur-ig.js';
import { gaussianBlur, gaussianKernel1d } from './reference/methods/blur.js';
import { gradientTimesInput, vanillaGradient } from './reference/methods/gradient.js';
import { guidedIntegratedGradients, quantileLower } from './reference/methods/guided-ig.js';
import { idgi, idgiFromEvaluations } from './reference/methods/idgi.js';
import { idgiBlurIG, idgiGuidedIG, idgiIG } from './reference/methods/idgi-variants.js';
import { ig2 } from './reference/methods/ig2.js';
import { integratedGradients } from './reference/methods/ig.js';
import { quadrature, type QuadratureRule } from './reference/methods/integrators.js';
import { explained, softmax, type RefModel } from './reference/methods/model.js';
import { straightPath } from './reference/methods/paths.js';
import { smoothGrad } from './reference/methods/smoothgrad.js';

type Shape = readonly [number, number, number];

/** Softmax-probability gradient from logit gradients: ∂p_t = p_t(∂z_t − Σ_k p_k ∂z_k). */
function probGrad(logits: Float64Array, logitGrads: Float64Array[], target: number): Float64Array {
  const p = softmax(logits);
  const out = new Float64Array(logitGrads[0]!.length);
  for (let i = 0; i < out.length; i++) {
    let mean = 0;
    for (let k = 0; k < p.length; k++) mean += p[k]! * logitGrads[k]![i]!;
    out[i] = p[target]! * (logitGrads[target]![i]! - mean);
  }
  return out;
}

/** logits = W·tanh(A·x + c) + b, rep = tanh(A·x + c). Exact gradients by hand. */
function tanhModel(shape: Shape, hidden: number, numClasses: number, seed: number): RefModel {
  const d = shape[0] * shape[1] * shape[2];
  const rng = new Rng(seed);
  const A = rng.normal(hidden * d, 1 / Math.sqrt(d));
  const c = rng.normal(hidden, 0.1);
  const W = rng.normal(numClasses * hidden, 1);
  const b = rng.normal(numClasses, 0.1);
  const rep = (x: Float64Array) => {
    const h = new Float64Array(hidden);
    for (let j = 0; j < hidden; j++) {
      let s = c[j]!;
      for (let i = 0; i < d; i++) s += A[j * d + i]! * x[i]!;
      h[j] = Math.tanh(s);
    }
    return h;
  };
  const repVjp = (x: Float64Array, v: Float64Array) => {
    const h = rep(x);
    const out = new Float64Array(d);
    for (let j = 0; j < hidden; j++) {
      const s = v[j]! * (1 - h[j]! * h[j]!);
      for (let i = 0; i < d; i++) out[i]! += s * A[j * d + i]!;
    }
    return out;
  };
  const logits = (x: Float64Array) => {
    const h = rep(x);
    const z = Float64Array.from(b);
    for (let k = 0; k < numClasses; k++) for (let j = 0; j < hidden; j++) z[k]! += W[k * hidden + j]! * h[j]!;
    return z;
  };
  const logitGrad = (x: Float64Array, k: number) => repVjp(x, W.slice(k * hidden, (k + 1) * hidden));
  return {
    shape,
    numClasses,
    logits,
    rep,
    repVjp,
    grad: (x, target, output) =>
      output === 'logit'
        ? logitGrad(x, target)
        : probGrad(
            logits(x),
            Array.from({ length: numClasses }, (_, k) => logitGrad(x, k)),
            target,
          ),
  };
}

/** logits = W·x + b, rep = x: IG is exact for every rule, and GradPath is a straight line. */
function linearModel(W: Float64Array[], b: number[], shape: Shape): RefModel {
  const logits = (x: Float64Array) => Float64Array.from(W, (w, k) => b[k]! + w.reduce((s, v, i) => s + v * x[i]!, 0));
  return {
    shape,
    numClasses: W.length,
    logits,
    rep: (x) => Float64Array.from(x),
    repVjp: (_x, v) => Float64Array.from(v),
    grad: (x, target, output) => (output === 'logit' ? Float64Array.from(W[target]!) : probGrad(logits(x), W, target)),
  };
}

/** A one-logit model from a scalar function and its gradient (PAIR's unit-test functions). */
function scalarModel(f: (x: Float64Array) => number, g: (x: Float64Array) => Float64Array, shape: Shape): RefModel {
  return {
    shape,
    numClasses: 1,
    logits: (x) => Float64Array.of(f(x)),
    grad: (x) => g(x),
    rep: (x) => Float64Array.from(x),
    repVjp: (_x, v) => Float64Array.from(v),
  };
}

const SHAPE: Shape = [1, 4, 4];
const D = 16;
const net = tanhModel(SHAPE, 6, 2, 7);
const rng0 = new Rng(11);
const xIn = rng0.uniform(D, 0, 1);
const zeros = new Float64Array(D);
const sumOf = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

describe('test models', () => {
  it('tanh model gradients (logit, prob) and rep VJP match finite differences', () => {
    for (const output of ['logit', 'prob'] as const) {
      const fd = numericGrad((z) => explained(net, z, 1, output), xIn);
      expect(Math.max(...net.grad(xIn, 1, output).map((v, i) => Math.abs(v - fd[i]!)))).toBeLessThan(1e-8);
    }
    const v = new Rng(3).normal(6);
    const fd = numericGrad((z) => net.rep(z).reduce((s, r, j) => s + r * v[j]!, 0), xIn);
    expect(Math.max(...net.repVjp(xIn, v).map((g, i) => Math.abs(g - fd[i]!)))).toBeLessThan(1e-8);
  });
});

describe('quadrature', () => {
  const rules: QuadratureRule[] = ['left', 'right', 'middle', 'trapezoid', 'gauss-legendre'];
  it('weights sum to 1 for every rule (not (n−1)/n as Captum’s trapezoid)', () => {
    for (const rule of rules) {
      for (const m of [1, 2, 3, 10, 50, 257]) {
        const q = quadrature(rule, m);
        expect(Math.abs(sumOf(q.weights) - 1), `${rule} m=${m}`).toBeLessThan(1e-12);
        expect(q.alphas.length).toBe(rule === 'trapezoid' ? m + 1 : m);
        for (let k = 1; k < q.alphas.length; k++) expect(q.alphas[k]!).toBeGreaterThan(q.alphas[k - 1]!);
      }
    }
    expect(Array.from(quadrature('trapezoid', 4).alphas)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(Array.from(quadrature('middle', 2).alphas)).toEqual([0.25, 0.75]);
  });

  it('Gauss–Legendre with n nodes integrates t^k on [0,1] exactly up to k = 2n − 1, not k = 2n', () => {
    for (const n of [1, 2, 3, 5, 8, 16]) {
      const { alphas, weights } = quadrature('gauss-legendre', n);
      const integral = (k: number) => sumOf(alphas.map((a, i) => weights[i]! * a ** k));
      for (let k = 0; k <= 2 * n - 1; k++)
        expect(Math.abs(integral(k) - 1 / (k + 1)), `n=${n} k=${k}`).toBeLessThan(1e-13);
      // The error on t^{2n} is (n!)⁴ / ((2n + 1)·((2n)!)²): visible for small n only.
      if (n <= 5) expect(Math.abs(integral(2 * n) - 1 / (2 * n + 1))).toBeGreaterThan(1e-7);
    }
  });
});

describe('gradient methods', () => {
  it('gradient is ∇f(x); gradient × input multiplies by x', () => {
    const g = vanillaGradient(net, xIn, { target: 0 });
    expect(Array.from(g.attribution)).toEqual(Array.from(net.grad(xIn, 0, 'logit')));
    const gxi = gradientTimesInput(net, xIn, { target: 0 });
    gxi.attribution.forEach((v, i) => expect(v).toBe(xIn[i]! * g.attribution[i]!));
  });
});

describe('Integrated Gradients', () => {
  it('is exact on a linear model for every rule and step count', () => {
    const w = new Rng(5).normal(D);
    const lin = linearModel([w, w.map((v) => -v)], [0.3, 0], SHAPE);
    const base = new Rng(6).uniform(D, 0, 1);
    for (const rule of ['left', 'right', 'middle', 'trapezoid', 'gauss-legendre'] as const) {
      const r = integratedGradients(lin, xIn, base, { target: 0, steps: 3, rule });
      r.attribution.forEach((v, i) => expect(Math.abs(v - w[i]! * (xIn[i]! - base[i]!))).toBeLessThan(1e-14));
      expect(Math.abs(r.delta)).toBeLessThan(1e-13);
    }
  });

  it('completeness error falls as steps grow (logit and prob)', () => {
    for (const output of ['logit', 'prob'] as const) {
      for (const rule of ['left', 'right', 'middle', 'trapezoid'] as const) {
        const errs = [2, 8, 32, 128].map((m) =>
          Math.abs(integratedGradients(net, xIn, zeros, { target: 1, output, steps: m, rule }).delta),
        );
        for (let k = 1; k < errs.length; k++) expect(errs[k]!, `${output} ${rule}`).toBeLessThan(errs[k - 1]!);
      }
      const gl = integratedGradients(net, xIn, zeros, { target: 1, output, steps: 16, rule: 'gauss-legendre' });
      expect(Math.abs(gl.delta)).toBeLessThan(1e-10);
      expect(gl.gradientEvaluations).toBe(16);
    }
  });
});

describe('IDGI', () => {
  it('Σ attr = f(x) − f(x_0) to 1e-12 for any m, on straight and arbitrary paths', () => {
    for (const output of ['logit', 'prob'] as const) {
      for (const m of [1, 2, 7, 32]) {
        const r = idgiIG(net, xIn, zeros, { target: 0, output, steps: m });
        expect(r.skippedSteps).toBe(0);
        expect(Math.abs(r.sum - (r.fEnd - r.fStart))).toBeLessThan(1e-12 * Math.max(1, Math.abs(r.fEnd - r.fStart)));
        expect(r.gradientEvaluations).toBe(m);
        expect(r.forwardEvaluations).toBe(m + 1);
      }
    }
    const rng = new Rng(9);
    const wiggly = [...Array.from({ length: 9 }, () => rng.uniform(D, -1, 1)), xIn];
    const r = idgi(net, wiggly, { target: 1 });
    expect(Math.abs(r.sum - (explained(net, xIn, 1, 'logit') - explained(net, wiggly[0]!, 1, 'logit')))).toBeLessThan(
      1e-12,
    );
  });

  it('step j uses g(x_j) ⊙ g(x_j) / ‖g‖² · Δf, the gradient at the earlier point', () => {
    const g0 = Float64Array.of(1, 2);
    const g1 = Float64Array.of(3, 0);
    const r = idgiFromEvaluations([g0, g1, Float64Array.of(99, 99)], [0, 5, 2]);
    // step 0: [1,4]/5·5 = [1,4]; step 1: [9,0]/9·(−3) = [−3,0]
    expect(Array.from(r.attribution)).toEqual([-2, 4]);
  });

  it('skips zero-gradient steps without NaN and reports the dropped Δf', () => {
    const r = idgiFromEvaluations([new Float64Array(3), Float64Array.of(1, 0, 0)], [0, 0.5, 2]);
    expect(r.attribution.every(Number.isFinite)).toBe(true);
    expect(r.skippedSteps).toBe(1);
    expect(r.droppedDelta).toBe(0.5);
    expect(Array.from(r.attribution)).toEqual([1.5, 0, 0]);
    // A model that is flat near the baseline: f = (relu(Σx − 1))².
    const flat = scalarModel(
      (x) => Math.max(sumOf(x) - 1, 0) ** 2,
      (x) => new Float64Array(x.length).fill(2 * Math.max(sumOf(x) - 1, 0)),
      [1, 1, 4],
    );
    const x = Float64Array.of(1, 1, 1, 1);
    const res = idgiIG(flat, x, new Float64Array(4), { target: 0, steps: 8 });
    expect(res.skippedSteps).toBeGreaterThan(0);
    expect(res.attribution.every(Number.isFinite)).toBe(true);
    expect(Math.abs(res.sum + res.droppedDelta - (res.fEnd - res.fStart))).toBeLessThan(1e-12);
  });
});

describe('Guided IG', () => {
  const shape2: Shape = [1, 1, 2];
  const run = (m: RefModel, x: number[], b: number[], steps: number, fraction: number, maxDist: number) =>
    guidedIntegratedGradients(m, Float64Array.from(x), Float64Array.from(b), { target: 0, steps, fraction, maxDist });

  it('quantile "lower" picks sorted index ⌊q(n−1)⌋ with +∞ sorted last', () => {
    expect(quantileLower(Float64Array.of(5, Infinity, 1, 3), 0.25)).toBe(1);
    expect(quantileLower(Float64Array.of(5, Infinity, 1, 3), 0.7)).toBe(5);
    expect(quantileLower(Float64Array.of(Infinity, Infinity, 1), 0.5)).toBe(Infinity);
  });

  it('matches the closed-form values of PAIR’s unit tests', () => {
    const linear = scalarModel(
      (x) => 2 * x[0]! + x[1]!,
      () => Float64Array.of(2, 1),
      shape2,
    );
    expect(Array.from(run(linear, [10, 5], [-1, -3], 10, 0.1, 0.5).attribution).map((v) => +v.toFixed(9))).toEqual([
      22, 8,
    ]);
    expect(Array.from(run(linear, [10, 5], [0, 0], 10, 0.1, 0.5).attribution).map((v) => +v.toFixed(9))).toEqual([
      20, 5,
    ]);

    const indep = scalarModel(
      (x) => 2 * x[0]! ** 2 + x[1]! ** 2,
      (x) => Float64Array.of(4 * x[0]!, 2 * x[1]!),
      shape2,
    );
    const a = run(indep, [3, 3], [0, 0], 1000, 0.1, 0.4).attribution;
    expect(Math.abs(a[0]! - 18) / 18).toBeLessThan(0.01);
    expect(Math.abs(a[1]! - 9) / 9).toBeLessThan(0.01);
    const rev = run(indep, [0, 0], [3, 3], 1000, 0.1, 0.4).attribution;
    expect(Math.abs(rev[0]! + 18) / 18).toBeLessThan(0.01);
    expect(Math.abs(rev[1]! + 9) / 9).toBeLessThan(0.01);

    const dep = scalarModel(
      (x) => (2 * x[0]! + x[1]!) ** 2,
      (x) => Float64Array.of(4 * (2 * x[0]! + x[1]!), 2 * (2 * x[0]! + x[1]!)),
      shape2,
    );
    for (const [fraction, maxDist] of [
      [0.1, 0],
      [1, 0.5],
    ] as const) {
      const r = run(dep, [3, 3], [0, 0], 1000, fraction, maxDist).attribution;
      expect(Math.abs(r[0]! - 54) / 54).toBeLessThan(0.01);
      expect(Math.abs(r[1]! - 27) / 27).toBeLessThan(0.01);
    }
    const unbounded = run(dep, [3, 3], [0, 0], 1000, 0.1, 1).attribution;
    expect(Math.abs(unbounded[0]! - 72) / 72).toBeLessThan(0.01);
    expect(Math.abs(unbounded[1]! - 9) / 9).toBeLessThan(0.01);
    const bounded = run(dep, [3, 3], [0, 0], 1000, 0.1, 0.2);
    expect(Math.abs(bounded.sum - 81)).toBeLessThan(0.1);
    expect(bounded.attribution[0]!).toBeGreaterThan(55);
    expect(bounded.attribution[0]!).toBeLessThan(71);
    expect(bounded.attribution[1]!).toBeGreaterThan(10);
    expect(bounded.attribution[1]!).toBeLessThan(26);
  });

  it('path ends exactly at x, stays in the band, and completeness holds approximately', () => {
    const base = new Rng(21).uniform(D, 0, 1);
    base[3] = xIn[3]!; // a feature with x_i = x'_i gets no attribution
    for (const [fraction, maxDist] of [
      [0.25, 0.02],
      [0.5, 1],
      [0.1, 0.2],
    ] as const) {
      const r = guidedIntegratedGradients(net, xIn, base, { target: 1, steps: 200, fraction, maxDist });
      expect(r.path.length).toBe(201);
      expect(r.pathGradients.length).toBe(200);
      expect(Array.from(r.path[200]!)).toEqual(Array.from(xIn));
      expect(Array.from(r.path[0]!)).toEqual(Array.from(base));
      expect(r.attribution[3]).toBe(0);
      expect(Math.abs(r.delta) / Math.abs(r.fx - r.fBaseline)).toBeLessThan(0.02);
      // Every point z_s (start of step s) has Σ|z − x| = L·(1 − s/m) and α_i within s/m ± maxDist.
      const l1 = sumOf(xIn.map((v, i) => Math.abs(v - base[i]!)));
      r.path.forEach((z, s) => {
        expect(Math.abs(sumOf(z.map((v, i) => Math.abs(v - xIn[i]!))) - l1 * (1 - s / 200))).toBeLessThan(1e-8);
        z.forEach((v, i) => {
          if (i === 3) return;
          const alpha = (v - base[i]!) / (xIn[i]! - base[i]!);
          expect(Math.abs(alpha - s / 200)).toBeLessThanOrEqual(maxDist + 1e-9);
        });
      });
    }
  });

  it('max_dist = 0 is IG with the left Riemann rule', () => {
    const base = new Rng(22).uniform(D, 0, 1);
    const gig = guidedIntegratedGradients(net, xIn, base, { target: 0, steps: 50, fraction: 0.25, maxDist: 0 });
    const ig = integratedGradients(net, xIn, base, { target: 0, steps: 50, rule: 'left' });
    gig.attribution.forEach((v, i) => expect(Math.abs(v - ig.attribution[i]!)).toBeLessThan(1e-9));
  });

  it('gig-idgi reuses the path gradients and is exactly complete', () => {
    const r = idgiGuidedIG(net, xIn, zeros, { target: 0, steps: 40, fraction: 0.25, maxDist: 0.1 });
    expect(r.gradientEvaluations).toBe(40);
    expect(r.forwardEvaluations).toBe(41);
    expect(Math.abs(r.sum - (r.fEnd - r.fStart))).toBeLessThan(1e-12);
    expect(r.fEnd).toBe(explained(net, xIn, 0, 'logit'));
  });

  it('returns zeros when x equals the baseline', () => {
    const r = guidedIntegratedGradients(net, xIn, xIn, { target: 0 });
    expect(r.attribution.every((v) => v === 0)).toBe(true);
    expect(r.gradientEvaluations).toBe(0);
  });
});

describe('Gaussian blur (scipy.ndimage.gaussian_filter semantics)', () => {
  it('radius = int(4σ + 0.5) and σ = 0 is the identity', () => {
    expect(gaussianKernel1d(1).length).toBe(9); // int(4.5) = 4
    expect(gaussianKernel1d(0.6).length).toBe(5); // int(2.9) = 2
    expect(gaussianKernel1d(0.1).length).toBe(1); // int(0.9) = 0: identity, unlike ⌈4σ⌉ = 1
    expect(Array.from(gaussianBlur(xIn, SHAPE, 0))).toEqual(Array.from(xIn));
  });

  it('matches a hand-computed 1-D case with zero padding', () => {
    // σ = 0.5 → radius 2, taps ∝ [e^−8, e^−2, 1, e^−2, e^−8]. With H = 1 the H pass only sees
    // the centre tap (its neighbours are zero padding), so it scales everything by 1/s, as scipy does.
    const e2 = Math.exp(-2);
    const e8 = Math.exp(-8);
    const s = 1 + 2 * e2 + 2 * e8;
    const out = gaussianBlur(Float64Array.of(1, 2, 3), [1, 1, 3], 0.5);
    const expected = [(1 + 2 * e2 + 3 * e8) / s ** 2, (2 + 4 * e2) / s ** 2, (3 + 2 * e2 + e8) / s ** 2];
    out.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-15));
  });

  it('keeps a constant interior constant, darkens the border, and does not mix channels', () => {
    const shape: Shape = [2, 12, 12];
    const img = new Float64Array(288);
    img.fill(0.7, 0, 144);
    img.fill(0.2, 144);
    const out = gaussianBlur(img, shape, 1); // radius 4: rows/cols 4..7 see no padding
    for (let ch = 0; ch < 2; ch++) {
      const v = ch === 0 ? 0.7 : 0.2;
      for (let r = 4; r < 8; r++)
        for (let c = 4; c < 8; c++) expect(Math.abs(out[ch * 144 + r * 12 + c]! - v)).toBeLessThan(1e-15);
      expect(out[ch * 144]!).toBeLessThan(v * 0.6);
    }
  });

  it('is separable: a centred impulse becomes the outer product of the 1-D kernel', () => {
    const img = new Float64Array(81);
    img[40] = 1;
    const k = gaussianKernel1d(1);
    const out = gaussianBlur(img, [1, 9, 9], 1);
    for (let r = 0; r < 9; r++)
      for (let c = 0; c < 9; c++) expect(Math.abs(out[r * 9 + c]! - k[r]! * k[c]!)).toBeLessThan(1e-16);
  });
});

describe('Blur IG', () => {
  const img = new Float64Array(25);
  img[6] = 0.7;
  img[12] = 1;
  const sinModel = scalarModel(
    (x) => sumOf(x.map(Math.sin)),
    (x) => x.map(Math.cos),
    [1, 5, 5],
  );

  it('matches PAIR’s closed form sin(x) − sin(blur(x, 10)) per pixel, every pixel nonzero', () => {
    const r = blurIntegratedGradients(sinModel, img, { target: 0, maxSigma: 10, steps: 1000 });
    const far = gaussianBlur(img, [1, 5, 5], 10);
    r.attribution.forEach((v, i) => {
      expect(Math.abs(v - (Math.sin(img[i]!) - Math.sin(far[i]!)))).toBeLessThan(0.005);
      expect(v).not.toBe(0);
    });
  });

  it('path runs baseline → input and ends at the input; completeness within the Riemann error', () => {
    const r = blurIntegratedGradients(net, xIn, { target: 0, maxSigma: 3, steps: 200 });
    expect(r.path.length).toBe(201);
    expect(Array.from(r.path[200]!)).toEqual(Array.from(xIn));
    expect(Array.from(r.path[0]!)).toEqual(Array.from(gaussianBlur(xIn, SHAPE, 3)));
    expect(r.fBaseline).toBe(explained(net, r.path[0]!, 0, 'logit'));
    expect(Math.abs(r.delta) / Math.abs(r.fx - r.fBaseline)).toBeLessThan(0.05);
    const sq = blurIntegratedGradients(net, xIn, { target: 0, maxSigma: 9, steps: 200, sqrt: true });
    expect(sq.sigmas[200]).toBe(3); // the sqrt path ends at √maxSigma, as in PAIR
    expect(Math.abs(sq.fBaseline - r.fBaseline)).toBeLessThan(1e-15);
  });

  it('blurig-idgi is exactly complete between blur(x, σ_max) and x', () => {
    const r = idgiBlurIG(net, xIn, { target: 1, output: 'prob', maxSigma: 4, steps: 16 });
    expect(Math.abs(r.sum - (r.fEnd - r.fStart))).toBeLessThan(1e-12);
    expect(r.fEnd).toBe(explained(net, xIn, 1, 'prob'));
    expect(blurPath(xIn, SHAPE, { maxSigma: 4, steps: 16 }).length).toBe(17);
  });
});

describe('IG²', () => {
  const w = new Rng(31).normal(D);
  const lin = linearModel([w, w.map((v) => 0.5 * v)], [0, 0.1], SHAPE);

  it('on a linear model with rep = x: a straight GradPath and exact completeness', () => {
    const refs = [new Rng(32).uniform(D, 0, 1), new Rng(33).uniform(D, 0, 1)];
    const eta = 0.01;
    const steps = 20; // η·steps well below ‖r − x‖: no overshoot
    const r = ig2(lin, xIn, refs, { target: 0, steps, stepSize: eta });
    const ends = refs.map((ref) => {
      const dir = ref.map((v, i) => v - xIn[i]!);
      const norm = Math.sqrt(sumOf(dir.map((v) => v * v)));
      return xIn.map((v, i) => v + (steps * eta * dir[i]!) / norm);
    });
    r.paths.forEach((p, k) => p.path[steps]!.forEach((v, i) => expect(Math.abs(v - ends[k]![i]!)).toBeLessThan(1e-13)));
    r.attribution.forEach((v, i) => {
      const expected = (w[i]! * (2 * xIn[i]! - ends[0]![i]! - ends[1]![i]!)) / 2;
      expect(Math.abs(v - expected)).toBeLessThan(1e-13);
    });
    expect(Math.abs(r.delta)).toBeLessThan(1e-13);
    expect(r.gradientEvaluations).toBe(2 * steps);
    expect(r.repVjpEvaluations).toBe(2 * steps);
  });

  it('clips to [lo, hi] and early-stops where the distance plateaus (oscillation trimmed)', () => {
    const ref = new Rng(34).uniform(D, 0, 1);
    const opts = { target: 0, steps: 400, stepSize: 0.05, clip: [0, 1] as const };
    const plain = ig2(lin, xIn, [ref], opts);
    plain.paths[0]!.path.forEach((z) => z.forEach((v) => expect(v >= 0 && v <= 1).toBe(true)));
    const stopped = ig2(lin, xIn, [ref], { ...opts, earlyStop: { patience: 3 } });
    const p = stopped.paths[0]!;
    expect(p.stoppedEarly).toBe(true);
    expect(p.path.length).toBeLessThan(401);
    expect(p.searchSteps).toBe(p.path.length - 1 + 3);
    expect(p.distances[p.distances.length - 1]!).toBe(Math.min(...p.distances));
    expect(Math.abs(stopped.delta)).toBeLessThan(1e-12); // linear f: any path is exact
  });

  it('on the tanh model, completeness relative to GradCF holds for a small η', () => {
    const refs = [new Rng(35).uniform(D, 0, 1), new Rng(36).uniform(D, 0, 1), new Rng(37).uniform(D, 0, 1)];
    const r = ig2(net, xIn, refs, { target: 0, steps: 200, stepSize: 0.005, earlyStop: { patience: 5 } });
    expect(Math.abs(r.delta) / Math.abs(r.fx - r.fBaseline)).toBeLessThan(0.02);
    r.paths.forEach((p) => expect(p.distances[p.distances.length - 1]!).toBeLessThan(p.distances[0]!));
  });
});

describe('SmoothGrad', () => {
  const method = (x: Float64Array) =>
    integratedGradients(net, x, zeros, { target: 0, steps: 8, rule: 'middle' }).attribution;

  it('with n = 1 and σ = 0 equals the wrapped method', () => {
    const wrapped = method(xIn);
    for (const noise of [{ noiseLevel: 0 }, { noiseStd: 0 }]) {
      const r = smoothGrad(method, xIn, { ...noise, samples: 1, magnitude: false, rng: new Rng(1) });
      expect(Array.from(r.attribution)).toEqual(Array.from(wrapped));
    }
    const sq = smoothGrad(method, xIn, { noiseStd: 0, samples: 3, magnitude: true, rng: new Rng(1) });
    sq.attribution.forEach((v, i) => expect(Math.abs(v - wrapped[i]! ** 2)).toBeLessThan(1e-15));
  });

  it('σ = level·(max − min), draws are seeded, and the mean is over the noisy copies', () => {
    const opts = { noiseLevel: 0.15, samples: 4, magnitude: false };
    const a = smoothGrad(method, xIn, { ...opts, rng: new Rng(5) });
    const b = smoothGrad(method, xIn, { ...opts, rng: new Rng(5) });
    expect(Array.from(a.attribution)).toEqual(Array.from(b.attribution));
    expect(a.sigma).toBeCloseTo(0.15 * (Math.max(...xIn) - Math.min(...xIn)), 15);
    const mean = new Float64Array(D);
    for (const n of a.noises) method(xIn.map((v, i) => v + n[i]!)).forEach((v, i) => (mean[i]! += v / 4));
    a.attribution.forEach((v, i) => expect(Math.abs(v - mean[i]!)).toBeLessThan(1e-15));
    const c = smoothGrad(method, xIn, { ...opts, rng: new Rng(6) });
    expect(Array.from(c.attribution)).not.toEqual(Array.from(a.attribution));
  });
});

describe('baselines', () => {
  it('black/white per channel, seeded uniform, blur and user arrays', () => {
    const shape: Shape = [3, 2, 2];
    const x = new Rng(40).uniform(12, 0, 1);
    expect(Array.from(makeBaseline({ kind: 'black' }, x, shape))).toEqual(new Array(12).fill(0));
    expect(Array.from(makeBaseline({ kind: 'white' }, x, shape))).toEqual(new Array(12).fill(1));
    const normBlack = makeBaseline({ kind: 'black', channelValues: [-2, -1, 0.5] }, x, shape);
    expect(Array.from(normBlack)).toEqual([-2, -2, -2, -2, -1, -1, -1, -1, 0.5, 0.5, 0.5, 0.5]);
    const u1 = makeBaseline({ kind: 'uniform', rng: new Rng(3) }, x, shape);
    const u2 = makeBaseline({ kind: 'uniform', rng: new Rng(3) }, x, shape);
    expect(Array.from(u1)).toEqual(Array.from(u2));
    expect(u1.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Array.from(makeBaseline({ kind: 'blur', sigma: 1 }, x, shape))).toEqual(
      Array.from(gaussianBlur(x, shape, 1)),
    );
    const user = new Rng(41).uniform(12);
    const copy = makeBaseline({ kind: 'array', data: user }, x, shape);
    expect(Array.from(copy)).toEqual(Array.from(user));
    expect(copy).not.toBe(user);
    expect(() => makeBaseline({ kind: 'array', data: new Float64Array(5) }, x, shape)).toThrow(/length/);
  });

  it('straightPath includes both ends bit-exactly', () => {
    const base = new Rng(42).uniform(D);
    const p = straightPath(base, xIn, 3);
    expect(p.length).toBe(4);
    expect(Array.from(p[0]!)).toEqual(Array.from(base));
    expect(Array.from(p[3]!)).toEqual(Array.from(xIn));
  });
});
