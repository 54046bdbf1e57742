/**
 * Guided IG (Kapishnikov et al. 2021), following PAIR's guided_ig.py step for step, float64.
 * Differences from PAIR, all "do better" and mathematically no-ops:
 *  - the band ends at α = 0 / α = 1 are the baseline / input themselves (x' + 1·(x − x') can
 *    differ from x in the last bit), and a γ = 1 move assigns z_hi exactly;
 *  - after the last outer step z is snapped onto x (PAIR stops once Σ|z − x| ≤ 1e-9), and the
 *    snap is credited like any other move, so the path ends exactly at x;
 *  - a bounded inner loop (D + 2 rounds) throws instead of spinning forever.
 * The path points z_s at the start of every outer step (plus the end point x) and the gradients
 * taken there are returned, so IDGI can reuse them (`gig-idgi`).
 */
import { checkInput, explained, type RefModel, type TargetOptions } from './model.js';
import { pointOnLine } from './paths.js';
import { l1Distance, sum } from './vec.js';

export interface GuidedIgOptions extends TargetOptions {
  /** Outer steps (PAIR default 200). */
  steps?: number;
  /** Fraction of features with the smallest |g| moved per inner round (default 0.25). */
  fraction?: number;
  /** Max deviation from the straight line in α units (default 0.02; 0 = IG, 1 = unbounded). */
  maxDist?: number;
  /** Selection score of a feature from g_i, x_i, z_i, x'_i (default |g_i|; +∞ at the upper bound). */
  score?: (g: number, x: number, z: number, b: number) => number;
}

export interface GuidedIgResult {
  attribution: Float64Array;
  fx: number;
  fBaseline: number;
  sum: number;
  delta: number;
  gradientEvaluations: number;
  /** z_0 = x', z_1 … z_{m−1} (starts of the outer steps), z_m = x: m + 1 points. */
  path: Float64Array[];
  /** ∇f(z_s), s = 0..m−1 (the gradient weighting all moves of step s). */
  pathGradients: Float64Array[];
  /** Inner-loop rounds per outer step (the GPU runs a bounded number of rounds). */
  innerRounds: number[];
}

const EPSILON = 1e-9;

/** Python's math.isclose(a, b, rel_tol=ε, abs_tol=ε). */
function isClose(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(EPSILON * Math.max(Math.abs(a), Math.abs(b)), EPSILON);
}

/** numpy.quantile(v, q, method='lower'): the element at sorted index ⌊q·(n − 1)⌋ (+∞ sorts last). */
export function quantileLower(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

export function guidedIntegratedGradients(
  model: RefModel,
  x: Float64Array,
  baseline: Float64Array,
  opts: GuidedIgOptions,
): GuidedIgResult {
  checkInput(model, x, 'guidedIG x');
  checkInput(model, baseline, 'guidedIG baseline');
  const output = opts.output ?? 'logit';
  const steps = opts.steps ?? 200;
  const fraction = opts.fraction ?? 0.25;
  const maxDist = opts.maxDist ?? 0.02;
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`guidedIG: steps must be a positive integer, got ${steps}`);
  const n = x.length;
  const fx = explained(model, x, opts.target, output);
  const fBaseline = explained(model, baseline, opts.target, output);
  const attribution = new Float64Array(n);
  const l1Total = l1Distance(x, baseline);
  const result = (path: Float64Array[], pathGradients: Float64Array[], innerRounds: number[]): GuidedIgResult => {
    const total = sum(attribution);
    return {
      attribution,
      fx,
      fBaseline,
      sum: total,
      delta: total - (fx - fBaseline),
      gradientEvaluations: pathGradients.length,
      path,
      pathGradients,
      innerRounds,
    };
  };
  if (l1Total === 0) return result([Float64Array.from(x)], [], []);

  const z = Float64Array.from(baseline);
  const path: Float64Array[] = [];
  const pathGradients: Float64Array[] = [];
  const innerRounds: number[] = [];
  const credit = (zOld: Float64Array, g: Float64Array) => {
    for (let i = 0; i < n; i++) attribution[i]! += (z[i]! - zOld[i]!) * g[i]!;
  };

  for (let s = 0; s < steps; s++) {
    path.push(Float64Array.from(z));
    const gActual = model.grad(z, opts.target, output);
    pathGradients.push(gActual);
    const alpha = (s + 1) / steps;
    const alphaLo = Math.max(alpha - maxDist, 0);
    const alphaHi = Math.min(alpha + maxDist, 1);
    const zLo = pointOnLine(baseline, x, alphaLo);
    const zHi = pointOnLine(baseline, x, alphaHi);
    const l1Target = l1Total * (1 - alpha);
    let rounds = 0;
    let gamma = Infinity;
    while (gamma > 1) {
      if (++rounds > n + 2) throw new Error(`guidedIG: inner loop did not converge at step ${s}`);
      const zOld = Float64Array.from(z);
      // Laggards (α_i < α_lo) jump to the lower band end; x_i = x'_i counts as α_hi (never a laggard).
      for (let i = 0; i < n; i++) {
        const d = x[i]! - baseline[i]!;
        const a = d !== 0 ? (z[i]! - baseline[i]!) / d : alphaHi;
        if (a < alphaLo) z[i] = zLo[i]!;
      }
      const l1Current = l1Distance(z, x);
      if (isClose(l1Target, l1Current)) {
        credit(zOld, gActual);
        break;
      }
      // Features at the upper band end are excluded (score +∞) for the rest of this outer step.
      const scoreOf = opts.score ?? ((g: number) => Math.abs(g));
      const score = gActual.map((g, i) => (z[i] === zHi[i] ? Infinity : scoreOf(g, x[i]!, z[i]!, baseline[i]!)));
      const threshold = quantileLower(score, fraction);
      let l1Selected = 0;
      const selected = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (score[i]! <= threshold && score[i] !== Infinity) {
          selected[i] = 1;
          l1Selected += Math.abs(z[i]! - zHi[i]!);
        }
      }
      gamma = l1Selected > 0 ? (l1Current - l1Target) / l1Selected : Infinity;
      if (!(gamma > 0)) throw new Error(`guidedIG: non-positive move γ = ${gamma} at step ${s}`);
      for (let i = 0; i < n; i++) {
        if (!selected[i]) continue;
        z[i] = gamma >= 1 ? zHi[i]! : z[i]! + gamma * (zHi[i]! - z[i]!);
      }
      credit(zOld, gActual);
    }
    innerRounds.push(rounds);
  }
  // Close the ≤ 1e-9 L1 gap the tolerance allows, so the path ends exactly at x.
  const zOld = Float64Array.from(z);
  z.set(x);
  credit(zOld, pathGradients[steps - 1]!);
  path.push(Float64Array.from(x));
  return result(path, pathGradients, innerRounds);
}
