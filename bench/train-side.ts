/**
 * One side of the training benchmark (bench/train.mjs bundles this file from this checkout and,
 * for an A/B, from another source tree): a zoo model built with fresh parameters, trained on
 * seeded synthetic images with the library's own trainer (src/train/trainer.ts), timed per run of
 * `steps` steps; and one profiled run (GPU time per op name).
 */
import { createEngine } from '../src/gpu/engine.js';
import { zooGraph } from '../src/models/zoo.js';
import { buildModel, initParameters } from '../src/nn/init.js';
import { train } from '../src/train/trainer.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { modelFlops } from './flops.js';
import { measureCeiling } from './ceiling.js';

/** Seeded images in [0, 1) and labels, `count` of them (the trainer reads them in a shuffled order). */
function syntheticData(imageSize: number, count: number, classes: number) {
  let s = 12345;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const images = Float32Array.from({ length: imageSize * count }, next);
  const labels = Float32Array.from({ length: count }, () => Math.floor(next() * classes));
  return { images, labels, count };
}

/** The adapter's FMA ceiling in Node (bench/ceiling.ts), on an engine of its own. */
export async function nodeCeiling() {
  const engine = await createEngine({ ownDevice: true });
  try {
    return await measureCeiling(engine, 'node');
  } finally {
    engine.dispose();
  }
}

export async function trainSide(modelName: string, batch: number) {
  const engine = await createEngine({ ownDevice: true });
  const { builder, info } = zooGraph(modelName);
  const model = buildModel(engine, builder, info, initParameters(builder, 1));
  const imageSize = info.inputShape.reduce((a, b) => a * b, 1);
  const data = syntheticData(imageSize, batch * 4, info.numClasses);
  const optimizer = createOptimizer('adam', { lr: 1e-3 });
  const flops = modelFlops(model);
  const run = async (steps: number) => {
    const r = await train(model, data, {
      optimizer,
      epochs: 1000,
      batchSize: batch,
      maxSteps: steps,
      reportEvery: steps,
    });
    return r.seconds;
  };
  const adapter = [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description]
    .filter(Boolean)
    .join(' ');
  return {
    adapter,
    /** FLOPs of one image's training step: forward + input gradient + weight gradient (3 × forward) */
    flopsPerImage: 3 * flops.forward,
    run,
    pipelines: () => engine.stats.pipelines,
    dispatches: () => engine.stats.dispatches,
    async profile(steps: number) {
      engine.startProfiling();
      await run(steps);
      return engine.stopProfiling();
    },
    dispose() {
      optimizer.dispose();
      model.dispose();
      engine.dispose();
    },
  };
}
