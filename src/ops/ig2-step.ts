/**
 * IG2's GradPath kernels (shaders/ig2_step.wgsl), for P = N·R (image, reference) pairs, each present
 * twice in the model batch [z; z]: rows [0, P) carry ∇f, rows [P, 2P) the representation-distance
 * gradient. Per step: `ig2RepresentationSeed` (seed at the representation node), `ig2Decide` (the
 * GPU-side early stop), `ig2Move` (normalised step, clip, attribution segment). `ig2Finish` at the
 * end. Per-row norms reuse square + sumAxis. Nothing here reads back.
 */
import source from '../../shaders/ig2_step.wgsl';
import { renderShader, f32 } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor } from '../tensor/tensor.js';
import { square } from './arithmetic.js';
import { sumAxis } from './reduce.js';

const WG = 64;

export interface Ig2StepConfig {
  /** number of (image, reference) pairs */
  pairs: number;
  references: number;
  /** features per image */
  features: number;
  /** search steps: the path has steps + 1 points */
  steps: number;
  /** η, the L2 length of each step */
  stepSize: number;
  /** box constraint on the path, or null for none */
  clip: readonly [number, number] | null;
  earlyStop: { patience: number; relTol: number } | null;
}

/** The state of P GradPaths. `batch` [2P, C, H, W] is [z; z], the points to evaluate next. */
export interface Ig2Paths {
  config: Ig2StepConfig;
  batch: Tensor;
  /** per pair: best distance, stall count, stopped, f(GradCF), commit, move (stride 8) */
  state: Tensor;
  /** Σ of segments since the best point (dropped if the path stops early) */
  pending: Tensor;
  /** Σ of segments up to the best point [P, C, H, W] */
  committed: Tensor;
}

function shaderParams(c: Ig2StepConfig, mode: 'SEED' | 'DECIDE' | 'MOVE' | 'FINISH', repFeatures = 1, distanceScale = 1) {
  return {
    SEED: mode === 'SEED',
    DECIDE: mode === 'DECIDE',
    MOVE: mode === 'MOVE',
    WG,
    P: c.pairs,
    D: c.features,
    R: c.references,
    DR: repFeatures,
    SEED_SCALE: f32(-2 / repFeatures),
    DIST_SCALE: f32(distanceScale),
    STEPS: c.steps,
    EARLY_STOP: !!c.earlyStop,
    KEEP: f32(1 - (c.earlyStop?.relTol ?? 0)),
    PATIENCE: f32(c.earlyStop?.patience ?? 1),
    CLIP: !!c.clip,
    LO: f32(c.clip?.[0] ?? 0),
    HI: f32(c.clip?.[1] ?? 0),
    ETA: f32(c.stepSize),
  };
}

function configKey(c: Ig2StepConfig): string {
  return `${c.pairs},${c.references},${c.features},${c.steps},${c.stepSize},${c.clip?.join(':') ?? 'none'},${c.earlyStop ? `${c.earlyStop.patience}:${c.earlyStop.relTol}` : 'none'}`;
}

/** Start P paths at their images: `start` [P, C, H, W] (pair p = i·R + r holds x_i). */
export function startIg2Paths(start: Tensor, config: Ig2StepConfig): Ig2Paths {
  const { pairs, features } = config;
  if (start.shape[0] !== pairs || start.size !== pairs * features) fail(`ig2: start points ${shapeStr(start.shape)} are not ${pairs} pairs of ${features} features`);
  const engine = start.engine;
  const batch = Tensor.empty(engine, [2 * pairs, ...start.shape.slice(1)], 'ig2 points');
  engine.copy(start.buffer, 0, batch.buffer, 0, start.byteLength);
  engine.copy(start.buffer, 0, batch.buffer, start.byteLength, start.byteLength);
  return {
    config,
    batch,
    state: Tensor.zeros(engine, [pairs, 8], 'ig2 state'),
    pending: Tensor.zeros(engine, start.shape, 'ig2 pending'),
    committed: Tensor.zeros(engine, start.shape, 'ig2 attribution'),
  };
}

export function disposeIg2Paths(paths: Ig2Paths): void {
  for (const t of [paths.batch, paths.state, paths.pending, paths.committed]) t.dispose();
}

/** Σ_d t[b, d]² per row: [rows]. */
export function rowSquaredNorms(t: Tensor, rows: number): Tensor {
  const sq = square(t);
  const matrix = sq.reshape([rows, t.size / rows]);
  const norms = sumAxis(matrix, 1);
  matrix.dispose();
  sq.dispose();
  return norms;
}

/**
 * Seed at the representation node for the batch [z; z]: zero for rows < P, −2(rep − rep(r))/d for
 * row P + p (reference r = p mod R). rep: [2P, ...], repRef: [R, ...]. Caller disposes.
 */
export function ig2RepresentationSeed(c: { pairs: number; references: number }, rep: Tensor, repRef: Tensor): Tensor {
  const dr = repRef.size / c.references;
  if (repRef.shape[0] !== c.references || rep.size !== 2 * c.pairs * dr) {
    fail(`ig2: representation ${shapeStr(rep.shape)} and reference representation ${shapeStr(repRef.shape)} do not fit ${c.pairs} pairs × 2 rows, ${c.references} references`);
  }
  const engine = rep.engine;
  const config: Ig2StepConfig = { pairs: c.pairs, references: c.references, features: 1, steps: 1, stepSize: 1, clip: null, earlyStop: null };
  const kernel = engine.kernel('ig2_seed', `${c.pairs},${c.references},${dr}`, () => renderShader(source, shaderParams(config, 'SEED', dr)));
  const seed = Tensor.empty(engine, rep.shape, 'ig2 representation seed');
  engine.dispatch(kernel, [rep.buffer, repRef.buffer, seed.buffer], engine.grid1d(rep.size, WG));
  return seed;
}

/**
 * After the forward at z_j (j = 0..steps): the distance (`distance` [2P], rows ≥ P, times
 * `distanceScale`) and f(z_j) (`f` [2P], rows < P used) update the early stop.
 */
export function ig2Decide(paths: Ig2Paths, f: Tensor, distance: Tensor, distanceScale: number, j: number): void {
  const c = paths.config;
  if (f.size !== 2 * c.pairs || distance.size !== 2 * c.pairs) fail(`ig2Decide: values ${shapeStr(f.shape)} or distances ${shapeStr(distance.shape)} are not 2 × ${c.pairs} rows`);
  const engine = f.engine;
  const kernel = engine.kernel('ig2_decide', `${configKey(c)},${distanceScale}`, () => renderShader(source, shaderParams(c, 'DECIDE', 1, distanceScale)));
  const step = engine.uniform(new Uint32Array([j, 0, 0, 0]));
  engine.dispatch(kernel, [f.buffer, distance.buffer, paths.state.buffer, step], engine.grid1d(c.pairs, WG));
}

/** One step from z_j: grad [2P, ...] = [∇f; G] from the backward of the batch. Updates the batch in place. */
export function ig2Move(paths: Ig2Paths, grad: Tensor): void {
  const c = paths.config;
  if (grad.size !== 2 * c.pairs * c.features) fail(`ig2Move: gradients ${shapeStr(grad.shape)} are not 2 × ${c.pairs} rows of ${c.features} features`);
  const engine = grad.engine;
  const gradSq = rowSquaredNorms(grad, 2 * c.pairs);
  const kernel = engine.kernel('ig2_move', configKey(c), () => renderShader(source, shaderParams(c, 'MOVE')));
  engine.dispatch(
    kernel,
    [paths.state.buffer, grad.buffer, gradSq.buffer, paths.batch.buffer, paths.pending.buffer, paths.committed.buffer],
    engine.grid1d(c.pairs * c.features, WG),
  );
  gradSq.dispose();
}

/** Close the paths: per-pair attribution (in `committed`) and f(GradCF) [P] (returned; caller disposes). */
export function ig2Finish(paths: Ig2Paths): Tensor {
  const c = paths.config;
  const engine = paths.batch.engine;
  const fEnd = Tensor.empty(engine, [c.pairs], 'ig2 f(GradCF)');
  const kernel = engine.kernel('ig2_finish', configKey(c), () => renderShader(source, shaderParams(c, 'FINISH')));
  engine.dispatch(kernel, [paths.state.buffer, paths.pending.buffer, paths.committed.buffer, fEnd.buffer], engine.grid1d(c.pairs * c.features, WG));
  return fEnd;
}
