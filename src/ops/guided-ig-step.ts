/**
 * Guided IG's path stepping on the GPU, all images at once (Kapishnikov et al. 2021, METHODS.md).
 * One outer step = BEGIN, then a fixed number of inner rounds, each
 *   PUSH (laggards → z_lo, scores) → CURRENT (L_cur, done?) → k-th smallest score (the `fraction`
 *   quantile) → SELECTED (L_S, γ) → MOVE (selected features by γ),
 * every kernel a no-op for images whose GPU-side `done` flag is set. The data-dependent loop thus
 * needs no CPU round trip: everything is recorded, nothing is read back.
 *
 * Per-image state, STATE floats: [L = Σ|x − x'|, L_target, L_cur, done, γ, unused…].
 */
import selectSource from '../../shaders/gig_select.wgsl';
import reduceSource from '../../shaders/gig_reduce.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { kthSmallest } from './kth-smallest.js';

const FEATURE_WG = 64;
const REDUCE_WG = 64;
const STATE = 8;
const DONE = 3;
/** |L_cur − L_target| ≤ CLOSE_TOL · L counts as "at the target" (float32 sums; the reference uses 1e-9). */
const CLOSE_TOL = '1e-6';

/** The evolving Guided IG path of N images: point z, attribution, and per-image decisions. */
export interface GuidedIgPath {
  readonly x: Tensor;
  readonly baseline: Tensor;
  /** current point z [N, ...] (starts at the baseline) */
  readonly z: Tensor;
  /** Σ (z_new − z_old) ⊙ g over every move so far [N, ...] */
  readonly attribution: Tensor;
  /** upper band end of the current step */
  readonly zHi: Tensor;
  /** selection score |g|, +∞ for features at z_hi [N, D] */
  readonly score: Tensor;
  /** per image: the `fraction` quantile of the scores */
  readonly threshold: Tensor;
  readonly state: Tensor;
  readonly images: number;
  readonly features: number;
}

export interface GuidedIgStepOptions {
  /** α = s/m of this step */
  alpha: number;
  /** maximum deviation from the straight line, in α units */
  maxDist: number;
  /** fraction of features (by smallest |g|) moved per round */
  fraction: number;
  /** inner rounds recorded for this step (the loop is data-dependent; later rounds are no-ops) */
  rounds: number;
}

/** Start a path at the baseline: z = x', attribution = 0, L = Σ|x − x'| per image. */
export function startGuidedIgPath(x: Tensor, baseline: Tensor): GuidedIgPath {
  if (x.size !== baseline.size || x.shape[0] !== baseline.shape[0] || x.rank < 2) {
    fail(`guidedIg: input ${shapeStr(x.shape)} and baseline ${shapeStr(baseline.shape)} must be [N, ...] of the same shape`);
  }
  const engine = x.engine;
  const images = x.shape[0]!;
  const features = x.size / images;
  const z = Tensor.empty(engine, x.shape, 'gig point');
  engine.copy(baseline.buffer, 0, z.buffer, 0, baseline.byteLength);
  const path: GuidedIgPath = {
    x,
    baseline,
    z,
    attribution: Tensor.zeros(engine, x.shape, 'attribution'),
    zHi: Tensor.empty(engine, x.shape, 'gig z_hi'),
    score: Tensor.empty(engine, [images, features], 'gig scores'),
    threshold: Tensor.zeros(engine, [images], 'gig threshold'),
    state: Tensor.empty(engine, [images, STATE], 'gig state'),
    images,
    features,
  };
  reduce(path, 'TOTAL', [x, baseline, path.state]);
  return path;
}

/** The quantile index of numpy's quantile(v, fraction, method='lower'): ⌊fraction·(D − 1)⌋. */
export function quantileIndex(fraction: number, features: number): number {
  return Math.floor(fraction * (features - 1));
}

/**
 * Inner rounds that always suffice while α < 1 or the target is reachable: every round with γ > 1
 * moves at least k + 1 features fully to z_hi (excluding them), so after ⌈D / (k + 1)⌉ such rounds
 * nothing is left, and the next round ends the step; +2 for that round and the laggard push.
 */
export function sufficientRounds(fraction: number, features: number): number {
  return Math.ceil(features / (quantileIndex(fraction, features) + 1)) + 2;
}

/** Record one outer step given g = ∇f(z) [N, ...] at its start. */
export function guidedIgStep(path: GuidedIgPath, grad: Tensor, o: GuidedIgStepOptions): void {
  if (grad.size !== path.x.size) fail(`guidedIgStep: gradient ${shapeStr(grad.shape)} does not match the input ${shapeStr(path.x.shape)}`);
  if (!(o.alpha > 0 && o.alpha <= 1)) fail(`guidedIgStep: alpha must be in (0, 1], got ${o.alpha}`);
  if (!Number.isInteger(o.rounds) || o.rounds < 1) fail(`guidedIgStep: rounds must be a positive integer, got ${o.rounds}`);
  const engine = path.x.engine;
  const band = engine.uniform(new Float32Array([o.alpha, Math.max(o.alpha - o.maxDist, 0), Math.min(o.alpha + o.maxDist, 1), 0]));
  const { x, baseline, z, zHi, attribution, score, threshold, state } = path;
  perFeature(path, 'BEGIN', [x, baseline, zHi, state], band);
  const k = quantileIndex(o.fraction, path.features);
  for (let r = 0; r < o.rounds; r++) {
    perFeature(path, 'PUSH', [x, baseline, z, zHi, grad, attribution, score, state], band);
    reduce(path, 'CURRENT', [x, z, state]);
    kthSmallest(score, k, { out: threshold, skip: { flags: state, stride: STATE, offset: DONE } });
    reduce(path, 'SELECTED', [z, zHi, score, threshold, state]);
    perFeature(path, 'MOVE', [z, zHi, grad, attribution, score, threshold, state]);
  }
}

/** Close the path: z := x, crediting the last step's gradient, so the path ends exactly at x. */
export function finishGuidedIgPath(path: GuidedIgPath, lastGrad: Tensor): void {
  if (lastGrad.size !== path.x.size) fail(`guidedIg: gradient ${shapeStr(lastGrad.shape)} does not match the input ${shapeStr(path.x.shape)}`);
  perFeature(path, 'SNAP', [path.x, path.z, lastGrad, path.attribution]);
}

/** Free everything but the attribution (returned to the caller) and the caller's x / baseline. */
export function disposeGuidedIgPath(path: GuidedIgPath, keepAttribution = true): void {
  for (const t of [path.z, path.zHi, path.score, path.threshold, path.state]) t.dispose();
  if (!keepAttribution) path.attribution.dispose();
}

type FeatureKernel = 'BEGIN' | 'PUSH' | 'MOVE' | 'SNAP';
type ReduceKernel = 'TOTAL' | 'CURRENT' | 'SELECTED';

function perFeature(path: GuidedIgPath, kind: FeatureKernel, tensors: Tensor[], uniform?: GPUBuffer): void {
  const engine = path.x.engine;
  const total = path.images * path.features;
  const kernel = engine.kernel(`gig_${kind.toLowerCase()}`, `${path.images},${path.features}`, () =>
    renderShader(selectSource, { BEGIN: kind === 'BEGIN', PUSH: kind === 'PUSH', MOVE: kind === 'MOVE', WG: FEATURE_WG, TOTAL: total, D: path.features, STATE }),
  );
  const bindings: GPUBuffer[] = tensors.map((t) => t.buffer);
  if (uniform) bindings.push(uniform);
  engine.dispatch(kernel, bindings, engine.grid1d(total, FEATURE_WG));
}

function reduce(path: GuidedIgPath, kind: ReduceKernel, tensors: Tensor[]): void {
  const engine = path.x.engine;
  const kernel = engine.kernel(`gig_${kind.toLowerCase()}`, `${path.images},${path.features}`, () =>
    renderShader(reduceSource, { TOTAL: kind === 'TOTAL', CURRENT: kind === 'CURRENT', SELECTED: kind === 'SELECTED', WG: REDUCE_WG, N: path.images, D: path.features, STATE, CLOSE_TOL }),
  );
  engine.dispatch(kernel, tensors.map((t) => t.buffer), engine.grid1d(path.images, 1));
}
