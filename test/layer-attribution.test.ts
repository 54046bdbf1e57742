/**
 * Attribution at a layer and at a neuron (layer/*.ts) against float64 references after Captum's
 * definitions (test/reference/methods/layer.ts), on the unfused source graph: a small conv net
 * whose importer-style fusions (BN folded, ReLU and add in conv epilogues, relu masks in a max
 * pool) are split at the tap; an ONNX and a TF.js model by their files' names. Layer IG's sum rule
 * on a layer that cuts the graph and on one with a skip path around it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { GraphBuilder } from '../src/nn/graph.js';
import { fuseModel, modelFromSpec, type ModelSpec } from '../src/models/fuse.js';
import { importOnnxBytes } from '../src/models/onnx/import.js';
import { explain } from '../src/attribution/index.js';
import type { Model } from '../src/nn/model.js';
import { Rng } from './harness/random.js';
import { expectClose } from './harness/assert.js';
import * as ref from './reference/methods/layer.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

/** conv-bn-relu, then conv + skip (add) + relu, max pool, linear: every fusion the importers make. */
function convNetSpec(): ModelSpec {
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

/** The float64 reference of `layer` on the model's unfused source graph. */
function reference(model: Model, layer: string): ref.RefLayer {
  const source = sources.get(model)!;
  const k = source.nodes.findIndex((n) => n.name === layer);
  const index = k >= 0 ? k : source.valueNames!.get(layer)!;
  const params = new Map([...source.params].map(([name, v]) => [name, Float64Array.from(v.data)]));
  const shapes = new Map([...source.params].map(([name, v]) => [name, v.shape]));
  return ref.refLayer(source.nodes, params, shapes, source.info.inputShape, index);
}
const sources = new Map<Model, ModelSpec>();
function load(spec: ModelSpec): Model {
  const fused = fuseModel(spec);
  const model = modelFromSpec(engine, fused);
  sources.set(model, fused.fusedFrom!.spec);
  return model;
}

const rng = new Rng(3);
const N = 2;
const xs = Float32Array.from(rng.uniform(N * 72, 0, 1));
const row = (a: ArrayLike<number>, i: number, d: number) => Float64Array.from(Array.from(a).slice(i * d, (i + 1) * d));
const zeros = new Float64Array(72);

describe('layer attribution on a fused conv net', () => {
  let model: Model;
  beforeAll(() => {
    model = load(convNetSpec());
  });

  it('lists every source value, marking the fused-away ones', () => {
    const layers = model.layers();
    const tappable = (n: string) => layers.find((l) => l.name === n)!.tappable;
    expect(layers.map((l) => l.name)).toEqual(['c1', 'bn1', 'r1', 'c2', 'add', 'r2', 'mp', 'fl', 'fc']);
    expect(['c1', 'bn1', 'c2', 'add'].map(tappable)).toEqual([false, false, false, false]);
    expect(['r1', 'r2', 'mp', 'fc'].map(tappable)).toEqual([true, true, true, true]);
    expect(layers.find((l) => l.name === 'c2')!.shape).toEqual([4, 6, 6]);
  });

  const target = [0, 2];
  for (const [layer, cuts] of [
    ['r1', true],
    ['c2', false],
    ['bn1', true],
  ] as const) {
    it(`layer-ig and idgi at ${layer} match the reference; the sum rule ${cuts ? 'of a cut' : 'with a skip path'}`, async () => {
      const m = reference(model, layer);
      for (const method of ['layer-ig', 'idgi'] as const) {
        const r = await explain(engine, model, xs, { method, layer, steps: 16, target });
        const per = r.attribution.length / N;
        expect(r.shape).toEqual([N, ...m.shape]);
        for (let i = 0; i < N; i++) {
          const x = row(xs, i, 72);
          const want =
            method === 'layer-ig'
              ? ref.refLayerIg(m, x, zeros, target[i]!, 16)
              : ref.refLayerIdgi(m, x, zeros, target[i]!, 16);
          expectClose(row(r.attribution, i, per), want.attribution, { rtol: 2e-3, atol: 2e-4 }, `${method} ${layer} ${i}`);
          expect(r.images[i]!.fStart).toBeCloseTo(want.fStart, 3);
          const fx = m.f(x, target[i]!);
          const fb = m.f(zeros, target[i]!);
          // Σ attr = f(x) − f(x, layer at baseline); that is f(x) − f(baseline) only where the layer cuts the graph
          if (method === 'idgi') expect(r.images[i]!.sum).toBeCloseTo(fx - want.fStart, 3);
          expect(Math.abs(want.fStart - fb) < 1e-9).toBe(cuts);
        }
      }
    });
  }

  it('conductance, internal influence, Grad-CAM and gradient × activation at a split and a tappable layer', async () => {
    for (const layer of ['c2', 'r2']) {
      const m = reference(model, layer);
      for (const method of ['conductance', 'internal-influence', 'gradcam', 'layer-gradxactivation'] as const) {
        const r = await explain(engine, model, xs, { method, layer, steps: 8, target, memoryBudgetBytes: 1 << 20 });
        const per = r.attribution.length / N;
        for (let i = 0; i < N; i++) {
          const x = row(xs, i, 72);
          const t = target[i]!;
          const want = {
            conductance: () => ref.refConductance(m, x, zeros, t, 8),
            'internal-influence': () => ref.refInternalInfluence(m, x, zeros, t, 8),
            gradcam: () => ref.refGradCam(m, x, t),
            'layer-gradxactivation': () => ref.refGradXActivation(m, x, t),
          }[method]();
          expectClose(row(r.attribution, i, per), want, { rtol: 2e-3, atol: 2e-4 }, `${method} ${layer} ${i}`);
        }
        expect(r.shape).toEqual(method === 'gradcam' ? [N, 1, 6, 6] : [N, 4, 6, 6]);
      }
    }
  });

  it('neuron-ig explains one unit of a layer, with its completeness', async () => {
    const m = reference(model, 'c2');
    const unit = (1 * 6 + 2) * 6 + 3;
    const r = await explain(engine, model, xs, { method: 'neuron-ig', neuron: { layer: 'c2', index: [1, 2, 3] }, steps: 16 });
    expect(r.shape).toEqual([N, 2, 6, 6]);
    for (let i = 0; i < N; i++) {
      const x = row(xs, i, 72);
      expectClose(row(r.attribution, i, 72), ref.refNeuronIg(m, x, zeros, unit, 16), { rtol: 2e-3, atol: 2e-4 }, `neuron ${i}`);
      expect(r.images[i]!.fx).toBeCloseTo(m.unit(x, unit), 4);
      expect(r.images[i]!.completenessError).toBeLessThan(0.02);
    }
  });

  it('refuses a method without its layer, a layer to an input method, and a bad neuron index, in one line', async () => {
    const call = (o: object) => explain(engine, model, xs, { method: 'ig', ...o } as never);
    await expect(call({ method: 'gradcam' })).rejects.toThrow(/gradcam attributes to a layer/);
    await expect(call({ method: 'blurig', layer: 'r1' })).rejects.toThrow(/does not attribute to a layer/);
    await expect(call({ method: 'gradcam', layer: 'nope' })).rejects.toThrow(/has no layer 'nope'/);
    await expect(call({ method: 'neuron-ig', neuron: { layer: 'c2', index: [1, 2] } })).rejects.toThrow(/3 dimensions/);
    await expect(call({ method: 'neuron-ig', neuron: { layer: 'c2', index: [1, 2, 6] } })).rejects.toThrow(/outside/);
  });
});
