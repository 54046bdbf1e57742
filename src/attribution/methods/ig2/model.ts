/**
 * How a pathlight Model answers IG2's `distance` key (seam.ts): from the representation node (the
 * input of the final linear layer), backpropagated together with ∇f in the same backward.
 */
import { fail } from '../../../errors.js';
import type { Model } from '../../../nn/model.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { ReplayCache } from '../../../tensor/replay-cache.js';
import { concatBatch } from '../../../tensor/batch.js';
import { explainSeed } from '../../kernels/explain-seed.js';
import { ig2RepresentationSeed } from '../../kernels/ig2-step.js';
import { answerModelKey } from '../../model-subject.js';
import type { EvaluationRequest } from '../../subject.js';
import type { Ig2Pairs } from './seam.js';

function representationNode(model: Model): number {
  const k = model.info.representationNode;
  if (!Number.isInteger(k) || k < 1 || k >= model.nodes.length - 1) {
    fail(
      `ig2: model ${model.info.name} has representationNode ${k}; IG2 needs the input of the final linear layer (a node between the input and the logits)`,
    );
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
function modelIg2Search(model: Model, q: Ig2Pairs, r: EvaluationRequest) {
  const k = representationNode(model);
  const refTape = model.forward(q.references, { record: true });
  const rep0 = refTape.nodeOutput(k);
  const repRef = tapeOwnsNodeOutputs(model, q.references.shape[0]!) ? rep0.reshape(rep0.shape) : rep0;
  refTape.dispose();
  // Rows ≥ P are "images" n..2n−1 for the seed kernel: the same targets again (their logit seed is cleared).
  const targets2 = concatBatch([r.targets, r.targets]);
  const last = model.nodes.length - 1;
  const rows = 2 * q.pairs;
  const repFeatures = repRef.size / repRef.shape[0]!;
  const layout = { pairs: q.pairs, references: repRef.shape[0]! };
  const step = ([batch]: readonly Tensor[], withGradient: boolean): Tensor[] => {
    const tape = model.forward(batch!, { record: true });
    const { seed, f } = explainSeed(tape.output, targets2, q.referencesPerImage, r.output);
    const rep = tape.nodeOutput(k);
    // ‖seed‖² = 4‖rep − rep(r)‖²/d²: the distance ‖rep − rep(r)‖²/d is d/4 of it
    const { seed: repSeed, distance } = ig2RepresentationSeed(layout, rep, repRef);
    if (!tapeOwnsNodeOutputs(model, rows)) rep.dispose();
    const out = [f, distance];
    if (withGradient) {
      // ∇f only for rows < P: the rows ≥ P backpropagate the representation seed alone.
      const k2 = seed.size / rows;
      batch!.engine.clear(seed.buffer, q.pairs * k2 * 4, q.pairs * k2 * 4);
      out.push(
        tape.backward(
          new Map([
            [last, seed],
            [k, repSeed],
          ]),
        ).dx,
      );
    }
    seed.dispose();
    repSeed.dispose();
    tape.dispose();
    return out;
  };
  const replays = new ReplayCache(model.engine); // every step of the search has the same shape
  return {
    step(batch: Tensor, withGradient: boolean) {
      const [f, distance, grad] = replays.run(`ig2 ${batch.shape} ${withGradient}`, [batch], (b) =>
        step(b, withGradient),
      );
      return { f: f!, distance: { values: distance!, scale: repFeatures / 4 }, ...(grad && { grad }) };
    },
    dispose() {
      replays.dispose();
      repRef.dispose();
      targets2.dispose();
    },
  };
}

answerModelKey('distance', async (model, batch, r) => {
  const q = r.ig2 ?? fail(`${model.info.name}: the distance key needs IG2's pairs (request.ig2)`);
  const search = q.keep(
    model,
    () => modelIg2Search(model, q, r),
    (s) => s.dispose(),
  );
  return search.step(batch, r.want.includes('grad'));
});
