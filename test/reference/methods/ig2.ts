/**
 * IG² (Zhuo & Ge 2024), following the authors' ig2.py:
 *  GradPath: from x, normalised descent steps on D(z) = ‖rep(z) − rep(r)‖² / d (the MSE to the
 *  reference's representation), clipped to [lo, hi]; GradCF = its end point.
 *  IG² = mean over references of Σ_j (z_j − z_{j+1}) ⊙ ∇f(z_j)  (left Riemann, gradient at the
 *  point nearer the explicand); Σ attr ≈ f(x) − mean_r f(GradCF_r).
 * Differences from the authors' code: ‖G‖ = 0 gives a zero step instead of NaN, and an optional
 * early stop (below) trims the oscillation around GradCF that a fixed η causes.
 */
import { checkInput, explained, type RefModel, type TargetOptions } from './model.js';
import { sum } from './vec.js';

export interface Ig2EarlyStop {
  /**
   * Stop once `patience` consecutive steps fail to lower the best distance so far by more than
   * the relative `relTol` (default 1e-4), i.e. D_new ≥ D_best·(1 − relTol); the path is then cut
   * back to the best point, which becomes GradCF.
   */
  patience: number;
  relTol?: number;
}

export interface Ig2Options extends TargetOptions {
  /** Search steps (authors' default 201): the path has steps + 1 points unless stopped early. */
  steps: number;
  /** η: the L2 length of each step (authors: 256 on 0–255 images, 0.05 on [0, 1] wafer maps). */
  stepSize: number;
  /** Box constraint on the path (default unbounded). */
  clip?: readonly [number, number];
  earlyStop?: Ig2EarlyStop;
}

export interface GradPathResult {
  /** x = z_0, …, GradCF. */
  path: Float64Array[];
  /** D(z_j) for every kept point. */
  distances: number[];
  stoppedEarly: boolean;
  /** Search steps evaluated (= rep VJPs), including any trimmed by the early stop. */
  searchSteps: number;
}

export interface Ig2Result {
  attribution: Float64Array;
  fx: number;
  fGradCF: number[];
  /** mean_r f(GradCF_r): the effective baseline value. */
  fBaseline: number;
  sum: number;
  /** Σ attr − (f(x) − mean_r f(GradCF_r)). */
  delta: number;
  paths: GradPathResult[];
  /** ∇f evaluations for the integration (Σ over references of path segments). */
  gradientEvaluations: number;
  repVjpEvaluations: number;
}

function meanSquaredDistance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s / a.length;
}

export function gradPath(model: RefModel, x: Float64Array, reference: Float64Array, opts: Ig2Options): GradPathResult {
  checkInput(model, reference, 'gradPath reference');
  const [lo, hi] = opts.clip ?? [-Infinity, Infinity];
  const repRef = model.rep(reference);
  const path = [Float64Array.from(x)];
  const distances = [meanSquaredDistance(model.rep(x), repRef)];
  const relTol = opts.earlyStop?.relTol ?? 1e-4;
  let best = 0; // index of the best point so far
  let stall = 0;
  let z = path[0]!;
  for (let i = 0; i < opts.steps; i++) {
    const r = model.rep(z);
    // ∇_z(−D) = −(2/d)·(∂rep/∂z)ᵀ(rep(z) − rep(r)); the positive scale is normalised away.
    const g = model.repVjp(
      z,
      r.map((v, k) => repRef[k]! - v),
    );
    let norm = 0;
    for (const v of g) norm += v * v;
    norm = Math.sqrt(norm);
    const scale = norm > 0 ? opts.stepSize / norm : 0;
    // δ ← clip(x + δ + ηĝ) − x, written on the point z = x + δ directly.
    z = z.map((v, k) => Math.min(hi, Math.max(lo, v + scale * g[k]!)));
    path.push(z);
    const dist = meanSquaredDistance(model.rep(z), repRef);
    distances.push(dist);
    if (!opts.earlyStop) continue;
    if (dist < distances[best]! * (1 - relTol)) {
      best = path.length - 1;
      stall = 0;
    } else if (++stall >= opts.earlyStop.patience) {
      return {
        path: path.slice(0, best + 1),
        distances: distances.slice(0, best + 1),
        stoppedEarly: true,
        searchSteps: i + 1,
      };
    }
  }
  return { path, distances, stoppedEarly: false, searchSteps: opts.steps };
}

export function ig2(
  model: RefModel,
  x: Float64Array,
  references: readonly Float64Array[],
  opts: Ig2Options,
): Ig2Result {
  checkInput(model, x, 'ig2 x');
  if (references.length === 0) throw new Error('ig2: needs at least one reference');
  const output = opts.output ?? 'logit';
  const attribution = new Float64Array(x.length);
  const paths: GradPathResult[] = [];
  const fGradCF: number[] = [];
  let gradientEvaluations = 0;
  let repVjpEvaluations = 0;
  for (const reference of references) {
    const p = gradPath(model, x, reference, opts);
    paths.push(p);
    repVjpEvaluations += p.searchSteps;
    for (let j = 0; j + 1 < p.path.length; j++) {
      const zj = p.path[j]!;
      const zNext = p.path[j + 1]!;
      const g = model.grad(zj, opts.target, output);
      gradientEvaluations++;
      for (let k = 0; k < attribution.length; k++) attribution[k]! += (zj[k]! - zNext[k]!) * g[k]!;
    }
    fGradCF.push(explained(model, p.path[p.path.length - 1]!, opts.target, output));
  }
  for (let k = 0; k < attribution.length; k++) attribution[k]! /= references.length;
  const fx = explained(model, x, opts.target, output);
  const fBaseline = sum(fGradCF) / fGradCF.length;
  const total = sum(attribution);
  return {
    attribution,
    fx,
    fGradCF,
    fBaseline,
    sum: total,
    delta: total - (fx - fBaseline),
    paths,
    gradientEvaluations,
    repVjpEvaluations,
  };
}
