/**
 * Capture once, replay many (src/gpu/capture.ts, src/tensor/replay-cache.ts): a replayed explanation
 * equals the same call with replay off bit for bit, replays every chunk and step after the first of
 * its shape, leaks nothing, and a capture holds its intermediates out of the pool while it lives.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import '../src/index.js';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { ReplayCache } from '../src/tensor/replay-cache.js';
import { explain, type ExplainOptions } from '../src/attribution/index.js';
import { loadZooModel } from '../src/models/load.js';
import { modelSubject } from '../src/attribution/model-subject.js';
import { Tensor } from '../src/tensor/tensor.js';
import { relu } from '../src/ops/relu.js';
import { add } from '../src/ops/add.js';
import { sumAxis } from '../src/ops/reduce.js';

let on: Engine;
let off: Engine;
beforeAll(async () => {
  on = await createEngine({ ownDevice: true });
  off = await createEngine({ ownDevice: true, replay: false });
});
afterAll(() => {
  on.dispose();
  off.dispose();
});

const images = (n: number, size: number) =>
  Float32Array.from({ length: n * size }, (_, i) => ((i * 7919) % 101) / 101 - 0.3);

const CASES: [string, ExplainOptions][] = [
  ['lenet', { method: 'gig', steps: 12, target: 3 }],
  ['lenet', { method: 'ig', steps: 40, target: 'auto', memoryBudgetBytes: 1 << 20 }],
  ['lenet', { method: 'idgi', steps: 48, target: [1, 2], memoryBudgetBytes: 1 << 20 }],
  ['lenet', { method: 'gig', steps: 5, target: [4, 0], smoothgrad: { samples: 2 } }],
  ['lenet', { method: 'ig2', steps: 6, target: 5, methodOptions: { references: images(2, 784) } }],
  ['resnet', { method: 'gig', steps: 6, target: 2 }],
];

for (const [name, options] of CASES) {
  it(`${name} ${options.method}-${options.steps}${options.smoothgrad ? ' smoothgrad' : ''}${options.memoryBudgetBytes ? ' in chunks' : ''}: replayed equals not replayed, bit for bit; replays every later step or chunk; no leak`, async () => {
    const [a, b] = await Promise.all([loadZooModel(on, name), loadZooModel(off, name)]);
    const n = Array.isArray(options.target) ? options.target.length : 1;
    const x = images(
      n,
      a.info.inputShape.reduce((p, q) => p * q, 1),
    );
    await explain(on, a, x, options); // compiles
    const live = on.poolStats().liveBuffers;
    const s = { ...on.stats };
    // evaluations of the shape of the one before are replays
    const subject = modelSubject(a);
    const evaluate = subject.evaluate;
    let repeats = 0;
    let last = '';
    subject.evaluate = (points, r) => {
      const key = `${points.shape} ${r.pointsPerImage}`;
      const withGrad = (r.want as readonly string[]).includes('grad');
      if (key === last && withGrad) repeats++;
      if (withGrad) last = key;
      return evaluate(points, r);
    };
    const replayed = await explain(on, a, x, options).finally(() => (subject.evaluate = evaluate));
    const dispatches = on.stats.dispatches - s.dispatches;
    const d0 = off.stats.dispatches;
    await explain(off, b, x, options);
    const plain = await explain(off, b, x, options);
    expect(Array.from(replayed.attribution)).toEqual(Array.from(plain.attribution));
    expect(replayed.images).toEqual(plain.images);
    expect(dispatches, 'replay records the same dispatches').toBe((off.stats.dispatches - d0) / 2);
    expect(off.stats.replayed).toBe(0);
    // IG2 searches through its own step, the same shape for every step with a gradient after the first
    if (options.method === 'ig2') repeats = options.steps! - 1;
    expect(repeats, 'the case has repeated evaluations').toBeGreaterThan(0);
    // a forward + backward of LeNet is ≥ 10 dispatches
    expect(on.stats.replayed - s.replayed, 'dispatches replayed').toBeGreaterThanOrEqual(repeats * 10);
    expect(on.poolStats().liveBuffers, 'buffers live after the call').toBe(live);
  }, 300_000);
}

it('a recording replays on new input data, holds its intermediates out of the pool until disposed, keeps its uniforms through a cache clear, and records again for a new key', async () => {
  const e = on;
  const shape = [3, 5];
  const work = ([x]: readonly Tensor[]) => {
    const r = relu(x!);
    const y = add(r, x!);
    const sum = sumAxis(y, 1); // the strided sum binds a uniform of sizes
    r.dispose(); // free at the end: an intermediate the recording holds
    return [y, sum];
  };
  const sums = (v: number[]) => [0, 1, 2].map((row) => v.slice(5 * row, 5 * row + 5).reduce((a, b) => a + b, 0));
  const close = (got: Float32Array, want: number[]) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));
  const replay = new ReplayCache(e);
  const expected = (v: Float32Array) => Array.from(v, (t) => Math.fround(Math.max(t, 0) + t));
  const sentinels: Tensor[] = [];
  for (let k = 0; k < 3; k++) {
    const data = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i * 1.7 + k));
    const x = Tensor.from(e, data, shape);
    // a full uniform cache is cleared, but not of the uniforms a live recording binds
    if (k === 1) for (let i = 0; i < 5000; i++) e.constant(Uint32Array.of(i, 0x7e57), true);
    const before = e.stats.replayed;
    const [y, s] = replay.run('relu + x', [x], work);
    expect(e.stats.replayed - before, `run ${k}: replayed dispatches`).toBe(k === 0 ? 0 : 3);
    expect(Array.from(await y!.download())).toEqual(expected(data));
    close(await s!.download(), sums(expected(data)));
    s!.dispose();
    // a tensor taken from the pool now must not be the recording's intermediate: the next replay would overwrite it
    sentinels.push(Tensor.from(e, new Float32Array(15).fill(7), shape));
    for (const t of sentinels) expect(Array.from(await t.download())).toEqual(new Array(15).fill(7));
    x.dispose();
    y!.dispose();
  }
  sentinels.forEach((t) => t.dispose());
  // another key: the old recording goes, the new one is recorded (nothing replayed) and holds its own three
  const liveBefore = e.poolStats().liveBuffers;
  const small = Float32Array.from({ length: 10 }, (_, i) => i - 4.5);
  const x = Tensor.from(e, small, [2, 5]);
  const before = e.stats.replayed;
  const [y, s] = replay.run('relu + x, 2 rows', [x], work);
  expect(e.stats.replayed - before).toBe(0);
  expect(Array.from(await y!.download())).toEqual(expected(small));
  close(await s!.download(), sums(expected(small)).slice(0, 2));
  x.dispose();
  y!.dispose();
  s!.dispose();
  expect(e.poolStats().liveBuffers).toBe(liveBefore);
  const live = e.poolStats().liveBuffers;
  replay.dispose();
  expect(e.poolStats().liveBuffers, 'held input, outputs and intermediate go back').toBe(live - 4);
});

it('engine.capture replays what it encoded; engine.record is its deprecated alias; a dry run captures nothing', async () => {
  const e = on;
  const x = Tensor.from(e, Float32Array.of(-1, 2, -3, 4), [4]);
  const { result, capture } = e.capture(() => relu(x));
  const before = e.stats.replayed;
  e.write(x.buffer, Float32Array.of(5, -6, 7, -8));
  e.replay(capture);
  expect(e.stats.replayed - before).toBe(1);
  expect(Array.from(await result.download())).toEqual([5, 0, 7, 0]);
  const old = e.record(() => 1);
  expect(old.result).toBe(1);
  expect(old.recording.commands).toEqual([]);
  old.recording.dispose();
  capture.dispose();
  result.dispose();
  const seen: boolean[] = [];
  await e.prepare(() => void seen.push(e.isDryRun, e.replays, e.preparing));
  expect(seen).toEqual([true, false, true]);
  expect([e.isDryRun, e.replays]).toEqual([false, true]);
  x.dispose();
});
