/**
 * IG2's GradPath kernels (shaders/attribution/ig2_step.wgsl), for P = N·R (image, reference) pairs,
 * each present twice in the model batch [z; z]: rows [0, P) carry ∇f, rows [P, 2P) the
 * representation-distance gradient. `startIg2Paths` fills the batch with the images; per step: `ig2RepresentationSeed` (seed at the representation
 * node), `ig2Decide` (the GPU-side early stop: per-pair done flags), `ig2Move` (normalised step by
 * the public row norms, clip, attribution segment). `ig2Finish` averages over the references.
 * Nothing reads back.
 */
import source from '../../../shaders/attribution/ig2_step.wgsl';
import { uniformBytes } from '../../gpu/program.js';
import { fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { rowSquaredNorms } from '../adaptive/index.js';

/** IG2's options, validated (ig2.ts reads them from methodOptions). */
export interface Ig2Settings {
  steps: number;
  /** R inputs shared by all images, or N·R (R per image) when `perImage` */
  references: Float32Array;
  /** references per image */
  r: number;
  perImage: boolean;
  /** η, the L2 length of each step */
  stepSize: number;
  /** box constraint on the path, or null for none */
  clip: readonly [number, number] | null;
  earlyStop: { patience: number; relTol: number } | null;
}

/** The state of P GradPaths. `batch` [2P, ...] is [z; z], the points to evaluate next. */
export interface Ig2Paths {
  settings: Ig2Settings;
  pairs: number;
  /** rows of the reference tensor: pair p reads row p mod refs */
  refs: number;
  features: number;
  batch: Tensor;
  /** per pair: best distance, stall count, stopped, f(GradCF), commit, move, non-finite flag (stride 8) */
  state: Tensor;
  /** Σ of segments since the best point (dropped if the path stops early) */
  pending: Tensor;
  /** Σ of segments up to the best point [P, ...] */
  committed: Tensor;
}

type Mode = 'START' | 'SEED' | 'DECIDE' | 'MOVE' | 'FINISH';

/** One launch of `mode`; `c` gives the sizes and settings it reads (the paths, or just pairs and refs). */
function run(
  engine: Tensor['engine'],
  mode: Mode,
  c: Pick<Ig2Paths, 'pairs' | 'refs'> & Partial<Ig2Paths>,
  bindings: Record<string, Tensor>,
  threads: number,
  extra: { j?: number; dr?: number; distScale?: number } = {},
): void {
  const s = c.settings;
  const u = uniformBytes([
    ...[
      c.pairs,
      c.features ?? 1,
      c.refs,
      extra.dr ?? 1,
      s?.steps ?? 1,
      extra.j ?? 0,
      s?.earlyStop ? 1 : 0,
      s?.clip ? 1 : 0,
    ].map((v) => ['u32', v] as const),
    ...[
      s?.earlyStop?.patience ?? 1,
      1 - (s?.earlyStop?.relTol ?? 0),
      s?.clip?.[0] ?? 0,
      s?.clip?.[1] ?? 0,
      s?.stepSize ?? 1,
      extra.distScale ?? 1,
    ].map((v) => ['f32', v] as const),
    ['u32', s?.r ?? 1],
  ]);
  engine.run({
    op: `ig2_${mode.toLowerCase()}`,
    source,
    params: { START: mode === 'START', SEED: mode === 'SEED', DECIDE: mode === 'DECIDE', MOVE: mode === 'MOVE' },
    bindings: { c: u, ...bindings },
    grid: { threads },
  });
}

/** Start the paths of x's N images toward their R references each (P = N·R pairs) at the images. */
export function startIg2Paths(x: Tensor, settings: Ig2Settings, refs: number): Ig2Paths {
  const engine = x.engine;
  const pairs = x.shape[0]! * settings.r;
  const features = x.size / x.shape[0]!;
  const batch = Tensor.empty(engine, [2 * pairs, ...x.shape.slice(1)], 'ig2 points');
  const paths = { settings, pairs, refs, features, batch, state: Tensor.zeros(engine, [pairs, 8], 'ig2 state') };
  run(engine, 'START', paths, { x, batch }, batch.size);
  return {
    ...paths,
    pending: Tensor.zeros(engine, [pairs, features], 'ig2 pending'),
    committed: Tensor.zeros(engine, [pairs, features], 'ig2 committed'),
  };
}

export function disposeIg2Paths(paths: Ig2Paths): void {
  for (const t of [paths.batch, paths.state, paths.pending, paths.committed]) t.dispose();
}

/**
 * Seed at the representation node for the batch [z; z]: zero for rows < P, −2(rep − rep(r))/d for
 * row P + p (reference r = p mod R). rep: [2P, ...], repRef: [R, ...]. Caller disposes.
 */
export function ig2RepresentationSeed(c: { pairs: number; references: number }, rep: Tensor, repRef: Tensor): Tensor {
  const dr = repRef.size / c.references;
  if (repRef.shape[0] !== c.references || rep.size !== 2 * c.pairs * dr)
    fail(
      `ig2: representation ${shapeStr(rep.shape)} and reference representation ${shapeStr(repRef.shape)} do not fit ${c.pairs} pairs × 2 rows, ${c.references} references`,
    );
  const seed = Tensor.empty(rep.engine, rep.shape, 'ig2 representation seed');
  run(rep.engine, 'SEED', { pairs: c.pairs, refs: c.references }, { rep, repRef, seed }, rep.size, { dr });
  return seed;
}

/**
 * After the forward at z_j (j = 0..steps): the distance (`distance` [2P], rows ≥ P, times
 * `distanceScale`) and f(z_j) (`f` [2P], rows < P used) update the early stop.
 */
export function ig2Decide(paths: Ig2Paths, f: Tensor, distance: Tensor, distanceScale: number, j: number): void {
  const p = paths.pairs;
  if (f.size !== 2 * p || distance.size !== 2 * p)
    fail(`ig2Decide: values ${shapeStr(f.shape)} or distances ${shapeStr(distance.shape)} are not 2 × ${p} rows`);
  run(f.engine, 'DECIDE', paths, { f, seedSq: distance, state: paths.state }, p, { j, distScale: distanceScale });
}

/** One step from z_j: grad [2P, ...] = [∇f; G] from the backward of the batch. Updates the batch in place. */
export function ig2Move(paths: Ig2Paths, grad: Tensor): void {
  const { pairs, features } = paths;
  if (grad.size !== 2 * pairs * features)
    fail(`ig2Move: gradients ${shapeStr(grad.shape)} are not 2 × ${pairs} rows of ${features} features`);
  const gradSq = rowSquaredNorms(grad, 2 * pairs);
  run(
    grad.engine,
    'MOVE',
    paths,
    { state: paths.state, grad, gradSq, z: paths.batch, pending: paths.pending, committed: paths.committed },
    pairs * features,
  );
  gradSq.dispose();
}

/** Close the paths: per image, the mean over its references of the attribution and of f(GradCF) (caller disposes). */
export function ig2Finish(paths: Ig2Paths): { attribution: Tensor; fStart: Tensor } {
  const engine = paths.batch.engine;
  const n = paths.pairs / paths.settings.r;
  const attribution = Tensor.empty(engine, [n, ...paths.batch.shape.slice(1)], 'attribution');
  const fStart = Tensor.empty(engine, [n], 'ig2 mean f(GradCF)');
  run(
    engine,
    'FINISH',
    paths,
    { state: paths.state, pending: paths.pending, committed: paths.committed, attribution, fStart },
    n * paths.features,
  );
  return { attribution, fStart };
}
