/**
 * The engine's timestamp-query profiling mode (startProfiling / stopProfiling). On a device with
 * 'timestamp-query' the report must name every profiled dispatch's op with a finite GPU time and
 * leave results unchanged; without the feature it must say `{ supported: false }` and why.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose } from '../harness/assert.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { relu } from '../../src/ops/relu.js';
import { matmul } from '../../src/ops/matmul.js';

export default defineCases('profiling', (test) => {
  test('per-op GPU time from timestamp queries, or a clear "not supported"', async (engine) => {
    const a = Tensor.from(
      engine,
      Float32Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)),
      [64, 48],
    );
    const b = Tensor.from(
      engine,
      Float32Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i)),
      [48, 32],
    );
    const dispatches0 = engine.stats.dispatches;
    const on = engine.startProfiling();
    const c = matmul(a, b);
    const r = relu(c);
    const r2 = relu(r);
    const got = await r2.download();
    const report = await engine.stopProfiling();
    const recorded = engine.stats.dispatches - dispatches0;
    const [ad, bd, cd] = await Promise.all([a.download(), b.download(), c.download()]);
    for (const t of [a, b, c, r, r2]) t.dispose();
    const want = new Float32Array(64 * 32);
    for (let i = 0; i < 64; i++)
      for (let j = 0; j < 32; j++) {
        let s = 0;
        for (let k = 0; k < 48; k++) s += ad[i * 48 + k]! * bd[k * 32 + j]!;
        want[i * 32 + j] = Math.max(0, s);
      }
    expectClose(got, want, { rtol: 1e-4, atol: 1e-4 }, 'relu(matmul) while profiling');
    expectClose(
      cd.map((v) => Math.max(0, v)),
      want,
      { rtol: 1e-4, atol: 1e-4 },
      'matmul while profiling',
    );

    if (!engine.hasTimestamps) {
      assert(on === false, 'startProfiling() returned true without timestamp-query');
      assert(
        report.supported === false && /timestamp-query/.test(report.reason),
        `expected { supported: false } naming timestamp-query, got ${JSON.stringify(report)}`,
      );
      return;
    }
    assert(on === true, 'startProfiling() returned false on a device with timestamp-query');
    assert(report.supported, `profiling unsupported on a device with timestamp-query: ${JSON.stringify(report)}`);
    assert(
      report.dispatches === recorded,
      `report has ${report.dispatches} dispatches, the engine recorded ${recorded}`,
    );
    const names = report.ops.map((o) => o.op);
    assert(names.includes('matmul') && names.includes('relu'), `ops ${JSON.stringify(names)} lack matmul or relu`);
    assert(report.ops.find((o) => o.op === 'relu')!.dispatches === 2, 'relu ran twice');
    for (const o of report.ops)
      assert(Number.isFinite(o.gpuMs) && o.gpuMs >= 0 && o.gpuMs < 60_000, `${o.op}: gpuMs ${o.gpuMs}`);
    const sum = report.ops.reduce((s, o) => s + o.gpuMs, 0);
    assert(Math.abs(sum - report.gpuMs) < 1e-9 * Math.max(1, sum), 'gpuMs is not the sum over ops');
    assert(report.gpuMs > 0, 'all timestamps were equal: the GPU time of a 64×48×32 matmul cannot be 0');
  });

  test('more dispatches than one query set holds, and profiling off again afterwards', async (engine) => {
    const x = Tensor.from(engine, [-1, 2, -3, 4], [4]);
    const on = engine.startProfiling();
    let y = x;
    const n = 1100; // > 1024 pairs per query set: forces a mid-stream submission
    for (let i = 0; i < n; i++) {
      const next = relu(y);
      if (y !== x) y.dispose();
      y = next;
    }
    const out = await y.download();
    const report = await engine.stopProfiling();
    y.dispose();
    expectClose(out, [0, 2, 0, 4], { atol: 0 }, 'relu chain');
    if (on) {
      assert(
        report.supported && report.dispatches === n,
        `expected ${n} profiled dispatches, got ${JSON.stringify(report).slice(0, 200)}`,
      );
    } else {
      assert(!report.supported, 'unsupported profiling reported data');
    }
    const again = await engine.stopProfiling();
    assert(
      !again.supported && /not called/.test(again.reason),
      `stopProfiling() without startProfiling(): ${JSON.stringify(again)}`,
    );
    const z = relu(x);
    expectClose(await z.download(), [0, 2, 0, 4], { atol: 0 }, 'relu after profiling');
    for (const t of [x, z]) t.dispose();
  });
});
