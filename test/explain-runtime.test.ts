/**
 * explain()'s runtime under hostile callers (issue #22): a throwing onProgress rejects the call and
 * is never an unhandled rejection; a function's pending call ends at its timeoutMs or at an abort,
 * with its inputs alive until it settles and its late result disposed; a row over the memory
 * budget, a non-finite value from any callback (IG2's included), a model or tensor of another
 * engine and an unknown option key are refused in one line; each method reports the check that
 * fits it ('complete', 'approximate' for IG2, 'none'). LeNet is only refused here (nothing compiles
 * for it); a loader's { model, notes } is in limits.test.ts and IG2 on ResNet in event-loop.test.ts,
 * where those models' kernels are compiled anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { PathlightError } from '../src/errors.js';
import { loadZooModel } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { Tensor } from '../src/tensor/tensor.js';
import {
  cpuFunction,
  describeCheck,
  explain,
  gpuFunction,
  registerMethod,
  type ExplainOptions,
  type MethodInfo,
} from '../src/index.js';
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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The call's rejection (within `ms`: a hang fails the test instead of timing it out), and the
 * pool's live buffers where they were once `settled` (a pending function's end) has come.
 */
async function rejection(run: () => Promise<unknown>, ms = 5000, settled?: () => Promise<unknown>): Promise<Error> {
  await engine.sync();
  const before = engine.poolStats().liveBuffers;
  const e = await Promise.race([
    run().then(
      () => new Error('resolved'),
      (err: unknown) => err as Error,
    ),
    sleep(ms).then(() => new Error(`still pending after ${ms} ms`)),
  ]);
  expect(e, e.message).toBeInstanceOf(PathlightError);
  expect(e.message.includes('\n'), `not one line: ${e.message}`).toBe(false);
  await settled?.().then(() => sleep(10)); // its own reactions first
  expect(engine.poolStats().liveBuffers, `live buffers after: ${e.message}`).toBe(before);
  return e;
}

/** f = Σ x² per row, ∇f = 2x: a small CPU function. */
const square = (p: Float32Array, shape: number[]) => {
  const per = p.length / shape[0]!;
  return {
    f: Float32Array.from({ length: shape[0]! }, (_, r) =>
      p.subarray(r * per, (r + 1) * per).reduce((a, v) => a + v * v, 0),
    ),
    grad: p.map((v) => 2 * v),
  };
};

describe('onProgress', () => {
  it('a throwing or rejecting callback rejects explain with its error, never an unhandled rejection (one chunk: IG-16 on one image)', async () => {
    const unhandled: unknown[] = [];
    const listen = (e: unknown) => void unhandled.push(e);
    process.on('unhandledRejection', listen);
    const fn = cpuFunction(square, { inputShape: [3, 4, 4], batchSize: 64 });
    try {
      const callbacks: [string, ExplainOptions['onProgress']][] = [
        [
          'throws',
          () => {
            throw new Error('progress callback throws');
          },
        ],
        [
          'rejects',
          async () => {
            throw new Error('progress callback rejects');
          },
        ],
      ];
      for (const [name, onProgress] of callbacks) {
        const e = await explain(engine, fn, new Float32Array(48).fill(0.5), {
          method: 'ig',
          steps: 16,
          onProgress,
        }).catch((x: Error) => x);
        expect(e, name).toBeInstanceOf(Error);
        expect((e as Error).message).toBe(`progress callback ${name}`);
      }
      // a throw on the first of many chunks
      let calls = 0;
      const e = await explain(engine, fn, new Float32Array(48).fill(0.5), {
        method: 'ig',
        steps: 64,
        memoryBudgetBytes: 20_000,
        onProgress: () => {
          if (++calls === 1) throw new Error('first chunk');
        },
      }).catch((x: Error) => x);
      expect((e as Error).message).toBe('first chunk');
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listen);
    }
  });
});

describe('a function that does not return', () => {
  it('timeoutMs bounds each call of a cpuFunction and of a gpuFunction, naming the batch and the limit', async () => {
    let calls = 0;
    const cpu = cpuFunction((p, shape) => (++calls === 2 ? new Promise<never>(() => {}) : square(p, shape)), {
      inputShape: [4],
      batchSize: 4,
      timeoutMs: 50,
    });
    const e = await rejection(() => explain(engine, cpu, new Float32Array(4).fill(0.5), { method: 'ig', steps: 8 }));
    expect(e.message).toMatch(
      /^cpuFunction: the function, on batch 2 of 3 \(rows 4–7 of 9\), did not return within timeoutMs 50 ms$/,
    );
    // a GPU function's points stay live until it settles: here, 300 ms after its 50 ms bound
    let done!: Promise<unknown>;
    const gpu = gpuFunction(() => (done = sleep(300)) as never, { inputShape: [4], timeoutMs: 50, name: 'stuck' });
    expect(
      (
        await rejection(
          () => explain(engine, gpu, new Float32Array(4), { method: 'grad' }),
          5000,
          () => done,
        )
      ).message,
    ).toMatch(/^stuck: the function, on a batch of 1 rows, did not return within timeoutMs 50 ms$/);
    expect(() => cpuFunction(square, { inputShape: [4], batchSize: 4, timeoutMs: -1 })).toThrow(
      /timeoutMs must be a positive number/,
    );
  });

  it('an abort rejects while fn is pending; fn keeps its points alive until it settles, and its late result is disposed', async () => {
    let settled = false;
    let readLate = -1;
    let fnDone!: Promise<void>;
    const controller = new AbortController();
    const slow = gpuFunction(
      (points) => {
        const work = (async () => {
          await sleep(400);
          readLate = (await points.download()).length; // after explain freed its own buffers
          settled = true;
          return { f: Tensor.zeros(engine, [points.shape[0]!]), grad: Tensor.zeros(engine, points.shape) };
        })();
        fnDone = work.then(() => {});
        setTimeout(() => controller.abort(), 20);
        return work;
      },
      { inputShape: [3, 4, 4] },
    );
    await engine.sync();
    const before = engine.poolStats().liveBuffers;
    const e = await explain(engine, slow, new Float32Array(48).fill(0.2), {
      method: 'ig',
      steps: 4,
      signal: controller.signal,
    }).catch((x: Error) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(settled, 'explain waited for fn to settle').toBe(false);
    await fnDone;
    expect(readLate, 'fn read its points after the abort').toBe(5 * 48);
    await engine.sync();
    expect(engine.poolStats().liveBuffers).toBe(before);
  });

  it('an abort ends a cpuFunction that never resolves, and its IG2 callback', async () => {
    for (const method of ['ig', 'ig2']) {
      const controller = new AbortController();
      const never = () => (setTimeout(() => controller.abort(), 20), new Promise<never>(() => {}));
      const fn = cpuFunction(method === 'ig' ? never : square, { inputShape: [4], batchSize: 8, ig2: never });
      const e = await rejection(() =>
        explain(engine, fn, new Float32Array(4).fill(0.5), {
          method,
          steps: 4,
          signal: controller.signal,
          methodOptions: method === 'ig2' ? { references: new Float32Array(4) } : undefined,
        }),
      );
      expect(e.name, method).toBe('AbortError');
    }
  });
});

describe('rows and values', () => {
  it('a row over the memory budget is refused with the numbers, before any GPU work', async () => {
    const big = cpuFunction((p, shape) => ({ f: new Float32Array(shape[0]!), grad: new Float32Array(p.length) }), {
      inputShape: [4e6],
      batchSize: 1,
    });
    expect((await rejection(() => explain(engine, big, new Float32Array(4e6), { method: 'grad' }))).message).toBe(
      'explain: one row of cpuFunction [4000000] takes about 128000000 bytes of GPU memory, above memoryBudgetBytes 67108864; raise memoryBudgetBytes',
    );
    expect(
      (await rejection(() => explain(engine, lenet, digit(), { method: 'ig', steps: 4, memoryBudgetBytes: 10_000 })))
        .message,
    ).toMatch(
      /^explain: one row of lenet \[1, 28, 28\] takes about \d+ bytes of GPU memory, above memoryBudgetBytes 10000/,
    );
  });

  it('every value a CPU callback returns is checked, the IG2 distance and its gradient included', async () => {
    const refs = { references: Float32Array.of(0, 0, 0, 0) };
    const cases: [string, Parameters<typeof cpuFunction>[1]['ig2'], RegExp][] = [
      [
        'grad',
        (p, r, s) => ({ distance: new Float32Array(s[0]!).fill(1), grad: new Float32Array(p.length).fill(NaN) }),
        /the ig2 callback's grad on batch 1 of 1 \(rows 0–0 of 1\): non-finite value NaN at index 0/,
      ],
      [
        'distance',
        (p, r, s) => ({ distance: new Float32Array(s[0]!).fill(NaN), grad: p.map((v, i) => v - r[i]!) }),
        /the ig2 callback's distance .*: non-finite value NaN/,
      ],
    ];
    for (const [what, ig2, message] of cases) {
      const fn = cpuFunction(square, { inputShape: [4], batchSize: 8, ig2 });
      expect(
        (
          await rejection(() =>
            explain(engine, fn, new Float32Array(4).fill(0.5), { method: 'ig2', steps: 4, methodOptions: refs }),
          )
        ).message,
        what,
      ).toMatch(message);
    }
    const nanF = cpuFunction(
      (p, shape) => ({ f: new Float32Array(shape[0]!).fill(NaN), grad: new Float32Array(p.length) }),
      { inputShape: [4], batchSize: 8 },
    );
    expect((await rejection(() => explain(engine, nanF, new Float32Array(4), { method: 'grad' }))).message).toMatch(
      /^cpuFunction: the function's f on batch 1 of 1 .*: non-finite value NaN at index 0$/,
    );
  });

  it("a GPU function's non-finite IG2 distance or gradient reaches the outputs (the clip no longer hides it)", async () => {
    const f = (points: Tensor) => ({
      f: Tensor.zeros(engine, [points.shape[0]!]),
      grad: Tensor.zeros(engine, points.shape),
    });
    const cases: [string, (p: Tensor) => { distance: Tensor; grad: Tensor }, RegExp][] = [
      [
        'grad',
        (p) => ({
          distance: Tensor.zeros(engine, [p.shape[0]!]),
          grad: Tensor.from(engine, new Float32Array(p.size).fill(NaN), p.shape),
        }),
        /the attribution has non-finite values/,
      ],
      [
        'distance',
        (p) => ({
          distance: Tensor.from(engine, new Float32Array(p.shape[0]!).fill(NaN), [p.shape[0]!]),
          grad: Tensor.from(engine, new Float32Array(p.size).fill(1), p.shape),
        }),
        /f\(start\) is NaN/,
      ],
    ];
    for (const [what, ig2, message] of cases) {
      const fn = gpuFunction(f, { inputShape: [4], ig2 });
      expect(
        (
          await rejection(() =>
            explain(engine, fn, new Float32Array(4).fill(0.5), {
              method: 'ig2',
              steps: 4,
              methodOptions: { references: new Float32Array(4) },
            }),
          )
        ).message,
        what,
      ).toMatch(message);
    }
  });

  it('a model or a tensor from another engine is refused up front, in one line', async () => {
    const other = await createEngine();
    const model = await loadZooModel(other, 'lenet');
    const x = Tensor.from(other, digit(), [1, 1, 28, 28]);
    try {
      expect((await rejection(() => explain(engine, model, digit(), { method: 'grad' }))).message).toBe(
        'explain: model lenet lives on another engine than the one given (made by another createEngine()); load or make it with this engine',
      );
      expect((await rejection(() => explain(engine, lenet, x, { method: 'grad' }))).message).toMatch(
        /^explain: the input Tensor lives on another engine/,
      );
      expect(
        (await rejection(() => explain(engine, lenet, digit(), { method: 'ig', steps: 4, baseline: x }))).message,
      ).toMatch(/^explain: the baseline Tensor lives on another engine/);
    } finally {
      x.dispose();
      model.dispose();
      other.dispose();
    }
  });
});

describe('strictness', () => {
  it('an unknown option key is refused, naming it and the known ones', async () => {
    const m = (await rejection(() => explain(engine, lenet, digit(), { method: 'ig', stpes: 4 } as ExplainOptions)))
      .message;
    expect(m).toMatch(
      /^explain: unknown option 'stpes' \(known: method, steps, rule, baseline, target, targets, output, smoothgrad, memoryBudgetBytes, seed, methodOptions, blur, checkFinite, signal, onProgress, layer, neuron; /,
    );
  });
});

describe('the check that fits each method', () => {
  it('grad and gradxinput refuse a baseline (as Blur IG and IG2 do)', async () => {
    for (const method of ['grad', 'gradxinput']) {
      expect((await rejection(() => explain(engine, lenet, digit(), { method, baseline: 'white' }))).message).toMatch(
        new RegExp(`^${method}: the .* is taken at x alone and has no baseline; drop the baseline option`),
      );
    }
    expect(
      (
        await rejection(() =>
          explain(engine, lenet, digit(), {
            method: 'ig2',
            baseline: 'black',
            methodOptions: { references: digit(1) },
          }),
        )
      ).message,
    ).toMatch(/^ig2: IG2's path runs from x toward counterfactuals/);
  });

  it("r.images[i] reports 'complete' (IG, Blur IG), 'none' (grad, SmoothGrad) with their gaps, in words", async () => {
    const fn = cpuFunction(square, { inputShape: [1, 5, 5], batchSize: 64 });
    const x = Float32Array.from({ length: 25 }, (_, i) => i / 25);
    const ig = await explain(engine, fn, x, { method: 'ig', steps: 16 });
    expect([ig.check, ig.complete, ig.start, ig.images[0]!.check]).toEqual([
      'complete',
      true,
      'f(baseline)',
      'complete',
    ]);
    expect(ig.images[0]!.gap).toBe(ig.images[0]!.completenessError);
    expect(ig.images[0]!.gap).toBeLessThan(0.01); // Σ x² is smooth: the trapezoid rule is close
    expect(describeCheck(ig, ig.images[0]!)).toMatch(
      /^completeness error \d+\.\d{3} % \(Σ attr vs f\(x\) − f\(baseline\)\)$/,
    );
    const blur = await explain(engine, fn, x, { method: 'blurig', steps: 4 });
    expect([blur.images[0]!.check, blur.start]).toEqual(['complete', 'f(blur(x, maxSigma))']);
    for (const options of [{ method: 'grad' }, { method: 'ig', steps: 4, smoothgrad: { samples: 2 } }]) {
      const r = await explain(engine, fn, x, options);
      expect([r.check, r.complete, r.images[0]!.check, r.images[0]!.gap]).toEqual(['none', false, 'none', null]);
      expect(describeCheck(r, r.images[0]!)).toBe(`no completeness check (${options.method} promises none)`);
    }
  });

  it('a registered method declares its check (default complete; complete: false = none); a wrong one is refused', async () => {
    const run: MethodInfo['run'] = (ctx) => ({ attribution: Tensor.zeros(ctx.engine, ctx.x.shape) });
    registerMethod('test-check-default', { run, defaultSteps: 1, description: 'test' });
    registerMethod('test-check-old', { run, defaultSteps: 1, complete: false, description: 'test' });
    registerMethod('test-check-approximate', { run, defaultSteps: 1, check: 'approximate', description: 'test' });
    const checks = [];
    const fn = cpuFunction(square, { inputShape: [4], batchSize: 8 });
    for (const method of ['test-check-default', 'test-check-old', 'test-check-approximate'])
      checks.push((await explain(engine, fn, new Float32Array(4), { method })).images[0]!.check);
    expect(checks).toEqual(['complete', 'none', 'approximate']);
    expect(() =>
      registerMethod('test-check-bad', { run, defaultSteps: 1, check: 'exact' as never, description: 'test' }),
    ).toThrow(/check must be one of complete, approximate, none, got exact/);
  });
});
