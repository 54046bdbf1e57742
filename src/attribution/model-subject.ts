/**
 * A pathlight Model behind the method seam: f and ∇f from one recorded forward, the seed kernel
 * and one backward; a key a method brings (IG2's distance) from the answer it taught models
 * (answerModelKey), with f and ∇f in the same forward and backward.
 */
import { fail } from '../errors.js';
import { inputRange, type Model } from '../nn/model.js';
import { preprocessPixels } from '../data/preprocess.js';
import type { Tensor } from '../tensor/tensor.js';
import { withViews } from '../nn/tensor-kinds.js';
import { argmaxRows, explainSeed } from './kernels/explain-seed.js';
import {
  answered,
  wants,
  withLegacyMethods,
  type EvaluationKey,
  type EvaluationRequest,
  type Evaluation,
  type Explainable,
  type KeyedRequest,
} from './subject.js';

/** A model's subject, with the deprecated gradients() and values() for one release. */
export type ModelSubject = ReturnType<typeof withLegacyMethods>;
const subjects = new WeakMap<Model, ModelSubject>();

export function modelSubject(model: Model): ModelSubject {
  let s = subjects.get(model);
  if (!s) subjects.set(model, (s = createModelSubject(model)));
  return s;
}

function createModelSubject(model: Model): ModelSubject {
  const last = model.nodes[model.nodes.length - 1]!;
  // a last linear layer (on [B, F]) runs its backward inside the seed's kernel: backward starts at its input
  const fc = last.kind === 'linear' && !last.relu && model.outputShape.length === 1 ? last : null;
  const fcWeight = () => (fc ? model.params.get(fc.weight) : undefined);
  const subject = withLegacyMethods({
    name: model.info.name,
    inputShape: model.info.inputShape,
    numClasses: model.info.numClasses,
    inputRange: inputRange(model.info),
    pixelsToInput: (pixels) => preprocessPixels(pixels, model.info),
    rowsForBudget: (budget) => rowsForBudget(model, budget),
    bytesPerRow: bytesPerRow(model),
    async evaluate<K extends EvaluationKey>(points: Tensor, r: KeyedRequest<K>) {
      const brought = r.want.find((k) => k !== 'f' && k !== 'grad');
      if (brought !== undefined) {
        const answer =
          keyAnswers.get(brought) ??
          fail(`${model.info.name}: cannot evaluate '${brought}' (no method has taught models that key)`);
        return answered<K>(await answer(model, points, r));
      }
      return answered<K>(wants(r, 'grad') ? await gradients(points, r) : { f: await values(points, r) });
    },
    topClasses: async (x) => withViews([model.logits(x)], argmaxRows),
  });
  const gradients = async (points: Tensor, r: EvaluationRequest) => {
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
  };
  const values = async (points: Tensor, r: EvaluationRequest) =>
    withViews([model.logits(points)], (logits) => {
      // the same seed kernel as gradients(): one pipeline fewer; its seed is not needed
      const { seed, f } = explainSeed(logits, r.targets, r.pointsPerImage, r.output, fcWeight());
      seed.dispose();
      return f;
    });
  return subject;
}

/** How a model answers a key a method brings (IG2's distance: methods/ig2/model.ts), every key of the request in one pass. */
export type ModelKeyAnswer = (model: Model, points: Tensor, request: KeyedRequest) => Promise<Partial<Evaluation>>;
const keyAnswers = new Map<string, ModelKeyAnswer>();

/** Teach models a key (a method's module does, on import). */
export function answerModelKey(key: EvaluationKey, answer: ModelKeyAnswer): void {
  keyAnswers.set(key, answer);
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
