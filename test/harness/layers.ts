/** Shared by the layer-attribution tests: models loaded with their unfused source kept, float64 references at a layer. */
import { expect } from 'vitest';
import type { Engine } from '../../src/gpu/engine.js';
import { fuseModel, modelFromSpec, type ModelSpec } from '../../src/models/fuse.js';
import { explain } from '../../src/attribution/index.js';
import type { Model } from '../../src/nn/model.js';
import { Rng } from './random.js';
import { expectClose } from './assert.js';
import * as ref from '../reference/methods/layer.js';

/** The float64 reference of `layer` on the model's unfused source graph. */
export function reference(model: Model, layer: string): ref.RefLayer {
  const source = sources.get(model)!;
  const k = source.nodes.findIndex((n) => n.name === layer);
  const index = k >= 0 ? k : source.valueNames!.get(layer)!;
  const params = new Map([...source.params].map(([name, v]) => [name, Float64Array.from(v.data)]));
  const shapes = new Map([...source.params].map(([name, v]) => [name, v.shape]));
  return ref.refLayer(source.nodes, params, shapes, source.info.inputShape, index);
}
const sources = new Map<Model, ModelSpec>();
export function load(engine: Engine, spec: ModelSpec): Model {
  const fused = spec.fusedFrom ? spec : fuseModel(spec);
  const model = modelFromSpec(engine, fused);
  sources.set(model, fused.fusedFrom!.spec);
  return model;
}

/** Layer IG (sum rule and reference), Grad-CAM and neuron IG on a model by its file's names. */
export async function checkImported(
  engine: Engine,
  model: Model,
  layer: string,
  neuronIndex: number[],
  inputSize: number,
) {
  const m = reference(model, layer);
  const x = Float32Array.from(new Rng(5).uniform(inputSize, 0, 1));
  const x64 = Float64Array.from(x);
  const base = new Float64Array(inputSize);
  const t = 1;
  const ig = await explain(engine, model, x, { method: 'layer-ig', layer, steps: 16, target: t });
  const want = ref.refLayerIg(m, x64, base, t, 16);
  expectClose(ig.attribution, want.attribution, { rtol: 2e-3, atol: 2e-4 }, `layer-ig ${layer}`);
  expect(ig.images[0]!.fStart).toBeCloseTo(want.fStart, 4);
  const cam = await explain(engine, model, x, { method: 'gradcam', layer, target: t });
  expectClose(cam.attribution, ref.refGradCam(m, x64, t), { rtol: 2e-3, atol: 2e-4 }, `gradcam ${layer}`);
  const unit = neuronIndex.reduce((f, v, k) => f * m.shape[k]! + v, 0);
  const neuron = await explain(engine, model, x, {
    method: 'neuron-ig',
    neuron: { layer, index: neuronIndex },
    steps: 16,
  });
  expectClose(
    neuron.attribution,
    ref.refNeuronIg(m, x64, base, unit, 16),
    { rtol: 2e-3, atol: 2e-4 },
    `neuron-ig ${layer}`,
  );
}
