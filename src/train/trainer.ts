/**
 * The on-GPU training loop for any `Model`: per mini-batch one upload, a recorded forward,
 * cross-entropy + its gradient, `tape.parameterGradients(dlogits)` (no input gradient) and the
 * optimizer update (one dispatch) — one submission per step, no readback. The step is captured
 * on its first run and replayed after (engine.capture, unless the engine's `replay` is off): a
 * replayed step encodes the batch upload, the optimizer's uniform write (learning rate, bias
 * corrections) and the captured commands, nothing else. Batch norms run in training mode (batch
 * statistics, running statistics updated); evaluation uses the running ones. Each step's loss
 * and predictions are copied into small GPU logs; the logs are read back only every
 * `reportEvery` steps (progress), so the CPU never waits on the GPU inside the loop.
 */
import { fail } from '../errors.js';
import type { Model } from '../nn/model.js';
import { argmaxRows } from '../attribution/kernels/explain-seed.js';
import type { Capture } from '../gpu/capture.js';
import { Tensor } from '../tensor/tensor.js';
import { epochBatches, type LabelledImages } from './batches.js';
import { crossEntropyWithGradient } from './loss.js';
import type { Optimizer } from './optimizers.js';
import type { ProgressReport } from './progress.js';

export interface TrainOptions {
  optimizer: Optimizer;
  epochs: number;
  batchSize: number;
  /** shuffling seed (default 1) */
  seed?: number;
  /** read back the loss/accuracy logs every K steps (default 100) */
  reportEvery?: number;
  onReport?: (report: ProgressReport) => void;
  /** stop early after this many steps (throughput measurements, tests) */
  maxSteps?: number;
  /** learning rate of each step (0-based), e.g. a decay schedule; default: the optimizer's */
  lrSchedule?: (step: number, totalSteps: number) => number;
}

export interface TrainResult {
  /** batch-mean loss of every step */
  losses: Float32Array;
  /** training accuracy of every step, in [0, 1] */
  accuracies: Float32Array;
  steps: number;
  seconds: number;
  imagesPerSecond: number;
}

function checkLabels(labels: ArrayLike<number>, count: number, numClasses: number): void {
  if (labels.length < count) fail(`train: ${labels.length} labels for ${count} images`);
  for (let i = 0; i < count; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= numClasses)
      fail(`train: label ${v} of image ${i} is not a class index in [0, ${numClasses})`);
  }
}

function checkImages(model: Model, data: LabelledImages): number {
  const imageSize = model.info.inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isInteger(data.count) || data.count < 1 || data.images.length !== data.count * imageSize) {
    fail(
      `train: ${data.images.length} pixel values are not ${data.count} images of shape [${model.info.inputShape.join(', ')}]`,
    );
  }
  return imageSize;
}

/** Train `model` in place on `data`. */
export async function train(model: Model, data: LabelledImages, opts: TrainOptions): Promise<TrainResult> {
  const { optimizer, epochs, batchSize, seed = 1, reportEvery = 100 } = opts;
  if (!Number.isInteger(epochs) || epochs < 1) fail(`train: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(reportEvery) || reportEvery < 1)
    fail(`train: reportEvery must be a positive integer, got ${reportEvery}`);
  checkImages(model, data);
  checkLabels(data.labels, data.count, model.info.numClasses);
  const stepsPerEpoch = Math.floor(data.count / batchSize);
  const totalSteps = Math.min(stepsPerEpoch * epochs, opts.maxSteps ?? Infinity);
  if (!(totalSteps >= 1)) fail(`train: no full batch of ${batchSize} in ${data.count} images`);

  const engine = model.engine;
  const x = Tensor.empty(engine, [batchSize, ...model.info.inputShape], 'train batch');
  const labels = Tensor.empty(engine, [batchSize], 'train labels');
  const lossLog = Tensor.empty(engine, [reportEvery], 'loss log');
  const predLog = Tensor.empty(engine, [reportEvery, batchSize], 'prediction log');
  const losses = new Float32Array(totalSteps);
  const accuracies = new Float32Array(totalSteps);
  const pendingLabels: Float32Array[] = [];
  const started = performance.now();

  // Read the logs of the steps since the last report and turn them into per-step numbers.
  const report = async (step: number, epoch: number): Promise<void> => {
    const k = pendingLabels.length;
    const lossValues = await lossLog.download();
    const preds = await predLog.download();
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < k; s++) {
      const first = step - k + s;
      let c = 0;
      for (let b = 0; b < batchSize; b++) if (preds[s * batchSize + b] === pendingLabels[s]![b]) c++;
      losses[first] = lossValues[s]!;
      accuracies[first] = c / batchSize;
      lossSum += lossValues[s]!;
      correct += c;
    }
    pendingLabels.length = 0;
    const seconds = (performance.now() - started) / 1000;
    opts.onReport?.({
      epoch,
      epochs,
      step,
      steps: totalSteps,
      loss: lossSum / k,
      accuracy: correct / (k * batchSize),
      imagesPerSecond: (step * batchSize) / seconds,
    });
  };

  // The step after the upload and the uniform write: captured once, replayed after (capture.ts).
  // Its loss and predictions land in tensors of its own, copied to the logs' slots outside it.
  const recordStep = (): { loss: Tensor; preds: Tensor } => {
    const tape = model.forward(x, { record: true, training: true });
    const { loss, dlogits } = crossEntropyWithGradient(tape.output, labels);
    const preds = argmaxRows(tape.output);
    const grads = tape.parameterGradients(dlogits);
    optimizer.update(model.params, grads);
    for (const t of [dlogits, ...grads.values()]) t.dispose();
    tape.dispose();
    return { loss, preds };
  };
  let captured: { capture: Capture; loss: Tensor; preds: Tensor } | null = null;
  // The captured step must pack the conv weights itself (the optimizer's write drops the packing,
  // the next forward packs again): drop the packing done at load. The packed buffers, freed by the
  // step's optimizer write, are held by the capture, so every replay packs into the same ones.
  if (engine.replays) for (const p of model.params.values()) p.markWritten();

  try {
    let step = 0;
    for (const batch of epochBatches(data, batchSize, epochs, seed)) {
      if (step >= totalSteps) break;
      if (opts.lrSchedule) optimizer.lr = opts.lrSchedule(step, totalSteps);
      engine.write(x.buffer, batch.images);
      engine.write(labels.buffer, batch.labels);
      optimizer.beginStep(engine);
      if (captured) engine.replay(captured.capture);
      else if (engine.replays) {
        const { result, capture } = engine.capture(recordStep);
        captured = { capture, ...result };
      }
      const out = captured ?? recordStep();
      const slot = pendingLabels.length;
      engine.copy(out.loss.buffer, 0, lossLog.buffer, slot * 4, 4);
      engine.copy(out.preds.buffer, 0, predLog.buffer, slot * batchSize * 4, batchSize * 4);
      if (!captured) for (const t of [out.loss, out.preds]) t.dispose();
      engine.flush();
      pendingLabels.push(batch.labels);
      step++;
      if (pendingLabels.length === reportEvery || step === totalSteps) await report(step, batch.epoch);
    }
    const seconds = (performance.now() - started) / 1000;
    return { losses, accuracies, steps: totalSteps, seconds, imagesPerSecond: (totalSteps * batchSize) / seconds };
  } finally {
    if (captured) for (const t of [captured.capture, captured.loss, captured.preds]) t.dispose();
    for (const t of [x, labels, lossLog, predLog]) t.dispose();
  }
}

/** Top-1 accuracy on `data`: batched forward + argmax on the GPU, one readback per batch. */
export async function evaluateAccuracy(
  model: Model,
  data: LabelledImages,
  batchSize = 500,
): Promise<{ accuracy: number; correct: number; count: number }> {
  const imageSize = checkImages(model, data);
  checkLabels(data.labels, data.count, model.info.numClasses);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    fail(`evaluate: batch size must be a positive integer, got ${batchSize}`);
  let correct = 0;
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const x = Tensor.from(
      model.engine,
      data.images.subarray(start * imageSize, (start + n) * imageSize),
      [n, ...model.info.inputShape],
      { label: 'eval batch' },
    );
    const logits = model.logits(x);
    const preds = argmaxRows(logits);
    const values = await preds.download();
    for (const t of [x, logits, preds]) t.dispose();
    for (let i = 0; i < n; i++) if (values[i] === data.labels[start + i]) correct++;
  }
  return { accuracy: correct / data.count, correct, count: data.count };
}
