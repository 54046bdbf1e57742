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
import { adamStep, type AdamHyper } from '../src/train/adam.js';
import { Adam, Sgd } from '../src/train/optimizers.js';
import { sgdStep, type SgdHyper } from '../src/train/sgd.js';
import { train } from '../src/train/trainer.js';

let engine: Engine;
let chunking: Engine; // a binding limit that splits a batch of 4 into passes of 3 and 1 rows (ChunkedTape)
beforeAll(async () => {
  engine = await createEngine();
  chunking = await createEngine({ maxBindingBytes: 2048 });
});
afterAll(() => {
  engine?.dispose();
  chunking?.dispose();
});

/** conv (reads the input) → relu → linear, on 2×6×6. */
function convNet(on = engine) {
  const g = new GraphBuilder();
  let h = g.conv2d('conv', 0, 2, 4, 3, { padding: 1, relu: true });
  h = g.flatten('flatten', h);
  g.linear('fc', h, 4 * 36, 3);
  const info = { name: 'conv-net', inputShape: [2, 6, 6] as [number, number, number], numClasses: 3 };
  return buildModel(on, g, { ...info, representationNode: h }, initParameters(g, 5));
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5);
}

it.each([
  ['one pass', () => engine],
  ['a batch split into passes', () => chunking],
])(
  'parameterGradients (%s): the same parameter gradients as backward, bit for bit, without the input gradient',
  async (_, on) => {
    const engine = on();
    const model = convNet(engine);
    expect(model.maxBatchPerPass() < 4).toBe(engine === chunking);
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
  },
);

/** Three parameters of awkward sizes and a seeded gradient for each, per step. */
function problem(steps: number) {
  const shapes: Record<string, number[]> = { a: [3, 7, 5], b: [13], c: [4, 4] };
  const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
  const init = Object.entries(shapes).map(([name, s], k) => [name, seeded(size(s), 10 + k)] as const);
  const grads = Array.from({ length: steps }, (_, t) =>
    Object.entries(shapes).map(([name, s], k) => [name, seeded(size(s), 100 * t + k)] as const),
  );
  const tensors = (values: readonly (readonly [string, Float32Array])[]) =>
    new Map(values.map(([name, v]) => [name, Tensor.from(engine, v, shapes[name]!)]));
  return { shapes, init, grads, tensors };
}

async function download(m: Map<string, Tensor>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, t] of m) out.set(name, await t.download());
  return out;
}

const lrAt = (t: number) => 0.01 / (1 + t); // a schedule: the uniform carries each step's value

it('one optimizer dispatch updates every parameter, bit for bit like the per-tensor Adam, SGD and AdamW', async () => {
  const steps = 4;
  const { init, grads, tensors } = problem(steps);
  const adam: AdamHyper = { lr: 1, weightDecay: 0.01 };
  const adamw: AdamHyper = { lr: 1, weightDecay: 0.1, decoupled: true, beta1: 0.8 };
  const sgd: SgdHyper = { lr: 1, momentum: 0.9, weightDecay: 0.01 };
  const variants = [
    { reference: 'adam', hyper: adam, optimizer: new Adam(adam) },
    { reference: 'adamw', hyper: adamw, optimizer: new Adam(adamw) },
    { reference: 'sgd', hyper: sgd, optimizer: new Sgd(sgd) },
  ];
  for (const { reference, hyper, optimizer } of variants) {
    const flat = tensors(init);
    const perTensor = tensors(init);
    const state = new Map([...perTensor].map(([name, p]) => [name, [0, 1].map(() => Tensor.zeros(engine, p.shape))]));
    for (let t = 0; t < steps; t++) {
      const g = tensors(grads[t]!);
      optimizer.lr = lrAt(t);
      const before = engine.stats.dispatches;
      optimizer.step(flat, g);
      expect(engine.stats.dispatches - before, `${reference}: dispatches of one step`).toBe(1);
      for (const [name, p] of perTensor) {
        const [m, v] = state.get(name)!;
        if (reference === 'sgd') sgdStep(p, g.get(name)!, m!, { ...sgd, lr: lrAt(t) });
        else adamStep(p, g.get(name)!, m!, v!, t + 1, { ...hyper, lr: lrAt(t) });
      }
      for (const x of g.values()) x.dispose();
    }
    const [a, b] = [await download(flat), await download(perTensor)];
    for (const [name, want] of b) {
      const got = a.get(name)!;
      expect(
        got.findIndex((v, i) => !Object.is(v, want[i])),
        `${reference} ${name}`,
      ).toBe(-1);
      expect(got).not.toEqual(init.find(([n]) => n === name)![1]); // it moved
    }
    for (const t of [...flat.values(), ...perTensor.values(), ...[...state.values()].flat()]) t.dispose();
    optimizer.dispose();
  }
});

it('a replayed training step encodes the captured commands and nothing new: no pipeline, buffer or op-layer dispatch', async () => {
  const model = convNet();
  const count = 8;
  const data = { images: seeded(count * 72, 3).map((v) => v + 0.5), labels: [0, 1, 2, 0, 1, 2, 0, 1], count };
  const optimizer = new Adam({ lr: 0.01 });
  const perStep: { dispatches: number; replayed: number; pipelines: number; buffers: number }[] = [];
  const snapshot = () => ({ ...engine.stats, buffers: engine.poolStats().created });
  let last = snapshot();
  await train(model, data, {
    optimizer,
    epochs: 3,
    batchSize: 4,
    reportEvery: 1,
    maxSteps: 5,
    onReport: () => {
      const now = snapshot();
      perStep.push({
        dispatches: now.dispatches - last.dispatches,
        replayed: now.replayed - last.replayed,
        pipelines: now.pipelines - last.pipelines,
        buffers: now.buffers - last.buffers,
      });
      last = now;
    },
  });
  expect(perStep[0]!.replayed).toBe(0); // step 1 is captured
  expect(perStep[0]!.dispatches).toBeGreaterThan(5);
  for (const s of perStep.slice(1)) {
    // every dispatch of a later step is the capture's, encoded again
    expect(s).toEqual({
      dispatches: perStep[0]!.dispatches,
      replayed: perStep[0]!.dispatches,
      pipelines: 0,
      buffers: 0,
    });
  }
  optimizer.dispose();
  model.dispose();
});
