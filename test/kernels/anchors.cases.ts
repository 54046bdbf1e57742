/**
 * The anchors' own test vectors (PAIR saliency's core tests, Captum's IG tests), run through
 * cpuFunction exactly as their callbacks are written: the callback returns f and ∇f for a batch
 * of points. Beside each PAIR vector, our default rule at the same tolerance.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose } from '../harness/assert.js';
import { cpuFunction, explain, type CpuFunctionResult } from '../../src/attribution/index.js';
import type { Engine } from '../../src/gpu/engine.js';
import { gaussianBlur as refBlur } from '../reference/methods/blur.js';

/** A cpuFunction from per-row f and ∇f of a function of D features; counts calls. */
function vectorFunction(d: number, f: (x: number[]) => number, grad: (x: number[]) => number[], batchSize = 256) {
  const calls = { count: 0, rows: [] as number[] };
  const fn = cpuFunction(
    (points, shape): CpuFunctionResult => {
      calls.count++;
      calls.rows.push(shape[0]!);
      const rows = shape[0]!;
      const fs = new Float32Array(rows);
      const gs = new Float32Array(rows * d);
      for (let r = 0; r < rows; r++) {
        const x = Array.from(points.subarray(r * d, (r + 1) * d));
        fs[r] = f(x);
        gs.set(grad(x), r * d);
      }
      return { f: fs, grad: gs };
    },
    { inputShape: [d], batchSize, name: 'test function' },
  );
  return { fn, calls };
}

const relu = (v: number) => Math.max(0, v);
const step = (v: number) => (v > 0 ? 1 : 0);

async function attribution(
  engine: Engine,
  fn: ReturnType<typeof vectorFunction>['fn'],
  x: number[],
  options: Parameters<typeof explain>[3],
): Promise<Float32Array> {
  return (await explain(engine, fn, Float32Array.from(x), options)).attribution;
}

export default defineCases('anchors', (test) => {
  test('PAIR IG: f = 5x₀ + x₁² + sin x₂, 1 000 steps, linspace and trapezoid → [2.5, 3, −0.7004] (2 decimals); one readback per evaluation', async (engine) => {
    const { fn } = vectorFunction(
      3,
      (x) => 5 * x[0]! + x[1]! ** 2 + Math.sin(x[2]!),
      (x) => [5, 2 * x[1]!, Math.cos(x[2]!)],
    );
    const expected = [2.5, 3, -0.7004];
    for (const rule of ['linspace', 'trapezoid'] as const) {
      const before = engine.stats.readbacks;
      const r = await explain(engine, fn, Float32Array.from([1, 2, 3]), {
        method: 'ig',
        steps: 1000,
        rule,
        baseline: Float32Array.from([0.5, 1, 1]),
      });
      expectClose(r.attribution, expected, { atol: 1.5e-2, rtol: 0 }, `IG ${rule}`);
      // one path evaluation (all 1 000 points fit one chunk), one for f at the path ends, and explain()'s two
      assert(
        engine.stats.readbacks - before === 4,
        `IG ${rule}: ${engine.stats.readbacks - before} readbacks, expected 4`,
      );
    }
  });

  test('PAIR Guided IG: gradient [2, 1], 10 steps, fraction 0.1, max_dist 0.5 → [22, 8] (baseline [−1, −3]) and [20, 5] (baseline 0)', async (engine) => {
    const { fn } = vectorFunction(
      2,
      (x) => 2 * x[0]! + x[1]!,
      () => [2, 1],
    );
    const methodOptions = { fraction: 0.1, maxDist: 0.5 };
    expectClose(
      await attribution(engine, fn, [10, 5], {
        method: 'gig',
        steps: 10,
        baseline: Float32Array.from([-1, -3]),
        methodOptions,
      }),
      [22, 8],
      { rtol: 1e-6, atol: 0 },
      'baseline [−1, −3]',
    );
    expectClose(
      await attribution(engine, fn, [10, 5], { method: 'gig', steps: 10, methodOptions }),
      [20, 5],
      { rtol: 1e-6, atol: 0 },
      'baseline 0',
    );
  });

  test('PAIR Guided IG: f = 2x₀² + x₁², 1 000 steps, fraction 0.1, max_dist 0.4 → [18, 9], swapped ends → [−18, −9] (rtol 0.01)', async (engine) => {
    const { fn } = vectorFunction(
      2,
      (x) => 2 * x[0]! ** 2 + x[1]! ** 2,
      (x) => [4 * x[0]!, 2 * x[1]!],
    );
    const methodOptions = { fraction: 0.1, maxDist: 0.4 };
    expectClose(
      await attribution(engine, fn, [3, 3], { method: 'gig', steps: 1000, methodOptions }),
      [18, 9],
      { rtol: 0.01, atol: 0 },
      'x = [3, 3]',
    );
    expectClose(
      await attribution(engine, fn, [0, 0], {
        method: 'gig',
        steps: 1000,
        methodOptions,
        baseline: Float32Array.from([3, 3]),
      }),
      [-18, -9],
      { rtol: 0.01, atol: 0 },
      'swapped',
    );
  });

  test('PAIR Guided IG: f = (2x₀ + x₁)², x = [3, 3]: IG-like [54, 27], unbounded [72, 9], max_dist 0.2 in between with Σ = 81', async (engine) => {
    const { fn } = vectorFunction(
      2,
      (x) => (2 * x[0]! + x[1]!) ** 2,
      (x) => [4 * (2 * x[0]! + x[1]!), 2 * (2 * x[0]! + x[1]!)],
    );
    const gig = (fraction: number, maxDist: number) =>
      attribution(engine, fn, [3, 3], { method: 'gig', steps: 1000, methodOptions: { fraction, maxDist } });
    expectClose(await gig(0.1, 0), [54, 27], { rtol: 0.01, atol: 0 }, 'max_dist 0');
    expectClose(await gig(1, 0.5), [54, 27], { rtol: 0.01, atol: 0 }, 'fraction 1');
    expectClose(await gig(0.1, 1), [72, 9], { rtol: 0.01, atol: 0 }, 'max_dist 1');
    const a = await gig(0.1, 0.2);
    assert(Math.abs(a[0]! + a[1]! - 81) <= 0.1, `max_dist 0.2: Σ ${a[0]! + a[1]!}, expected 81 ± 0.1`);
    assert(
      a[0]! > 55 && a[0]! < 71 && a[1]! > 10 && a[1]! < 26,
      `max_dist 0.2: [${a[0]}, ${a[1]}] not between IG and unbounded Guided IG`,
    );
  });

  test('PAIR Blur IG: 5×5 image, ∇f = cos(points), max_sigma 10, 2 001 steps in batches of 100 → sin x − sin blur(x, 10) (2 decimals)', async (engine) => {
    const shape = [1, 5, 5] as const;
    const x = new Float64Array(25);
    x[6] = 0.7; // (1, 1)
    x[12] = 1; // (2, 2)
    let calls = 0;
    const fn = cpuFunction(
      (points, s) => {
        calls++;
        const f = new Float32Array(s[0]!);
        for (let r = 0; r < s[0]!; r++) for (let i = 0; i < 25; i++) f[r]! += Math.sin(points[r * 25 + i]!);
        return { f, grad: points.map(Math.cos) };
      },
      { inputShape: shape, batchSize: 100 },
    );
    const r = await explain(engine, fn, Float32Array.from(x), {
      method: 'blurig',
      steps: 2001,
      methodOptions: { maxSigma: 10 },
    });
    const blurred = refBlur(x, shape, 10);
    const expected = x.map((v, i) => Math.sin(v) - Math.sin(blurred[i]!));
    expectClose(r.attribution, expected, { atol: 1.5e-2, rtol: 0 }, 'Blur IG');
    assert(
      r.attribution.every((v) => v !== 0),
      'every pixel gets some attribution (the blurred start differs everywhere)',
    );
    assert(
      Math.abs(expected[6]! - 0.6415) < 1e-4 && Math.abs(expected[12]! - 0.8388) < 1e-4,
      `expected values ${expected[6]}, ${expected[12]}`,
    );
    // ⌈2001 / 100⌉ = 21 calls along the path (PAIR's count), one for f at the blurred start, one for f at the ends
    assert(calls === 23, `${calls} calls of the callback, expected 21 + 2`);
  });

  test('PAIR SmoothGrad on f = 3x₀ − 2x₁ (25 samples, σ = 0.15·(max − min)): magnitude [9, 4], signed [3, −2]', async (engine) => {
    const { fn } = vectorFunction(
      2,
      (x) => 3 * x[0]! - 2 * x[1]!,
      () => [3, -2],
    );
    const x = [0.2, 0.9];
    expectClose(
      await attribution(engine, fn, x, {
        method: 'grad',
        smoothgrad: { samples: 25, noiseLevel: 0.15, magnitude: true },
        seed: 4,
      }),
      [9, 4],
      { rtol: 1e-6, atol: 0 },
      'magnitude',
    );
    expectClose(
      await attribution(engine, fn, x, {
        method: 'grad',
        smoothgrad: { samples: 25, noiseLevel: 0.15, magnitude: false },
        seed: 5,
      }),
      [3, -2],
      { rtol: 1e-6, atol: 0 },
      'signed',
    );
  });

  test('Captum IG: relu(relu(x₁) − 1 − relu(x₂)) and relu(relu(x₁ − 1) − relu(x₂)) at (3, 1), baseline 0 → [1.5, −0.5]', async (engine) => {
    const models = [
      vectorFunction(
        2,
        (x) => relu(relu(x[0]!) - 1 - relu(x[1]!)),
        (x) => {
          const on = step(relu(x[0]!) - 1 - relu(x[1]!));
          return [on * step(x[0]!), -on * step(x[1]!)];
        },
      ),
      vectorFunction(
        2,
        (x) => relu(relu(x[0]! - 1) - relu(x[1]!)),
        (x) => {
          const on = step(relu(x[0]! - 1) - relu(x[1]!));
          return [on * step(x[0]! - 1), -on * step(x[1]!)];
        },
      ),
    ];
    for (const [i, { fn }] of models.entries()) {
      for (const [rule, steps] of [
        ['gauss-legendre', 50],
        ['trapezoid', 1000],
      ] as const) {
        expectClose(
          await attribution(engine, fn, [3, 1], { method: 'ig', steps, rule }),
          [1.5, -0.5],
          { atol: 1e-2, rtol: 0 },
          `model ${i + 2} ${rule}`,
        );
      }
    }
  });

  test('Captum IG on its MLP (Linear 3→3 identity, 3→4 ones + [−10, 1, 1, 1], ReLU, 4→2 ones + [−1, 1]), target 0', async (engine) => {
    // h = relu(Σx·1 + b1), out0 = Σh − 1: ∂out0/∂x_j = number of active hidden units
    const b1 = [-10, 1, 1, 1];
    const hidden = (x: number[]) => b1.map((b) => x[0]! + x[1]! + x[2]! + b);
    const { fn, calls } = vectorFunction(
      3,
      (x) => hidden(x).reduce((s, v) => s + relu(v), 0) - 1,
      (x) => {
        const active = hidden(x).filter((v) => v > 0).length;
        return [active, active, active];
      },
      4,
    );
    const r = await explain(engine, fn, Float32Array.from([1.5, 2, 1.3, 0.5, 0.1, 2.3]), {
      method: 'ig',
      steps: 64,
      target: 0,
    });
    expectClose(r.attribution, [4.5, 6, 3.9, 1.5, 0.3, 6.9], { rtol: 1e-5, atol: 1e-5 }, 'Captum MLP');
    assert(
      calls.rows.every((rows) => rows <= 4),
      `the callback got batches of ${Math.max(...calls.rows)} rows, over batchSize 4`,
    );
    assert(
      r.images.every((im) => im.target === 0),
      'target 0 reported',
    );
  });
});
