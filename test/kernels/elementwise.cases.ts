import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/elementwise.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createEngine } from '../../src/gpu/engine.js';
import { relu, reluBackward } from '../../src/ops/relu.js';
import { add } from '../../src/ops/add.js';

export default defineCases('elementwise', (test) => {
  for (const shape of [
    [2, 3, 5, 7],
    [4, 8],
    [1, 1, 1, 3],
  ]) {
    test(`relu forward+backward ${shape.join('x')}`, async (engine) => {
      const rng = new Rng(7);
      const n = shape.reduce((a, b) => a * b, 1);
      const x = asF32(rng.uniform(n));
      const dy = asF32(rng.uniform(n));
      const tx = Tensor.from(engine, x, shape);
      const tdy = Tensor.from(engine, dy, shape);
      const ty = relu(tx);
      const tdx = reluBackward(ty, tdy);
      const y = ref.relu(x);
      expectClose(await ty.download(), y, { rtol: 0, atol: 0 }, 'relu forward');
      expectClose(await tdx.download(), ref.reluBackward(y, dy), { rtol: 0, atol: 0 }, 'relu backward');
      // the reference backward agrees with finite differences (away from the kink)
      const fd = numericGrad((z) => dot(ref.relu(z), dy), x);
      expectClose(ref.reluBackward(y, dy), fd, { rtol: 1e-6, atol: 1e-6 }, 'relu reference vs finite differences');
      for (const t of [tx, tdy, ty, tdx]) t.dispose();
    });
  }

  for (const n of [1000, 1001]) {
    test(`tensors past maxStorageBufferBindingSize go in chunks (${n} floats, 1 KiB limit)`, async (engine) => {
      const small = await createEngine({ device: engine.device, maxBindingBytes: 1024 });
      try {
        const rng = new Rng(5);
        const a = asF32(rng.uniform(n).map((v) => v - 0.5));
        const b = asF32(rng.uniform(n));
        const ta = Tensor.from(small, a, [n]);
        const tb = Tensor.from(small, b, [n]);
        const before = small.stats.dispatches;
        const tc = add(ta, tb);
        const tm = reluBackward(ta, tb);
        // 4000 / 4004 bytes in chunks of 1 KiB (vec4) or 1 KiB (scalars): 4 dispatches each
        assert(small.stats.dispatches - before === 8, `expected 8 dispatches, got ${small.stats.dispatches - before}`);
        expectClose(await tc.download(), ref.add(a, b), { rtol: 1e-7, atol: 1e-7 }, 'chunked add');
        expectClose(await tm.download(), ref.reluBackward(a, b), { rtol: 0, atol: 0 }, 'chunked relu backward');
        for (const t of [ta, tb, tc, tm]) t.dispose();
      } finally {
        small.dispose();
      }
    });
  }

  test('add odd size and shape mismatch', async (engine) => {
    const rng = new Rng(3);
    const a = asF32(rng.uniform(105));
    const b = asF32(rng.uniform(105));
    const ta = Tensor.from(engine, a, [3, 5, 7]);
    const tb = Tensor.from(engine, b, [3, 5, 7]);
    const tc = add(ta, tb);
    expectClose(await tc.download(), ref.add(a, b), { rtol: 1e-7, atol: 1e-7 }, 'add');
    // the length comes from the bound range: another size reuses the pipeline
    const pipelines = engine.stats.pipelines;
    const short = Tensor.from(engine, a.subarray(0, 7), [7]);
    const tshort = add(short, short);
    assert(
      engine.stats.pipelines === pipelines,
      `add of another size compiled ${engine.stats.pipelines - pipelines} pipeline(s)`,
    );
    expectClose(
      await tshort.download(),
      ref.add(a.subarray(0, 7), a.subarray(0, 7)),
      { rtol: 1e-7, atol: 1e-7 },
      'add of 7',
    );
    short.dispose();
    tshort.dispose();
    const wrong = Tensor.from(engine, a, [3, 7, 5]);
    await expectThrows(() => add(ta, wrong), /add: shapes \[3, 5, 7\] and \[3, 7, 5\] differ/, 'add mismatch');
    for (const t of [ta, tb, tc, wrong]) t.dispose();
  });
});
