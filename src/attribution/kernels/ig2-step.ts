/**
 * IG2's GradPath kernels (shaders/attribution/ig2_step.wgsl), for P = N·R (image, reference) pairs,
 * each present twice in the model batch [z; z]: rows [0, P) carry ∇f, rows [P, 2P) the
 * representation-distance gradient. `startIg2Paths` fills the batch with the images; per step
 * two dispatches: `ig2RepresentationSeed` (seed at the representation node and its row norms, the
 * distances), `ig2Step` (the GPU-side early stop: per-pair done flags, then the step normalised by
 * the pair's ‖G‖, clip, attribution segment, one workgroup per pair). `ig2Finish` averages over
 * the references. Nothing reads back.
 */
import source from '../../../shaders/attribution/ig2_step.wgsl';
import { uniformBytes } from '../../gpu/program.js';
import { fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { ROW_WGSL } from '../adaptive/index.js';

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
const rowSource = ROW_WGSL + source;

/** One launch of `mode` on `rows` rows; `c` gives the sizes and settings it reads (the paths, or just pairs and refs). */
function run(
  engine: Tensor['engine'],
  mode: Mode,
  c: Pick<Ig2Paths, 'pairs' | 'refs'> & Partial<Ig2Paths>,
  bindings: Record<string, Tensor>,
  rows: number,
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
    source: rowSource,
    params: {
      START: mode === 'START',
      SEED: mode === 'SEED',
      DECIDE: mode === 'DECIDE' || mode === 'MOVE',
      MOVE: mode === 'MOVE',
    },
    bindings: { c: u, ...bindings },
    grid: engine.grid1d(rows, 1),
  });
}

/** Start the paths of x's N images toward their R references each (P = N·R pairs) at the images. */
export function startIg2Paths(x: Tensor, settings: Ig2Settings, refs: number): Ig2Paths {
  const engine = x.engine;
  const pairs = x.shape[0]! * settings.r;
  const features = x.size / x.shape[0]!;
  const batch = Tensor.empty(engine, [2 * pairs, ...x.shape.slice(1)], 'ig2 points');
  const paths = { settings, pairs, refs, features, batch, state: Tensor.zeros(engine, [pairs, 8], 'ig2 state') };
  run(engine, 'START', paths, { x, batch }, 2 * pairs);
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
 * row P + p (reference r = p mod R), and its squared row norms `distance` [2P] (the distance at
 * rows ≥ P is d/4 of it). rep: [2P, ...], repRef: [R, ...]. Caller disposes both.
 */
export function ig2RepresentationSeed(
  c: { pairs: number; references: number },
  rep: Tensor,
  repRef: Tensor,
): { seed: Tensor; distance: Tensor } {
  const dr = repRef.size / c.references;
  if (repRef.shape[0] !== c.references || rep.size !== 2 * c.pairs * dr)
    fail(
      `ig2: representation ${shapeStr(rep.shape)} and reference representation ${shapeStr(repRef.shape)} do not fit ${c.pairs} pairs × 2 rows, ${c.references} references`,
    );
  const seed = Tensor.empty(rep.engine, rep.shape, 'ig2 representation seed');
  const distance = Tensor.empty(rep.engine, [2 * c.pairs], 'ig2 distances');
  run(rep.engine, 'SEED', { pairs: c.pairs, refs: c.references }, { rep, repRef, seed, distance }, 2 * c.pairs, { dr });
  return { seed, distance };
}

/**
 * After the evaluation at z_j (j = 0..steps): the distance (`distance` [2P], rows ≥ P, times
 * `distanceScale`) and f(z_j) (`f` [2P], rows < P used) update the early stop; with `grad` [2P, ...]
 * = [∇f; G] from the backward at z_j (every step but the last point), the same dispatch then moves
 * the batch in place.
 */
export function ig2Step(
  paths: Ig2Paths,
  f: Tensor,
  distance: Tensor,
  distanceScale: number,
  j: number,
  grad?: Tensor,
): void {
  const { pairs: p, features } = paths;
  if (f.size !== 2 * p || distance.size !== 2 * p)
    fail(`ig2Step: values ${shapeStr(f.shape)} or distances ${shapeStr(distance.shape)} are not 2 × ${p} rows`);
  if (grad && grad.size !== 2 * p * features)
    fail(`ig2Step: gradients ${shapeStr(grad.shape)} are not 2 × ${p} rows of ${features} features`);
  const decide = { f, distance, state: paths.state };
  const move = grad && { grad, z: paths.batch, pending: paths.pending, committed: paths.committed };
  run(f.engine, grad ? 'MOVE' : 'DECIDE', paths, { ...decide, ...move }, p, { j, distScale: distanceScale });
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
    n,
  );
  return { attribution, fStart };
}
