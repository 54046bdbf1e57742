/**
 * Attribution at a layer and at a neuron (layer/*.ts) against float64 references after Captum's
 * definitions (test/reference/methods/layer.ts), on the unfused source graph: a small conv net
 * whose importer-style fusions (BN folded, ReLU and add in conv epilogues, relu masks in a max
 * pool) are split at the tap; a TF.js model by its file's names (ONNX: layer-attribution.e2e.test.ts). Layer IG's sum rule
 * on a layer that cuts the graph and on one with a skip path around it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { cpuFunction, explain } from '../src/attribution/index.js';
import { importTfjs } from '../src/models/tfjs/import.js';
import { TinyGraph } from './harness/tfjs-graph.js';
import type { Model } from '../src/nn/model.js';
import { Rng } from './harness/random.js';
import { expectClose } from './harness/assert.js';
import * as ref from './reference/methods/layer.js';
import { checkImported, convNetSpec, load, reference } from './harness/layers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const rng = new Rng(3);
const N = 2;
const xs = Float32Array.from(rng.uniform(N * 72, 0, 1));
const row = (a: ArrayLike<number>, i: number, d: number) => Float64Array.from(Array.from(a).slice(i * d, (i + 1) * d));
const zeros = new Float64Array(72);

describe('layer attribution on a fused conv net', () => {
  let model: Model;
  beforeAll(() => {
    model = load(engine, convNetSpec());
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
          expectClose(
            row(r.attribution, i, per),
            want.attribution,
            { rtol: 2e-3, atol: 2e-4 },
            `${method} ${layer} ${i}`,
          );
          expect(r.images[i]!.fStart).toBeCloseTo(want.fStart, 3);
          const fx = m.f(x, target[i]!);
          const fb = m.f(zeros, target[i]!);
          // Σ attr = f(x) − f(x, layer at baseline); that is f(x) − f(baseline) only where the layer cuts the graph
          // IDGI's steps telescope: the sum rule holds to float32 precision
          if (method === 'idgi')
            expect(Math.abs(r.images[i]!.sum - (fx - want.fStart))).toBeLessThan(2e-5 * (1 + Math.abs(fx)));
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

  it('layer IG: no new pipeline for another step count or batch, 2 readbacks a call, dispatches near input IG', async () => {
    const o = { method: 'layer-ig', layer: 'r2', steps: 16, target: 1 } as const;
    await explain(engine, model, xs, o);
    const p = engine.stats.pipelines;
    const s = { ...engine.stats };
    await explain(engine, model, xs, o);
    const layerDispatches = engine.stats.dispatches - s.dispatches;
    expect(engine.stats.readbacks - s.readbacks).toBe(2);
    await explain(engine, model, xs.subarray(0, 72), { ...o, steps: 40 });
    expect(engine.stats.pipelines - p, 'new pipelines for another step count and batch').toBe(0);
    await explain(engine, model, xs, { ...o, method: 'ig', layer: undefined });
    const s2 = { ...engine.stats };
    await explain(engine, model, xs, { ...o, method: 'ig', layer: undefined });
    // replayed chunks: the layer's splice, slices and pad add a few dispatches to input IG's
    expect(layerDispatches).toBeLessThanOrEqual(2 * (engine.stats.dispatches - s2.dispatches));
  });

  it('neuron-ig explains one unit of a layer, with its completeness', async () => {
    const m = reference(model, 'c2');
    const unit = (1 * 6 + 2) * 6 + 3;
    const r = await explain(engine, model, xs, {
      method: 'neuron-ig',
      neuron: { layer: 'c2', index: [1, 2, 3] },
      steps: 16,
    });
    expect(r.shape).toEqual([N, 2, 6, 6]);
    for (let i = 0; i < N; i++) {
      const x = row(xs, i, 72);
      expectClose(
        row(r.attribution, i, 72),
        ref.refNeuronIg(m, x, zeros, unit, 16),
        { rtol: 2e-3, atol: 2e-4 },
        `neuron ${i}`,
      );
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
    const fn = cpuFunction((p, shape) => ({ f: new Float32Array(shape[0]!), grad: new Float32Array(p.length) }), {
      inputShape: [72],
      batchSize: 8,
    });
    await expect(explain(engine, fn, xs, { method: 'gradcam', layer: 'r1' })).rejects.toThrow(
      /a function has no layers/,
    );
    await expect(call({ method: 'neuron-ig', neuron: { layer: 'c2', index: [1, 2, 6] } })).rejects.toThrow(/outside/);
  });
});

describe('layers of imported models, by their files names', () => {
  it('TF.js: node names, fused-away values included (BiasAdd folded into the conv, Relu in its epilogue)', async () => {
    const g = new TinyGraph(4);
    const x = g.input([6, 6, 2]);
    const c = g.op('Conv2D', 'block/conv', [x, g.const('block/conv/w', [3, 3, 2, 4])], {
      data_format: 'NHWC',
      dilations: [1, 1, 1, 1],
      strides: [1, 1, 1, 1],
      padding: 'SAME',
    });
    const b = g.op('BiasAdd', 'block/bias', [c, g.const('block/conv/b', [4])]);
    const r = g.op('Relu', 'block/relu', [b]);
    const m = g.op('Mean', 'gap', [r, g.ints('gap/axes', [1, 2])], { keep_dims: false });
    g.op('MatMul', 'logits', [m, g.const('dense/w', [4, 3])], { transpose_a: false, transpose_b: false });
    const { json, bytes } = g.build();
    const model = load(engine, importTfjs(json, bytes).spec);
    const names = model.layers().map((l) => [l.name, l.tappable]);
    expect(names).toContainEqual(['block/bias', false]);
    expect(names).toContainEqual(['block/relu', true]);
    await checkImported(engine, model, 'block/bias', [1, 2, 3], 72);
    model.dispose();
  });
});
