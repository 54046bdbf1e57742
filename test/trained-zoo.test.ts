/**
 * The shipped 3×32×32 zoo weights (assets/models/{vgg,resnet,mobilenet}-fashion-mnist.safetensors):
 * each model classifies the bundled Fashion-MNIST samples. `pathlight explain` with them:
 * test/trained-zoo.e2e.test.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadZooModel } from '../src/models/load.js';
import { listSamples, loadSample } from '../src/data/samples.js';
import { toRgb32 } from '../src/data/transforms.js';
import { argmaxRows } from '../src/attribution/kernels/explain-seed.js';
import { Tensor } from '../src/tensor/tensor.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const samples = listSamples('fashion-mnist').map((_, i) => loadSample('fashion-mnist', i));
const images = toRgb32(Float32Array.from(samples.flatMap((s) => Array.from(s.image))), samples.length);

for (const name of ['vgg', 'resnet', 'mobilenet']) {
  it(`the shipped ${name} classifies the bundled Fashion-MNIST samples`, async () => {
    const model = await loadZooModel(engine, name);
    const x = Tensor.from(engine, images, [samples.length, 3, 32, 32]);
    const logits = model.logits(x);
    const preds = argmaxRows(logits);
    const got = Array.from(await preds.download());
    for (const t of [x, logits, preds]) t.dispose();
    model.dispose();
    const correct = got.filter((p, i) => p === samples[i]!.label).length;
    // far above chance (10 %): a model guessing gets ≥ 5 of 8 right with probability 4e-4
    expect(correct, `predictions ${got} vs labels ${samples.map((s) => s.label)}`).toBeGreaterThanOrEqual(5);
  });
}
