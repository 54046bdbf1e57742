/**
 * A pathlight Model behind the method seam: f and ∇f from one recorded forward, the seed kernel
 * and one backward; IG2's distance from the representation node (the input of the final linear
 * layer), backpropagated together with ∇f in the same backward.
 */
import { fail } from '../errors.js';
import { inputRange, type Model } from '../nn/model.js';
import { preprocessPixels } from '../data/preprocess.js';
import type { Tensor } from '../tensor/tensor.js';
import { ReplayCache } from '../tensor/replay-cache.js';
import { concatBatch } from '../tensor/batch.js';
import { withViews } from '../nn/tensor-kinds.js';
import { argmaxRows, explainSeed } from './explain-seed.js';
import { ig2RepresentationSeed } from './ig2/step.js';
import { rowSquaredNorms } from './adaptive/index.js';
import type { Explainable, Ig2Request, Ig2Search } from './subject.js';

const subjects = new WeakMap<Model, Explainable>();

export function modelSubject(model: Model): Explainable {
  let s = subjects.get(model);
  if (!s) subjects.set(model, (s = createModelSubject(model)));
  return s;
}

function createModelSubject(model: Model): Explainable {
  const last = model.nodes[model.nodes.length - 1]!;
  // a last linear layer (on [B, F]) runs its backward inside the seed's kernel: backward starts at its input
  const fc = last.kind === 'linear' && !last.relu && model.outputShape.length === 1 ? last : null;
  const fcWeight = () => (fc ? model.params.get(fc.weight) : undefined);
  return {
    name: model.info.name,
    inputShape: model.info.inputShape,
    numClasses: model.info.numClasses,
    inputRange: inputRange(model.info),
    pixelsToInput: (pixels) => preprocessPixels(pixels, model.info),
    rowsForBudget: (budget) => rowsForBudget(model, budget),
    bytesPerRow: bytesPerRow(model),
    async gradients(points, r) {
      const run = ([p]: readonly Tensor[]) => {
        const tape = model.forward(p!, { record: true });
        const { seed, f } = explainSeed(tape.output, r.targets, r.pointsPerImage, r.output, fcWeight());
        const { dx } = tape.backward(fc ? new Map([[fc.input, seed]]) : seed);
        seed.dispose();
        tape.dispose();
        return [f, dx];
      };
      // recorded once per call and shape, replayed for every later chunk and step
      const key = `gradients ${points.shape} ${r.pointsPerImage} ${r.output} ${model.engine.pool.id(r.targets.buffer)}`;
      const [f, grad] = r.replays ? r.replays.run(key, [points], run) : run([points]);
      return { f: f!, grad: grad! };
    },
    values: async (points, r) => withViews([model.logits(points)], (logits) => {
      // the same seed kernel as gradients(): one pipeline fewer; its seed is not needed
      const { seed, f } = explainSeed(logits, r.targets, r.pointsPerImage, r.output, fcWeight());
      seed.dispose();
      return f;
    }),
    topClasses: async (x) => withViews([model.logits(x)], argmaxRows),
    ig2Search: async (request) => modelIg2Search(model, request),
  };
}

/**
 * Rows per forward+backward that fit a memory budget: a recorded tape keeps every activation, and
 * backward holds about two more of the largest at once, plus points, gradients and seeds, and a
 * replay's own copies of the points and gradients (its buffers are held for the whole call).
 * 0 when one row does not fit: explain() refuses.
 */
export function rowsForBudget(model: Model, budgetBytes: number): number {
  return Math.min(model.maxBatchPerPass(), Math.floor(budgetBytes / bytesPerRow(model)));
}

function bytesPerRow(model: Model): number {
  const sizes = model.nodeShapes.map((s) => s.reduce((a, b) => a * b, 1));
  return 4 * (sizes.reduce((a, b) => a + b, 0) + 2 * Math.max(...sizes) + 5 * sizes[0]!);
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

/**
 * Each step runs ONE recorded forward of the batch [z; z] (2P rows) and ONE backward seeded at
 * two nodes: the logits for rows < P (∇f) and the representation node for rows ≥ P
 * (G = ∇_z(−‖rep(z) − rep(r)‖²/d)). Two forwards of P rows would do the same arithmetic with
 * twice the dispatches; duplicating the rows halves the per-step dispatch count.
 */
function modelIg2Search(model: Model, q: Ig2Request): Ig2Search {
  const k = representationNode(model);
  const refTape = model.forward(q.references, { record: true });
  const rep0 = refTape.nodeOutput(k);
  const repRef = tapeOwnsNodeOutputs(model, q.references.shape[0]!) ? rep0.reshape(rep0.shape) : rep0;
  refTape.dispose();
  // Rows ≥ P are "images" n..2n−1 for the seed kernel: the same targets again (their logit seed is cleared).
  const targets2 = concatBatch([q.targets, q.targets]);
  const last = model.nodes.length - 1;
  const rows = 2 * q.pairs;
  const repFeatures = repRef.size / repRef.shape[0]!;
  const layout = { pairs: q.pairs, references: repRef.shape[0]! };
  const step = ([batch]: readonly Tensor[], withGradient: boolean): Tensor[] => {
    const tape = model.forward(batch!, { record: true });
    const { seed, f } = explainSeed(tape.output, targets2, q.referencesPerImage, q.output);
    const rep = tape.nodeOutput(k);
    const repSeed = ig2RepresentationSeed(layout, rep, repRef);
    if (!tapeOwnsNodeOutputs(model, rows)) rep.dispose();
    // ‖seed‖² = 4‖rep − rep(r)‖²/d²: the distance ‖rep − rep(r)‖²/d is d/4 of it
    const distance = rowSquaredNorms(repSeed, rows);
    const out = [f, distance];
    if (withGradient) {
      // ∇f only for rows < P: the rows ≥ P backpropagate the representation seed alone.
      const k2 = seed.size / rows;
      batch!.engine.clear(seed.buffer, q.pairs * k2 * 4, q.pairs * k2 * 4);
      out.push(tape.backward(new Map([[last, seed], [k, repSeed]])).dx);
    }
    seed.dispose();
    repSeed.dispose();
    tape.dispose();
    return out;
  };
  const replays = new ReplayCache(model.engine); // every step of the search has the same shape
  return {
    async step(batch: Tensor, withGradient: boolean) {
      const [f, distance, grad] = replays.run(`ig2 ${batch.shape} ${withGradient}`, [batch], (b) => step(b, withGradient));
      return { f: f!, distance: distance!, distanceScale: repFeatures / 4, grad };
    },
    dispose() {
      replays.dispose();
      repRef.dispose();
      targets2.dispose();
    },
  };
}
