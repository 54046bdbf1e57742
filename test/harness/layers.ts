/** Shared by the layer-attribution tests: models loaded with their unfused source kept, float64 references at a layer. */
import type { Engine } from '../../src/gpu/engine.js';
import { fuseModel, modelFromSpec, type ModelSpec } from '../../src/models/fuse.js';
import { explain } from '../../src/attribution/index.js';
import type { Model } from '../../src/nn/model.js';
import { Rng } from './random.js';
import { assert, expectClose } from './assert.js';
import { GraphBuilder } from '../../src/nn/graph.js';
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

/** Layer IG (its start and reference), conductance, Grad-CAM and neuron IG on a model by its file's names. */
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
  assert(
    Math.abs(ig.images[0]!.fStart - want.fStart) < 1e-4,
    `layer-ig f(x, layer at baseline) ${ig.images[0]!.fStart} vs ${want.fStart}`,
  );
  const cond = await explain(engine, model, x, { method: 'conductance', layer, steps: 8, target: t });
  expectClose(
    cond.attribution,
    ref.refConductance(m, x64, base, t, 8),
    { rtol: 2e-3, atol: 2e-4 },
    `conductance ${layer}`,
  );
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

/** conv-bn-relu, then conv + skip (add) + relu, max pool, linear: every fusion the importers make. */
export function convNetSpec(): ModelSpec {
  const g = new GraphBuilder();
  const c1 = g.conv2d('c1', 0, 2, 4, 3, { padding: 1 });
  const bn = g.batchNorm('bn1', c1, 4);
  const r1 = g.relu('r1', bn);
  const c2 = g.conv2d('c2', r1, 4, 4, 3, { padding: 1 });
  const r2 = g.relu('r2', g.add('add', c2, r1));
  const mp = g.maxPool('mp', r2, { kernel: [2, 2], stride: [2, 2] });
  g.linear('fc', g.flatten('fl', mp), 36, 3);
  const rng = new Rng(7);
  const params = new Map(
    [...g.paramShapes].map(([name, shape]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = name.endsWith('running_var') ? rng.uniform(n, 0.5, 1.5) : rng.uniform(n, -0.6, 0.6);
      return [name, { shape, data: Float32Array.from(data) }];
    }),
  );
  return {
    nodes: g.nodes,
    params,
    info: { name: 'convnet', inputShape: [2, 6, 6], numClasses: 3, representationNode: 8 },
  };
}
