/**
 * Tuning (src/gpu/tuning.ts) in Node: matmul's tilings give bitwise-identical results (so its
 * tunable is exact), autotune times candidates once per adapter and geometry, and a second engine
 * on the same adapter — from the process's memory or from the cache file — times nothing and
 * compiles only the chosen pipelines. Cache files live in a temporary folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { adapterKey, clearTuningMemory, type Tunable } from '../src/gpu/tuning.js';
import { Tensor } from '../src/tensor/tensor.js';
import { matmul, matmulWith, MATMUL_TUNABLE } from '../src/ops/matmul.js';
import { conv2d, conv2dBackwardInput } from '../src/ops/conv2d.js';
import { expectClose } from './harness/assert.js';
import { Rng, asF32 } from './harness/random.js';
import * as ref from './reference/linear.js';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-tuning-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('matmul tilings', () => {
  let engine: Engine;
  beforeAll(async () => (engine = await createEngine()));
  afterAll(() => engine?.dispose());

  // small (the small-block candidates) and n·k > 4096 (the big blocks too); odd k: scalar tails
  const geometries = [
    { m: 13, n: 12, k: 20, transA: false, transB: true, bias: true, relu: true },
    { m: 9, n: 36, k: 117, transA: false, transB: false, bias: false, relu: false },
    { m: 16, n: 10, k: 24, transA: true, transB: false, bias: false, relu: false },
  ];
  for (const g of geometries)
    it(`every candidate is bitwise identical to the default, which matches float64: ${JSON.stringify(g)}`, async () => {
      const rng = new Rng(g.n + g.k);
      const a = asF32(rng.uniform(g.m * g.k));
      const b = asF32(rng.uniform(g.k * g.n));
      const bias = asF32(rng.uniform(g.n));
      // the reference takes A as [m, k] and B as [k, n]: lay the transposed operands out accordingly
      const ta = Tensor.from(engine, g.transA ? transpose(a, g.m, g.k) : a, g.transA ? [g.k, g.m] : [g.m, g.k]);
      const tb = Tensor.from(engine, g.transB ? transpose(b, g.k, g.n) : b, g.transB ? [g.n, g.k] : [g.k, g.n]);
      const tbias = Tensor.from(engine, bias, [g.n]);
      const opts = { transA: g.transA, transB: g.transB, bias: g.bias ? tbias : undefined, relu: g.relu };
      const shape = { batch: 0, broadcastB: false, mask: false, ...g };
      const candidates = MATMUL_TUNABLE.variants(shape, engine.adapter);
      expect(candidates.length).toBeGreaterThan(1);
      const reference = await matmul(ta, tb, opts).download();
      const expected = ref.matmul(a, b, g.m, g.n, g.k, { bias: g.bias ? bias : undefined, relu: g.relu });
      expectClose(reference, expected, { rtol: 1e-5, atol: 1e-5 }, 'default tiling vs float64');
      for (const tiling of candidates) {
        const got = await matmulWith(ta, tb, { ...opts, tiling }).download();
        const differs = new Uint32Array(got.buffer).findIndex(
          (bits, i) => bits !== new Uint32Array(reference.buffer)[i],
        );
        expect(differs, `${MATMUL_TUNABLE.id(tiling)}: first differing element`).toBe(-1);
      }
      for (const t of [ta, tb, tbias]) t.dispose();
    });
});

function transpose(x: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c]!;
  return t;
}

/** Two matmul geometries (a linear layer and its input gradient), built once per engine. */
function work(engine: Engine): { run: () => void; dispose: () => void } {
  const x = Tensor.zeros(engine, [6, 20]);
  const w = Tensor.zeros(engine, [12, 20]);
  const bias = Tensor.zeros(engine, [12]);
  return {
    run: () => {
      const y = matmul(x, w, { transB: true, bias });
      matmul(y, w).dispose();
      y.dispose();
    },
    dispose: () => [x, w, bias].forEach((t) => t.dispose()),
  };
}

describe('autotune', () => {
  it('times each geometry once; a second engine on the same adapter compiles only the chosen pipelines', async () => {
    clearTuningMemory();
    const cache = join(dir, 'tuning.json');
    const plain = await createEngine();
    const job0 = work(plain);
    const { pipelines: programs } = await plain.prepare(job0.run); // the programs the work uses, default tuning
    expect(plain.tuning.trials).toBe(0);
    expect(plain.tuning.digest()).toBe('default');
    job0.dispose();
    plain.dispose();

    const first = await createEngine({ tuning: 'auto', tuningCache: cache, ownDevice: true });
    const job1 = work(first);
    await first.prepare(job1.run);
    expect(first.tuning.trials).toBeGreaterThan(0);
    expect(first.tuning.hasPending).toBe(false);
    const chosen = first.tuning.choices();
    expect(Object.keys(chosen).sort()).toEqual(['matmul|NN n=20 k=12', 'matmul|NT n=12 k=20']);
    expect(first.tuning.digest()).toBe('default'); // matmul is exact: its choices cannot change results
    const file = JSON.parse(readFileSync(cache, 'utf8'));
    expect(file.adapters[adapterKey(first.adapter)]).toEqual(chosen);
    job1.dispose();
    first.dispose();

    for (const from of ['memory', 'file']) {
      if (from === 'file') clearTuningMemory(); // as a fresh process would start
      const second = await createEngine({ tuning: 'auto', tuningCache: cache, ownDevice: true });
      const job = work(second);
      const { pipelines } = await second.prepare(job.run);
      job.run();
      await second.sync();
      expect(second.tuning.trials, from).toBe(0);
      expect(pipelines, from).toBe(programs);
      expect(second.stats.pipelines, from).toBe(programs); // the real run compiled nothing more
      expect(second.tuning.choices(), from).toEqual(chosen);
      job.dispose();
      second.dispose();
    }
  });

  it('keeps a faster variant, and an inexact tunable tuned away from its default changes the digest', async () => {
    const spin = (ms: number) => {
      for (const t0 = performance.now(); performance.now() - t0 < ms;);
    };
    const fake: Tunable<string, string> = {
      name: 'test-inexact',
      exact: false,
      key: (g) => g,
      default: () => 'slow',
      variants: () => ['slow', 'fast'],
      id: (v) => v,
      trial: (_engine, _g, v) => ({ run: () => spin(v === 'slow' ? 4 : 0), dispose: () => {} }),
    };
    const engine = await createEngine({ tuning: 'auto' });
    const g = `geometry-${Math.random()}`;
    expect(engine.tuning.choose(fake, g)).toBe('slow'); // untuned: the default meanwhile, queued
    expect(engine.tuning.digest()).toBe('default');
    expect(await engine.tune()).toBe(1);
    expect(engine.tuning.choose(fake, g)).toBe('fast');
    expect(engine.tuning.choices()[`test-inexact|${g}`]).toBe('fast');
    expect(engine.tuning.digest()).toMatch(/^tuned-[0-9a-f]{8}$/);
    engine.dispose();

    // a cached choice that is no longer a candidate: the default meanwhile, and tuned again
    const stale = join(dir, 'stale.json');
    const entries = { [`test-inexact|${g}-stale`]: 'gone' };
    writeFileSync(stale, JSON.stringify({ version: 1, adapters: { [adapterKey(engine.adapter)]: entries } }));
    const again = await createEngine({ tuning: 'auto', tuningCache: stale });
    expect(again.tuning.choose(fake, `${g}-stale`)).toBe('slow');
    expect(again.tuning.hasPending).toBe(true);
    expect(await again.tune()).toBe(1);
    expect(JSON.parse(readFileSync(stale, 'utf8')).adapters[adapterKey(again.adapter)][`test-inexact|${g}-stale`]).toBe(
      'fast',
    );
    again.dispose();
  });

  it('conv2d plugs in: auto times its candidates once per direction, and its choice gives the default bits', async () => {
    clearTuningMemory();
    const rng = new Rng(7);
    const [xv, wv] = [asF32(rng.normal(2 * 3 * 9 * 9)), asF32(rng.normal(4 * 3 * 3 * 3))];
    const p = { padding: 1 };
    const convs = async (engine: Engine) => {
      const [x, w] = [Tensor.from(engine, xv, [2, 3, 9, 9]), Tensor.from(engine, wv, [4, 3, 3, 3])];
      const run = () => {
        const y = conv2d(x, w, null, p);
        return [y, conv2dBackwardInput(y, w, x.shape, p)];
      };
      await engine.prepare(() => run().forEach((t) => t.dispose()));
      const out = run();
      const got = await Promise.all(out.map((t) => t.download()));
      [...out, x, w].forEach((t) => t.dispose());
      return got;
    };
    const plain = await createEngine({ ownDevice: true });
    const want = await convs(plain);
    plain.dispose();
    const auto = await createEngine({ tuning: 'auto', ownDevice: true });
    const got = await convs(auto);
    const keys = Object.keys(auto.tuning.choices()).filter((k) => k.startsWith('conv2d|'));
    expect(keys.map((k) => k.split(' ')[0])).toEqual(['conv2d|forward', 'conv2d|inputGradient']);
    expect(auto.tuning.trials).toBeGreaterThan(0);
    expect(auto.tuning.digest()).toBe('default'); // exact: any choice keeps the bits
    got.forEach((g, i) => expect(Buffer.from(g.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true));
    auto.dispose();
  });

  it('bad options and a bad cache file are one-line errors naming them', async () => {
    await expect(createEngine({ tuning: 'fast' as 'auto' })).rejects.toThrow(
      /^engine: tuning must be 'default' or 'auto', got 'fast'$/,
    );
    await expect(createEngine({ tuningCache: join(dir, 'x.json') })).rejects.toThrow(/only with tuning: 'auto'/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "adapters": ');
    await expect(createEngine({ tuning: 'auto', tuningCache: bad })).rejects.toThrow(`tuningCache: ${bad} is not JSON`);
    writeFileSync(bad, '{"version": 2, "adapters": {}}');
    await expect(createEngine({ tuning: 'auto', tuningCache: bad })).rejects.toThrow(/is not a version-1 tuning cache/);
  });
});
