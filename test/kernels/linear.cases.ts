import { defineCases } from '../harness/cases.js';
import { expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/linear.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { matmul, matmulWith } from '../../src/ops/matmul.js';
import { linear, linearBackwardInput, linearBackwardWeight } from '../../src/ops/linear.js';
import { sumAxis } from '../../src/ops/reduce.js';

// float32 sums of ≤ 40 products of values in [-1, 1]: errors stay near 1e-6.
const TOL = { rtol: 1e-5, atol: 1e-5 };

const matmulCases = defineCases('matmul', (test) => {
  // odd sizes (scalar loads, clamped edges) and multiples of 4 (vec4 loads along k or m/n)
  const shapes: [number, number, number][] = [[5, 3, 7], [8, 16, 12], [9, 4, 8], [12, 6, 5]];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        test(`M=${m} N=${n} K=${k} transA=${transA} transB=${transB}`, async (engine) => {
          const rng = new Rng(m * 100 + n * 10 + k);
          const a = asF32(rng.uniform(m * k));
          const b = asF32(rng.uniform(k * n));
          const ta = Tensor.from(engine, a, transA ? [k, m] : [m, k]);
          const tb = Tensor.from(engine, b, transB ? [n, k] : [k, n]);
          const tc = matmul(ta, tb, { transA, transB });
          expectClose(await tc.download(), ref.matmul(a, b, m, n, k, { transA, transB }), TOL, 'matmul');
          for (const t of [ta, tb, tc]) t.dispose();
        });
      }
    }
  }

  for (const broadcastB of [false, true]) {
    test(`batch 3, bias + relu epilogue, ${broadcastB ? 'broadcast' : 'batched'} B, odd sizes`, async (engine) => {
      const [batch, m, n, k] = [3, 7, 6, 5];
      const rng = new Rng(11);
      const a = asF32(rng.uniform(batch * m * k));
      const b = asF32(rng.uniform((broadcastB ? 1 : batch) * k * n));
      const bias = asF32(rng.uniform(n));
      const ta = Tensor.from(engine, a, [batch, k, m]);
      const tb = Tensor.from(engine, b, broadcastB ? [n, k] : [batch, n, k]);
      const tbias = Tensor.from(engine, bias, [n]);
      const tc = matmul(ta, tb, { transA: true, transB: true, bias: tbias, relu: true });
      const expected = ref.matmul(a, b, m, n, k, { batch, transA: true, transB: true, broadcastB, bias, relu: true });
      expectClose(await tc.download(), expected, TOL, 'batched matmul');
      for (const t of [ta, tb, tbias, tc]) t.dispose();
    });
  }

  test('batch 2, vec4 paths, several workgroups and explicit tilings', async (engine) => {
    const [batch, m, n, k] = [2, 20, 36, 24];
    const rng = new Rng(5);
    const a = asF32(rng.uniform(batch * m * k));
    const b = asF32(rng.uniform(batch * k * n));
    const ta = Tensor.from(engine, a, [batch, m, k]);
    const tb = Tensor.from(engine, b, [batch, k, n]);
    const expected = ref.matmul(a, b, m, n, k, { batch });
    for (const tiling of [undefined, { tm: 4, tn4: 1, wgx: 2, wgy: 2, ku: 8 }, { tm: 2, tn4: 2, wgx: 4, wgy: 1, ku: 4 }]) {
      const tc = matmulWith(ta, tb, { tiling });
      expectClose(await tc.download(), expected, TOL, `tiling ${JSON.stringify(tiling)}`);
      tc.dispose();
    }
    for (const t of [ta, tb]) t.dispose();
  });

  test('shape errors name the op and the shapes', async (engine) => {
    const a = Tensor.zeros(engine, [4, 5]);
    const b = Tensor.zeros(engine, [6, 3]);
    const bias = Tensor.zeros(engine, [5]);
    await expectThrows(() => matmul(a, b), /matmul: inner dimensions differ: A \[4, 5\] has K=5, B \[6, 3\] has K=6/, 'inner dims');
    await expectThrows(() => matmul(a, a, { transB: true, bias }), /matmul: bias has shape \[5\], expected \[4\]/, 'bias length');
    for (const t of [a, b, bias]) t.dispose();
  });
});

export default [...matmulCases];
