/**
 * Issue #11's structural targets, on the shipped models (BatchNorm folded, conv weights packed, as
 * loaded): pipelines a fresh engine compiles for a model's first explanation, none for another step
 * count or batch size, and dispatches and readbacks per explain() call. Counts, not timings (those
 * live in bench/). Measured (Node, SwiftShader): LeNet IDGI-64 compiles 16 pipelines (target 'auto'), LeNet Guided
 * IG-64 records 970 dispatches (64 steps × 15, of which 14 are the forward + backward: the relu
 * masks ride in the max-pool backwards and the explain seed in the last linear layer's backward);
 * ResNet IG-64 compiles 26 pipelines and records 57 dispatches, ResNet Guided IG-64 2 388 (64 steps
 * × 37 + 20: forward 15 convs + pool + linear, backward seed + pool + 17 conv input gradients, the
 * Guided IG step; each relu's mask and its readers' sum ride in the input gradient of its last conv
 * reader, the last one's mask in the pool's backward).
 */
import { expect, it } from 'vitest';
import '../src/index.js';
import { createEngine } from '../src/gpu/engine.js';
import { explain, type ExplainOptions } from '../src/attribution/index.js';
import { loadZooModel } from '../src/models/load.js';

const images = (n: number, size: number) => Float32Array.from({ length: n * size }, (_, i) => ((i * 7919) % 101) / 101);

interface Target {
  model: string;
  method: string;
  /** most pipelines a fresh engine may compile for the first call */
  pipelines?: number;
  /** most dispatches per (warm) call */
  dispatches: number;
}

const TARGETS: Target[] = [
  { model: 'lenet', method: 'idgi', pipelines: 16, dispatches: 30 },
  { model: 'lenet', method: 'ig', dispatches: 30 },
  { model: 'resnet', method: 'ig', pipelines: 30, dispatches: 110 },
  { model: 'lenet', method: 'gig', dispatches: 1000 },
  { model: 'resnet', method: 'gig', dispatches: 2460 },
];

for (const t of TARGETS) {
  it(`${t.model} ${t.method}-64: ≤ ${t.pipelines ?? '–'} pipelines cold, 0 for other steps/batch, ≤ ${t.dispatches} dispatches and 2 readbacks per call`, async () => {
    const engine = await createEngine();
    try {
      const model = await loadZooModel(engine, t.model);
      const size = model.info.inputShape.reduce((a, b) => a * b, 1);
      // the cold call as npm start and the benchmark make it (target 'auto': + the argmax pipeline);
      // dispatches on a fixed target ('auto' adds one forward of the input)
      const options: ExplainOptions<string> = { method: t.method, steps: 64, target: 1 };
      const p0 = engine.stats.pipelines;
      await explain(engine, model, images(1, size), { ...options, target: 'auto' });
      const cold = engine.stats.pipelines - p0;
      if (t.pipelines !== undefined)
        expect(cold, 'pipelines compiled by the first call').toBeLessThanOrEqual(t.pipelines);
      const s = { ...engine.stats };
      await explain(engine, model, images(1, size), options);
      expect(engine.stats.dispatches - s.dispatches, 'dispatches per call').toBeLessThanOrEqual(t.dispatches);
      expect(engine.stats.readbacks - s.readbacks, 'readbacks per call').toBe(2);
      const p1 = engine.stats.pipelines;
      await explain(engine, model, images(3, size), { ...options, steps: 40 });
      expect(engine.stats.pipelines - p1, 'new pipelines for another step count and batch size').toBe(0);
    } finally {
      engine.dispose();
    }
  }, 300_000);
}
