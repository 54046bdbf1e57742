/**
 * The training step's structure (#26): the backward computes only the gradients training reads
 * (no input gradient), the optimizer updates every parameter in one dispatch, bit for bit like the
 * per-tensor update, and a replayed step encodes the captured commands and nothing new.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { GraphBuilder } from '../src/nn/graph.js';
import { buildModel, initParameters } from '../src/nn/init.js';
import { Tensor } from '../src/tensor/tensor.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

/** conv (reads the input) → relu → linear, on 2×6×6. */
function convNet() {
  const g = new GraphBuilder();
  let h = g.conv2d('conv', 0, 2, 4, 3, { padding: 1, relu: true });
  h = g.flatten('flatten', h);
  g.linear('fc', h, 4 * 36, 3);
  const info = { name: 'conv-net', inputShape: [2, 6, 6] as [number, number, number], numClasses: 3 };
  return buildModel(engine, g, { ...info, representationNode: h }, initParameters(g, 5));
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5);
}

it('parameterGradients: the same parameter gradients as backward, bit for bit, without the input gradient', async () => {
  const model = convNet();
  const x = Tensor.from(engine, seeded(4 * 72, 1), [4, 2, 6, 6]);
  const seed = Tensor.from(engine, seeded(4 * 3, 2), [4, 3]);
  const run = (full: boolean) => {
    const tape = model.forward(x, { record: true, training: true });
    const before = engine.stats.dispatches;
    const r = full ? tape.backward(seed, { params: true }) : { params: tape.parameterGradients(seed) };
    const dispatches = engine.stats.dispatches - before;
    tape.dispose();
    if ('dx' in r) r.dx.dispose();
    return { grads: r.params!, dispatches };
  };
  const full = run(true);
  const only = run(false);
  expect([...only.grads.keys()].sort()).toEqual([...full.grads.keys()].sort());
  for (const [name, g] of full.grads) {
    const a = await g.download();
    const b = await only.grads.get(name)!.download();
    expect(
      b.findIndex((v, i) => !Object.is(v, a[i])),
      name,
    ).toBe(-1);
  }
  // the conv's input gradient (one or more dispatches) is the difference
  expect(only.dispatches).toBeLessThan(full.dispatches);
  for (const t of [x, seed, ...full.grads.values(), ...only.grads.values()]) t.dispose();
  model.dispose();
});
