/**
 * Issue #12's limits and guards on explain(): the step maximum, Blur IG's σ bound and missing
 * baseline, no buffer left live by a refused or failing call, SmoothGrad and large batches within
 * the memory budget, non-finite values detected inside the network, inputs checked by shape, and
 * cancellation / progress between chunks; Guided IG, gig-idgi and IG2 in image groups within the budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { PathlightError } from '../src/errors.js';
import { loadZooModel } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { cpuFunction, explain, MAX_STEPS, rowsForBudget, type Explanation, type ExplainOptions } from '../src/index.js';
import { loadSample } from '../src/data/samples.js';

let engine: Engine;
let lenet: Model;
beforeAll(async () => {
  engine = await createEngine();
  lenet = await loadZooModel(engine, 'lenet');
});
afterAll(() => {
  lenet?.dispose();
  engine?.dispose();
});

const digit = (i = 0) => loadSample('mnist', i).image;
const digits = (n: number) => {
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n; i++) out.set(digit(i % 8), i * 784);
  return out;
};

/** The call's rejection: a one-line PathlightError, with the pool's live counts where they were. */
async function refused(run: () => Promise<unknown>): Promise<string> {
  await engine.sync();
  const before = engine.poolStats();
  const e = await run().then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'the call was not refused').toBeInstanceOf(PathlightError);
  const message = (e as Error).message;
  expect(message.includes('\n'), `not one line: ${message}`).toBe(false);
  const after = engine.poolStats();
  expect([after.liveBuffers, after.liveBytes], `live buffers after: ${message}`).toEqual([
    before.liveBuffers,
    before.liveBytes,
  ]);
  return message;
}

describe('limits', () => {
  it(`steps: 1e9 fails fast, naming steps and the maximum (${MAX_STEPS})`, async () => {
    const t0 = performance.now();
    const m = await refused(() => explain(engine, lenet, digit(), { method: 'ig', steps: 1e9 }));
    expect(m).toMatch(new RegExp(`steps 1000000000 is above the maximum ${MAX_STEPS}`));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await refused(() => explain(engine, lenet, digit(), { method: 'gig', steps: MAX_STEPS + 1 }))).toMatch(
      /gig: steps/,
    );
  });

  it('Blur IG: maxSigma is bounded (1e9 is a one-line error, nothing leaked); a baseline is refused', async () => {
    expect(
      await refused(() =>
        explain(engine, lenet, digit(), { method: 'blurig', steps: 4, methodOptions: { maxSigma: 1e9 } }),
      ),
    ).toMatch(/blurig: maxSigma must be a number in \(0, 1000\], got 1000000000/);
    expect(
      await refused(() => explain(engine, lenet, digit(), { method: 'blurig', steps: 4, baseline: 'black' })),
    ).toMatch(/Blur IG's path starts at the blurred image/);
    expect(
      await refused(() => explain(engine, lenet, digit(), { method: 'blurig-idgi', steps: 4, baseline: 'white' })),
    ).toMatch(/^blurig-idgi: /);
    expect(
      await refused(() => explain(engine, lenet, digit(), { method: 'ig', steps: 4, baseline: { blur: 1e9 } })),
    ).toMatch(/sigma 0 must be a number in \[0, 1000\]/);
    // σ = 10 on a 5×5 image (PAIR's test vector) stays allowed: the bound is absolute
    const fn = cpuFunction((p, shape) => ({ f: new Float32Array(shape[0]!), grad: new Float32Array(p.length) }), {
      inputShape: [1, 5, 5],
      batchSize: 8,
    });
    const r = await explain(engine, fn, new Float32Array(25).fill(0.5), {
      method: 'blurig',
      steps: 4,
      methodOptions: { maxSigma: 10 },
    });
    expect(r.attribution.length).toBe(25);
  });

  it('a function that throws part-way leaves no buffer live (every walker frees its own)', async () => {
    for (const method of ['ig', 'idgi', 'blurig', 'gig-idgi', 'smoothgrad']) {
      let calls = 0;
      const fn = cpuFunction(
        (p, shape) => {
          if (++calls === 2) throw new PathlightError(`test function fails on call 2 (${method})`);
          return { f: new Float32Array(shape[0]!), grad: new Float32Array(p.length) };
        },
        { inputShape: [1, 6, 6], batchSize: 3 },
      );
      const options: ExplainOptions<string> =
        method === 'smoothgrad' ? { method: 'ig', steps: 4, smoothgrad: { samples: 4 } } : { method, steps: 6 };
      expect(
        await refused(() => explain(engine, fn, new Float32Array(72).fill(0.3), { target: 0, ...options })),
      ).toMatch(/fails on call 2/);
    }
  });

  it('SmoothGrad on 200 LeNet images: peak live bytes ≤ 1.5 × the budget, free pool bytes after ≤ the cap', async () => {
    // 16 MiB and 10 samples: 2 000 noisy rows need ~170 MB at once unchunked, and the test stays short
    const budget = 16 << 20;
    await engine.sync();
    engine.trim(0);
    const pool = (engine as unknown as { pool: { resetPeak(): void } }).pool;
    pool.resetPeak();
    const base = engine.poolStats().liveBytes;
    const r = await explain(engine, lenet, digits(200), {
      method: 'grad',
      smoothgrad: { samples: 10 },
      memoryBudgetBytes: budget,
      seed: 1,
    });
    const s = engine.poolStats();
    console.log(
      `SmoothGrad, 200 LeNet images × 10 samples, budget ${budget >> 20} MiB: peak live ${((s.peakLiveBytes - base) / 2 ** 20).toFixed(1)} MiB, free after ${(s.freeBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(r.images.length).toBe(200);
    expect(r.attribution.every(Number.isFinite)).toBe(true);
    expect(s.peakLiveBytes - base, `peak ${(s.peakLiveBytes / 2 ** 20).toFixed(1)} MiB`).toBeLessThanOrEqual(
      1.5 * budget,
    );
    expect(s.freeBytes).toBeLessThanOrEqual(budget);
  });

  it('SmoothGrad in chunks gives the same seeded result as one batch; so do image groups', async () => {
    const x = digits(6);
    const options = { method: 'ig', steps: 4, target: 3, seed: 5, smoothgrad: { samples: 5 } } as const;
    const whole = await explain(engine, lenet, x, options);
    const chunked = await explain(engine, lenet, x, { ...options, memoryBudgetBytes: 100_000 }); // one row per chunk
    expect(Math.max(...whole.attribution.map((v, i) => Math.abs(v - chunked.attribution[i]!)))).toBeLessThan(
      1e-5 * Math.max(...whole.attribution.map(Math.abs)),
    );
    const ig = { method: 'idgi', steps: 8, target: 3 } as const;
    const one = await explain(engine, lenet, x, ig);
    const groups = await explain(engine, lenet, x, { ...ig, memoryBudgetBytes: 100_000 });
    expect(groups.images.map((im) => im.sum)).toEqual(one.images.map((im) => expect.closeTo(im.sum, 4)));
  });
});

describe('Guided IG and IG2 within the memory budget', () => {
  /** Peak live pool bytes of `run` above what was live before it. */
  async function peakOf(run: () => Promise<unknown>): Promise<number> {
    await engine.sync();
    engine.trim(0);
    engine.pool.resetPeak();
    const base = engine.poolStats().liveBytes;
    await run();
    return engine.poolStats().peakLiveBytes - base;
  }

  it('Guided IG and gig-idgi on 96 LeNet images: peak live bytes ≤ 1.5 × the budget, equal to one batch, progress rising over the call', async () => {
    const budget = 4 << 20; // fewer LeNet rows than images: 96 images run in groups
    expect(rowsForBudget(lenet, budget)).toBeLessThan(96);
    const x = digits(96);
    for (const method of ['gig', 'gig-idgi']) {
      const options = { method, steps: 6, target: 3 } as const;
      const whole = await explain(engine, lenet, x, options);
      const seen: [number, number][] = [];
      let split: Explanation | null = null;
      const peak = await peakOf(
        async () =>
          (split = await explain(engine, lenet, x, {
            ...options,
            memoryBudgetBytes: budget,
            onProgress: (d, t) => seen.push([d, t]),
          })),
      );
      console.log(
        `${method}, 96 LeNet images, budget ${budget >> 20} MiB: peak live ${(peak / 2 ** 20).toFixed(2)} MiB`,
      );
      expect(peak, method).toBeLessThanOrEqual(1.5 * budget);
      const diff = Math.max(...whole.attribution.map((v, i) => Math.abs(v - split!.attribution[i]!)));
      expect(diff, method).toBeLessThanOrEqual(1e-6 * Math.max(...whole.attribution.map(Math.abs)));
      expect(split!.images.map((im) => im.droppedDelta)).toEqual(
        whole.images.map((im) => expect.closeTo(im.droppedDelta, 5)),
      );
      progressRises(seen);
    }
  });

  it('IG2 chunked over images: progress rises over the whole call, to its total', async () => {
    const references = digits(10).subarray(8 * 784);
    const seen: [number, number][] = [];
    const options = { method: 'ig2', steps: 4, target: 3, methodOptions: { references, stepSize: 0.5 } } as const;
    const whole = await explain(engine, lenet, digits(5), options);
    const split = await explain(engine, lenet, digits(5), {
      ...options,
      memoryBudgetBytes: budgetFor(4),
      onProgress: (d, t) => seen.push([d, t]),
    });
    progressRises(seen);
    expect(seen.at(-1)![1]).toBe(5 * 5); // one image (2R = 4 rows) a group, steps + 1 points each
    expect(Math.max(...whole.attribution.map((v, i) => Math.abs(v - split.attribution[i]!)))).toBeLessThanOrEqual(
      1e-6 * Math.max(...whole.attribution.map(Math.abs)),
    );
  });
});

/** The smallest budget (in KiB steps) that gives `rows` LeNet rows. */
function budgetFor(rows: number): number {
  let bytes = 1024;
  while (rowsForBudget(lenet, bytes) < rows) bytes += 1024;
  return bytes;
}

/** onProgress calls: done strictly rising, one total throughout, ending at it. */
function progressRises(seen: [number, number][]): void {
  expect(seen.length).toBeGreaterThan(1);
  const total = seen[0]![1];
  for (let i = 1; i < seen.length; i++)
    expect(seen[i]![0], `call ${i}: ${seen[i - 1]} then ${seen[i]}`).toBeGreaterThan(seen[i - 1]![0]);
  expect(seen.every(([, t]) => t === total)).toBe(true);
  expect(seen.at(-1)![0]).toBe(total);
}

describe('non-finite values', () => {
  it('an input of ±3e38 overflows inside LeNet: the call fails naming f(x); checkFinite: false lets it through', async () => {
    const x = Float32Array.from({ length: 784 }, (_, i) => (i % 2 ? 3e38 : -3e38));
    expect(await refused(() => explain(engine, lenet, x, { method: 'ig', steps: 4 }))).toMatch(
      /input 0: f\(x\) is NaN/,
    );
    const r = await explain(engine, lenet, x, { method: 'ig', steps: 4, target: 1, checkFinite: false });
    expect(r.images[0]!.fx).toBeNaN();
  });

  it('a function that returns a non-finite gradient or f is named, with the batch and the value (issue #22: as it returns it)', async () => {
    const huge = cpuFunction(
      (p, shape) => ({ f: new Float32Array(shape[0]!), grad: new Float32Array(p.length).fill(Infinity) }),
      { inputShape: [4], batchSize: 8 },
    );
    expect(await refused(() => explain(engine, huge, new Float32Array(4).fill(1), { method: 'ig', steps: 4 }))).toMatch(
      /^cpuFunction: the function's grad on batch 1 of 1 \(rows 0–4 of 5\): non-finite value Infinity at index 0$/,
    );
    const nanAtZero = cpuFunction(
      (p, shape) => ({
        f: Float32Array.from({ length: shape[0]! }, (_, r) => (p[4 * r] === 0 ? NaN : p[4 * r]!)),
        grad: new Float32Array(p.length),
      }),
      { inputShape: [4], batchSize: 8 },
    );
    expect(await refused(() => explain(engine, nanAtZero, new Float32Array(4).fill(1), { method: 'grad' }))).toMatch(
      /the function's f on batch 1 of 1 \(rows 0–1 of 2\): non-finite value NaN at index 0/,
    );
  });

  it('two readbacks per call, with the check on', async () => {
    await engine.sync();
    const before = engine.stats.readbacks;
    await explain(engine, lenet, digit(), { method: 'ig', steps: 8 });
    expect(engine.stats.readbacks - before).toBe(2);
  });
});

describe('inputs by shape', () => {
  it('a flat Float32Array must be a whole number of inputs; { data, shape } is checked by shape', async () => {
    expect(await refused(() => explain(engine, lenet, new Float32Array(785), { method: 'grad' }))).toMatch(
      /785 values, not a whole number of inputs of shape \[1, 28, 28\]/,
    );
    expect(
      await refused(() =>
        explain(engine, lenet, { data: new Float32Array(784), shape: [28, 28, 1] }, { method: 'grad' }),
      ),
    ).toMatch(/input has shape \[28, 28, 1\], expected \[N, 1, 28, 28\]/);
    expect(
      await refused(() => explain(engine, lenet, { data: new Float32Array(784), shape: [784] }, { method: 'grad' })),
    ).toMatch(/input has shape \[784\]/);
    expect(
      await refused(() =>
        explain(engine, lenet, { data: new Float32Array(10), shape: [1, 1, 28, 28] }, { method: 'grad' }),
      ),
    ).toMatch(/data must be a Float32Array of 784 values/);
    const r = await explain(engine, lenet, { data: digits(2), shape: [2, 1, 28, 28] }, { method: 'grad' });
    expect(r.shape).toEqual([2, 1, 28, 28]);
  });

  it("a loader's { model, notes } is explained as its model; another wrapper gets a hint (issue #22)", async () => {
    const direct = await explain(engine, lenet, digit(), { method: 'grad' });
    const wrapped = await explain(engine, { model: lenet, notes: [] }, digit(), { method: 'grad' });
    expect(wrapped.attribution).toEqual(direct.attribution);
    expect(await refused(() => explain(engine, { model: lenet } as never, digit(), { method: 'grad' }))).toMatch(
      /\(a loader's result: pass its \.model\)$/,
    );
  });

  it('non-finite options are refused', async () => {
    expect(await refused(() => explain(engine, lenet, digit(), { method: 'grad', seed: NaN }))).toMatch(
      /seed must be a finite number, got NaN/,
    );
    expect(
      await refused(() => explain(engine, lenet, digit(), { method: 'grad', memoryBudgetBytes: Infinity })),
    ).toMatch(/memoryBudgetBytes/);
    expect(
      await refused(() =>
        explain(engine, lenet, digit(), { method: 'grad', checkFinite: 'yes' as unknown as boolean }),
      ),
    ).toMatch(/checkFinite must be true or false/);
  });
});

describe('cancellation and progress', () => {
  it('an aborted signal rejects before any GPU work, and mid-walk, freeing every buffer', async () => {
    const early = new AbortController();
    early.abort();
    const m = await refused(() => explain(engine, lenet, digit(), { method: 'ig', steps: 16, signal: early.signal }));
    expect(m).toMatch(/explain: aborted/);
    const mid = new AbortController();
    let calls = 0;
    const onProgress = () => void (++calls === 2 && mid.abort());
    const e = await refused(() =>
      explain(engine, lenet, digits(4), {
        method: 'idgi',
        steps: 256,
        memoryBudgetBytes: 200_000,
        signal: mid.signal,
        onProgress,
      }),
    );
    expect(e).toMatch(/aborted/);
    const err = await explain(engine, lenet, digit(), { method: 'ig', signal: early.signal }).catch((x: Error) => x);
    expect((err as Error).name).toBe('AbortError');
  });

  it('onProgress reports path points up to the total, in order, as the GPU finishes them', async () => {
    const seen: [number, number][] = [];
    await explain(engine, lenet, digits(3), {
      method: 'ig',
      steps: 64,
      memoryBudgetBytes: 200_000,
      onProgress: (d, t) => seen.push([d, t]),
    });
    expect(seen.length).toBeGreaterThan(1);
    const [done, total] = seen.at(-1)!;
    expect(done).toBe(total);
    expect(total % 65).toBe(0); // trapezoid: 64 intervals, 65 points per group of images
    for (let i = 1; i < seen.length; i++) expect(seen[i]![0]).toBeGreaterThan(seen[i - 1]![0]);
  });
});
