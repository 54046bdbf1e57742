/**
 * IDGI (Yang et al. 2023) on any path x_0 (start) … x_m = x, ordered start → input.
 * Step j uses the gradient at its earlier point: attr += g_j ⊙ g_j / ‖g_j‖² · (f(x_{j+1}) − f(x_j)).
 * The authors' code divides by ‖g‖² unguarded (NaN on a zero gradient); here such a step is
 * skipped and its Δf reported as dropped, so Σ attr = f(x_m) − f(x_0) − droppedDelta exactly.
 */
import { explained, type RefModel, type TargetOptions } from './model.js';
import { sum } from './vec.js';

export interface IdgiAccumulation {
  attribution: Float64Array;
  sum: number;
  /** Σ of the Δf of skipped (zero-gradient) steps: the completeness lost. */
  droppedDelta: number;
  skippedSteps: number;
}

export interface IdgiResult extends IdgiAccumulation {
  fStart: number;
  fEnd: number;
  gradientEvaluations: number;
  forwardEvaluations: number;
}

/**
 * The fused step the GPU kernel performs, from evaluations alone.
 * `gradients[j]` = ∇f(x_j) for j = 0..m−1 (an extra gradient at x_m is ignored);
 * `values[j]` = f(x_j) for j = 0..m.
 */
export function idgiFromEvaluations(gradients: readonly Float64Array[], values: ArrayLike<number>): IdgiAccumulation {
  const m = values.length - 1;
  if (m < 0 || gradients.length < m) {
    throw new Error(
      `idgi: need m + 1 values and ≥ m gradients, got ${values.length} values, ${gradients.length} gradients`,
    );
  }
  const d = m > 0 ? gradients[0]!.length : 0;
  const attribution = new Float64Array(d);
  let droppedDelta = 0;
  let skippedSteps = 0;
  for (let j = 0; j < m; j++) {
    const g = gradients[j]!;
    const df = values[j + 1]! - values[j]!;
    let norm2 = 0;
    for (let i = 0; i < g.length; i++) norm2 += g[i]! * g[i]!;
    if (!(norm2 > 0)) {
      droppedDelta += df;
      skippedSteps++;
      continue;
    }
    const s = df / norm2;
    for (let i = 0; i < g.length; i++) attribution[i]! += g[i]! * g[i]! * s;
  }
  return { attribution, sum: sum(attribution), droppedDelta, skippedSteps };
}

/** Evaluates f at all m + 1 points and ∇f at the first m, then accumulates. */
export function idgi(model: RefModel, points: readonly Float64Array[], opts: TargetOptions): IdgiResult {
  if (points.length < 1) throw new Error('idgi: the path needs at least one point');
  const output = opts.output ?? 'logit';
  const values = points.map((p) => explained(model, p, opts.target, output));
  const gradients = points.slice(0, -1).map((p) => model.grad(p, opts.target, output));
  return {
    ...idgiFromEvaluations(gradients, values),
    fStart: values[0]!,
    fEnd: values[values.length - 1]!,
    gradientEvaluations: gradients.length,
    forwardEvaluations: values.length,
  };
}
