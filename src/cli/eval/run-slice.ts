/**
 * One evaluation run over a slice of the settings' range (all of it, or one shard's), from images
 * already loaded: evaluateMethods with the settings' seed and the images' dataset indices, then the
 * mergeable results (results-file.ts). The CLI and the merge test share it.
 */
import type { Engine } from '../../gpu/engine.js';
import type { Model } from '../../nn/model.js';
import { evaluateMethods } from '../../metrics/evaluate-methods.js';
import type { StagedProgress } from '../progress.js';
import { buildResults, type EvalResults, type EvalSettings } from './results-file.js';
import type { Shard } from './slices.js';

export interface SliceImages {
  indices: number[];
  labels: number[];
  /** [indices.length, C, H, W] */
  data: Float32Array;
}

export async function evaluateSlice(
  engine: Engine,
  model: Model,
  settings: EvalSettings,
  shard: Shard | null,
  images: SliceImages,
  referencePool: Float32Array | null,
  options: { batchSize?: number; progress?: StagedProgress } = {},
): Promise<EvalResults> {
  const started = performance.now();
  const n = images.indices.length;
  const total = n * settings.methods.length;
  options.progress?.stage(`eval ${settings.modelName}: scoring (method × image)`, { counted: true, eta: true });
  options.progress?.update(0, total);
  const rows = await evaluateMethods(engine, model, images.data, {
    methods: settings.methods,
    steps: settings.steps,
    baseline: settings.baseline,
    ig2References: settings.references,
    referencePool: referencePool ?? undefined,
    quantusMetrics: settings.metrics,
    seed: settings.seed,
    indices: images.indices,
    batchSize: options.batchSize,
    onImage: (method, done) => options.progress?.update(settings.methods.indexOf(method) * n + done, total),
  });
  const adapter = [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description]
    .filter(Boolean)
    .join(' ');
  const timing = {
    adapter,
    images: n,
    seconds: +((performance.now() - started) / 1000).toFixed(1),
    msPerImage: Object.fromEntries(rows.map((r) => [r.method, +r.msPerImage.toFixed(1)])),
  };
  return buildResults(settings, shard, images.indices, images.labels, rows, [timing]);
}
