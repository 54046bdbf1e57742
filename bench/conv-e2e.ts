/**
 * One side of an end-to-end conv A/B (bench/conv-ab.mjs bundles this file from two source trees
 * and interleaves them in one process): IG at `steps` points on one synthetic image of a zoo
 * model, wall and process-CPU ms per call, and the conv kernels' GPU time from one profiled call;
 * or one conv kernel at one shape (kernelSide).
 */
import { createEngine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import { syntheticImages } from './methods.js';
import { attributionFlops, modelFlops } from './flops.js';
import { Tensor } from '../src/tensor/tensor.js';
import { conv2d, conv2dBackwardInput, conv2dOutputShape, type Conv2dParams } from '../src/ops/conv2d.js';

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

/** One conv kernel (forward or input gradient, default tuning) at batch n, for a per-shape A/B. */
export async function kernelSide(cin: number, cout: number, hw: number, k: number, p: Conv2dParams, n: number) {
  const engine = await createEngine({ ownDevice: true });
  const xShape = [n, cin, hw, hw];
  const wShape = [cout, cin, k, k];
  const yShape = conv2dOutputShape(xShape, wShape, p);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const rand = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const [x, w, dy] = [xShape, wShape, yShape].map((s) => Tensor.from(engine, rand(size(s)), s)) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  return {
    flops: 2 * size(yShape) * cin * k * k,
    async run(direction: 'forward' | 'inputGradient') {
      const out = direction === 'forward' ? conv2d(x, w, null, p) : conv2dBackwardInput(dy, w, xShape, p);
      await engine.sync();
      out.dispose();
    },
    dispose() {
      for (const t of [x, w, dy]) t.dispose();
      engine.dispose();
    },
  };
}
