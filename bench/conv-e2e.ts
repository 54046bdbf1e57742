/**
 * One side of an end-to-end conv A/B (bench/conv-ab.mjs bundles this file from two source trees
 * and interleaves them in one process): IG at `steps` points on one synthetic image of a zoo
 * model, wall and process-CPU ms per call, and the conv kernels' GPU time from one profiled call.
 */
import { createEngine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import { syntheticImages } from './methods.js';
import { attributionFlops, modelFlops } from './flops.js';

export async function side(modelName: string, steps: number) {
  const engine = await createEngine({ ownDevice: true });
  const model = createZooModel(engine, modelName, { foldBatchNorm: true });
  const image = syntheticImages(model, 1, 1);
  const flops = modelFlops(model);
  let callFlops = 0;
  const call = async () => {
    const r = await explain(engine, model, image, { method: 'ig', steps, target: 1 });
    callFlops = attributionFlops(flops, r);
    return r;
  };
  return {
    call,
    flops: () => callFlops,
    pipelines: () => engine.stats.pipelines,
    async profile() {
      engine.startProfiling();
      await call();
      return engine.stopProfiling();
    },
    dispose() {
      model.dispose();
      engine.dispose();
    },
  };
}
