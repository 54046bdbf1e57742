/**
 * IG2 (Zhuo & Ge, TPAMI 2024), batched across images × references, all on the GPU
 * (METHODS.md "IG2", float64 reference test/reference/methods/ig2.ts).
 *
 * Rows are (image i, reference r) pairs p = i·R + r. Each step runs ONE recorded forward of the
 * batch [z; z] (2P rows) and ONE backward seeded at two nodes: the logits for rows < P (∇f) and
 * the representation node for rows ≥ P (G = ∇_z(−‖rep(z) − rep(r)‖²/d)). Two forwards of P rows
 * would do the same arithmetic with twice the dispatches, kernels and tapes; duplicating the rows
 * halves the per-step dispatch count, which dominates for small batches.
 *
 * Options (`methodOptions`):
 *  - references: Float32Array of R images [R, C, H, W] shared by all images (required), or, with
 *    referencesPerImage: R, N·R images (image i's R references at rows i·R … i·R + R − 1; e.g. the
 *    "relevant references" of ig2-references.ts, picked per image);
 *  - stepSize η (default 1.0: the authors' 256 on 0–255 images, rescaled to [0, 1] inputs);
 *  - clip [lo, hi] (default [0, 1]; null = unbounded);
 *  - earlyStop { patience, relTol? = 1e-4 } (default off): stop once `patience` steps fail to lower
 *    the best distance by the relative relTol; the path is cut back to its best point (GradCF).
 * The stop is decided on the GPU (per-pair flags; stopped paths stay put), so no readback.
 * Returns fStart = mean_r f(GradCF_r) per image, so explain() reports Σ attr vs f(x) − fStart.
 */
import { checkPositiveInt, fail } from '../gpu/errors.js';
import type { Model } from '../nn/model.js';
import { Tensor } from '../tensor/tensor.js';
import { concatBatch, sliceBatch } from '../tensor/batch.js';
import { accumulateGradients } from '../ops/accumulate-gradients.js';
import { explainSeed } from '../ops/explain-seed.js';
import { straightPathPoints } from '../ops/path-points.js';
import {
  disposeIg2Paths,
  ig2Decide,
  ig2Finish,
  ig2Move,
  ig2RepresentationSeed,
  rowSquaredNorms,
  startIg2Paths,
  type Ig2StepConfig,
} from '../ops/ig2-step.js';
import type { ExplainContext } from './context.js';
import { registerMethod, type MethodOptions, type MethodResult } from './methods.js';

export interface Ig2Options {
  steps: number;
  references: Float32Array;
  referencesPerImage?: number;
  stepSize?: number;
  clip?: readonly [number, number] | null;
  earlyStop?: { patience: number; relTol?: number };
}

interface Ig2Settings {
  steps: number;
  references: Float32Array;
  /** references per image; `perImage`: the references are N·R rows, R per image */
  r: number;
  perImage: boolean;
  stepSize: number;
  clip: readonly [number, number] | null;
  earlyStop: { patience: number; relTol: number } | null;
}

function readOptions(ctx: ExplainContext, o: MethodOptions): Ig2Settings {
  checkPositiveInt('ig2', 'steps', o.steps);
  const features = ctx.x.size / ctx.x.shape[0]!;
  const refs = o['references'];
  if (!(refs instanceof Float32Array)) fail('ig2: methodOptions.references must be a Float32Array of R reference images [R, C, H, W]');
  if (refs.length === 0 || refs.length % features !== 0) fail(`ig2: references hold ${refs.length} values, not a whole number of images of ${features} features`);
  if (!refs.every(Number.isFinite)) fail('ig2: references contain NaN or Infinity');
  const images = refs.length / features;
  const perImage = o['referencesPerImage'] !== undefined;
  const r = perImage ? (o['referencesPerImage'] as number) : images;
  if (perImage) {
    checkPositiveInt('ig2', 'referencesPerImage', r);
    const n = ctx.x.shape[0]!;
    if (images !== n * r) fail(`ig2: ${images} reference images are not ${r} per image for ${n} images`);
  }
  const stepSize = o['stepSize'] ?? 1.0;
  if (typeof stepSize !== 'number' || !(stepSize > 0 && Number.isFinite(stepSize))) fail(`ig2: stepSize must be a positive number, got ${String(stepSize)}`);
  const clip = o['clip'] === undefined ? ([0, 1] as const) : o['clip'];
  if (clip !== null) {
    const ok = Array.isArray(clip) && clip.length === 2 && clip.every((v) => typeof v === 'number' && Number.isFinite(v)) && clip[0] < clip[1];
    if (!ok) fail(`ig2: clip must be [lo, hi] with finite lo < hi, or null, got ${JSON.stringify(clip)}`);
  }
  const es = o['earlyStop'] as Ig2Options['earlyStop'] | undefined;
  let earlyStop: Ig2Settings['earlyStop'] = null;
  if (es !== undefined) {
    if (typeof es !== 'object' || es === null) fail('ig2: earlyStop must be { patience, relTol? }');
    checkPositiveInt('ig2', 'earlyStop.patience', es.patience);
    const relTol = es.relTol ?? 1e-4;
    if (typeof relTol !== 'number' || !(relTol >= 0 && relTol < 1)) fail(`ig2: earlyStop.relTol must be in [0, 1), got ${String(relTol)}`);
    earlyStop = { patience: es.patience, relTol };
  }
  return { steps: o.steps, references: refs, r, perImage, stepSize, clip: clip as Ig2Settings['clip'], earlyStop };
}

function representationNode(model: Model): number {
  const k = model.info.representationNode;
  if (!Number.isInteger(k) || k < 1 || k >= model.nodes.length - 1) {
    fail(`ig2: model ${model.info.name} has representationNode ${k}; IG2 needs the input of the final linear layer (a node between the input and the logits)`);
  }
  return k;
}

/** A chunked tape (batch over the binding limit) hands out node outputs the caller owns. */
function tapeOwnsNodeOutputs(model: Model, rows: number): boolean {
  return rows <= model.maxBatchPerPass();
}

/** rep(r) for the R references [R, ...rep]: one forward at the start. */
function referenceRepresentations(model: Model, references: Tensor, k: number): Tensor {
  const tape = model.forward(references, { record: true });
  const rep = tape.nodeOutput(k);
  const mine = tapeOwnsNodeOutputs(model, references.shape[0]!) ? rep.reshape(rep.shape) : rep;
  tape.dispose();
  return mine;
}

/** GradPaths and attribution for n images (x [n, ...], targets [n]): per-image attribution and mean f(GradCF). */
function explainChunk(ctx: ExplainContext, x: Tensor, targets: Tensor, repRef: Tensor, s: Ig2Settings, k: number): { attribution: Tensor; fStart: Tensor } {
  const { engine, model } = ctx;
  const n = x.shape[0]!;
  const r = s.r;
  const pairs = n * r;
  const rows = 2 * pairs;
  // pair p = i·R + r reads reference row p mod (rows of repRef): R shared rows, or n·R per-image rows
  const config: Ig2StepConfig = { pairs, references: repRef.shape[0]!, features: x.size / n, steps: s.steps, stepSize: s.stepSize, clip: s.clip, earlyStop: s.earlyStop };
  const start = straightPathPoints(x, x, new Float64Array(r).fill(1));
  const paths = startIg2Paths(start, config);
  start.dispose();
  // Rows ≥ P are "images" n..2n−1 for the seed kernel: the same targets again (their logit seed is cleared).
  const targets2 = concatBatch([targets, targets]);
  const last = model.nodes.length - 1;
  const repFeatures = repRef.size / repRef.shape[0]!;
  try {
    for (let j = 0; j <= s.steps; j++) {
      const tape = model.forward(paths.batch, { record: true });
      const { seed, f } = explainSeed(tape.output, targets2, r, ctx.output);
      const rep = tape.nodeOutput(k);
      const repSeed = ig2RepresentationSeed(paths, rep, repRef);
      if (!tapeOwnsNodeOutputs(model, rows)) rep.dispose();
      const seedSq = rowSquaredNorms(repSeed, rows);
      ig2Decide(paths, f, seedSq, repFeatures, j);
      seedSq.dispose();
      f.dispose();
      if (j < s.steps) {
        // ∇f only for rows < P: the rows ≥ P backpropagate the representation seed alone.
        const k2 = seed.size / rows;
        engine.clear(seed.buffer, pairs * k2 * 4, pairs * k2 * 4);
        const { dx } = tape.backward(new Map([[last, seed], [k, repSeed]]));
        ig2Move(paths, dx);
        dx.dispose();
        ctx.stats.gradientEvaluations += rows;
      } else {
        // The last point needs only f and the distance (early stop); no backward.
        ctx.stats.forwardEvaluations += rows;
      }
      seed.dispose();
      repSeed.dispose();
      tape.dispose();
    }
    const fEnd = ig2Finish(paths);
    const weights = new Float64Array(r).fill(1 / r);
    const attribution = Tensor.zeros(engine, x.shape, 'attribution');
    accumulateGradients(attribution, paths.committed, weights);
    const fStart = Tensor.zeros(engine, [n], 'ig2 mean f(GradCF)');
    accumulateGradients(fStart, fEnd, weights);
    fEnd.dispose();
    return { attribution, fStart };
  } finally {
    targets2.dispose();
    disposeIg2Paths(paths);
  }
}

export function ig2(ctx: ExplainContext, o: MethodOptions): MethodResult {
  const s = readOptions(ctx, o);
  const k = representationNode(ctx.model);
  const features = ctx.x.size / ctx.x.shape[0]!;
  const refRows = s.references.length / features;
  const references = Tensor.from(ctx.engine, s.references, [refRows, ...ctx.x.shape.slice(1)], { label: 'ig2 references' });
  const repRef = referenceRepresentations(ctx.model, references, k);
  references.dispose();
  ctx.stats.forwardEvaluations += refRows;
  const r = s.r;
  try {
    const n = ctx.x.shape[0]!;
    // Each image takes 2R rows per forward+backward; bound the chunk by the memory budget.
    const perChunk = Math.max(1, Math.floor(ctx.maxRows / (2 * r)));
    if (perChunk >= n) return explainChunk(ctx, ctx.x, ctx.targets, repRef, s, k);
    const attrs: Tensor[] = [];
    const starts: Tensor[] = [];
    try {
      for (let i0 = 0; i0 < n; i0 += perChunk) {
        const count = Math.min(perChunk, n - i0);
        const x = sliceBatch(ctx.x, i0, count);
        const t = sliceBatch(ctx.targets, i0, count);
        const refs = s.perImage ? sliceBatch(repRef, i0 * r, count * r) : repRef;
        const part = explainChunk(ctx, x, t, refs, s, k);
        x.dispose();
        t.dispose();
        if (refs !== repRef) refs.dispose();
        attrs.push(part.attribution);
        starts.push(part.fStart);
      }
      return { attribution: concatBatch(attrs), fStart: concatBatch(starts) };
    } finally {
      for (const t of [...attrs, ...starts]) t.dispose();
    }
  } finally {
    repRef.dispose();
  }
}

registerMethod('ig2', {
  run: ig2,
  defaultSteps: 201,
  complete: true,
  description: 'IG2 (Zhuo & Ge 2024): GradPath toward counterfactuals of given references, averaged over references',
});
