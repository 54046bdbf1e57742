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
  const shapes: [number, number, number][] = [
    [5, 3, 7],
    [8, 16, 12],
    [9, 4, 8],
    [12, 6, 5],
  ];
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
    for (const tiling of [
      undefined,
      { tm: 4, tn4: 1, wgx: 2, wgy: 2, ku: 8 },
      { tm: 3, tn4: 2, wgx: 4, wgy: 1, ku: 3 },
      { tm: 12, tn4: 3, wgx: 2, wgy: 2, ku: 4 },
    ]) {
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
    await expectThrows(
      () => matmul(a, b),
      /matmul: inner dimensions differ: A \[4, 5\] has K=5, B \[6, 3\] has K=6/,
      'inner dims',
    );
    await expectThrows(
      () => matmul(a, a, { transB: true, bias }),
      /matmul: bias has shape \[5\], expected \[4\]/,
      'bias length',
    );
    for (const t of [a, b, bias]) t.dispose();
  });
});

const linearCases = defineCases('linear', (test) => {
  // N=5, K=7, M=3: scalar paths; N=6, K=8, M=12: vec4 paths.
  for (const [n, k, m] of [
    [5, 7, 3],
    [6, 8, 12],
  ] as [number, number, number][]) {
    for (const relu of [false, true]) {
      test(`forward, backward and finite differences N=${n} K=${k} M=${m} relu=${relu}`, async (engine) => {
        const rng = new Rng(n * 100 + k * 10 + m + (relu ? 1 : 0));
        const x = asF32(rng.uniform(n * k));
        const w = asF32(rng.uniform(m * k));
        const b = asF32(rng.uniform(m, -0.5, 0.5));
        const dy = asF32(rng.uniform(n * m));
        const [tx, tw, tb, tdy] = [
          Tensor.from(engine, x, [n, k]),
          Tensor.from(engine, w, [m, k]),
          Tensor.from(engine, b, [m]),
          Tensor.from(engine, dy, [n, m]),
        ];
        const ty = linear(tx, tw, tb, { relu });
        const y = ref.linear(x, w, b, n, k, m, relu);
        expectClose(await ty.download(), y, TOL, 'linear forward');
        const mask = relu ? ty : undefined;
        const maskRef = relu ? y : undefined;
        const tdx = linearBackwardInput(tdy, tw, mask);
        const { dw: tdw, db: tdb } = linearBackwardWeight(tx, tdy, mask);
        const dx = ref.linearBackwardInput(dy, w, n, k, m, maskRef);
        const { dw, db } = ref.linearBackwardWeight(x, dy, n, k, m, maskRef);
        expectClose(await tdx.download(), dx, TOL, 'dx');
        expectClose(await tdw.download(), dw, TOL, 'dw');
        expectClose(await tdb.download(), db, TOL, 'db');
        // the reference gradients agree with central differences of Σ dy ⊙ linear(x, w, b)
        const fdTol = { rtol: 1e-6, atol: 1e-7 };
        expectClose(
          dx,
          numericGrad((z) => dot(ref.linear(z, w, b, n, k, m, relu), dy), x),
          fdTol,
          'dx vs finite differences',
        );
        expectClose(
          dw,
          numericGrad((z) => dot(ref.linear(x, z, b, n, k, m, relu), dy), w),
          fdTol,
          'dw vs finite differences',
        );
        expectClose(
          db,
          numericGrad((z) => dot(ref.linear(x, w, z, n, k, m, relu), dy), b),
          fdTol,
          'db vs finite differences',
        );
        for (const t of [tx, tw, tb, tdy, ty, tdx, tdw, tdb]) t.dispose();
      });
    }
  }

  test('no bias', async (engine) => {
    const [n, k, m] = [3, 5, 4];
    const rng = new Rng(2);
    const x = asF32(rng.uniform(n * k));
    const w = asF32(rng.uniform(m * k));
    const [tx, tw] = [Tensor.from(engine, x, [n, k]), Tensor.from(engine, w, [m, k])];
    const ty = linear(tx, tw, null);
    expectClose(await ty.download(), ref.linear(x, w, null, n, k, m), TOL, 'linear without bias');
    for (const t of [tx, tw, ty]) t.dispose();
  });

  test('shape errors name the op and the shapes', async (engine) => {
    const x = Tensor.zeros(engine, [2, 5]);
    const w = Tensor.zeros(engine, [3, 4]);
    const w5 = Tensor.zeros(engine, [3, 5]);
    const b = Tensor.zeros(engine, [4]);
    const dy = Tensor.zeros(engine, [2, 4]);
    await expectThrows(
      () => linear(x, w, null),
      /linear: x \[2, 5\] has 5 features but weight \[3, 4\] expects 4/,
      'features',
    );
    await expectThrows(() => linear(x, w5, b), /linear: bias has shape \[4\], expected \[3\]/, 'bias length');
    await expectThrows(
      () => linearBackwardInput(dy, w5),
      /linearBackwardInput: dy \[2, 4\] has 4 outputs but weight \[3, 5\] has 3/,
      'dy vs weight',
    );
    await expectThrows(
      () => linearBackwardWeight(x, dy, w),
      /linearBackwardWeight: relu mask has shape \[3, 4\], expected \[2, 4\]/,
      'mask shape',
    );
    for (const t of [x, w, w5, b, dy]) t.dispose();
  });
});

const reduceCases = defineCases('reduce', (test) => {
  const shape = [3, 5, 7];
  for (const axis of [0, 1, 2, -1]) {
    test(`sumAxis ${shape.join('x')} axis ${axis}`, async (engine) => {
      const x = asF32(new Rng(axis + 10).uniform(105));
      const tx = Tensor.from(engine, x, shape);
      const ts = sumAxis(tx, axis);
      const ax = axis < 0 ? axis + 3 : axis;
      expectClose(await ts.download(), ref.sumAxis(x, shape, ax), TOL, 'sumAxis');
      const expectedShape = shape.filter((_, i) => i !== ax);
      expectClose(ts.shape, expectedShape, { rtol: 0, atol: 0 }, 'result shape');
      for (const t of [tx, ts]) t.dispose();
    });
  }

  test('long axis with few outputs', async (engine) => {
    const s = [2, 300, 3];
    const x = asF32(new Rng(4).uniform(1800));
    const tx = Tensor.from(engine, x, s);
    const ts = sumAxis(tx, 1);
    expectClose(await ts.download(), ref.sumAxis(x, s, 1), { rtol: 1e-5, atol: 1e-5 }, 'long sum');
    for (const t of [tx, ts]) t.dispose();
  });

  test('bad axis', async (engine) => {
    const t = Tensor.zeros(engine, [2, 3]);
    await expectThrows(() => sumAxis(t, 2), /sumAxis: axis 2 is out of range for shape \[2, 3\]/, 'axis 2');
    await expectThrows(() => sumAxis(t, -3), /sumAxis: axis -3 is out of range/, 'axis -3');
    t.dispose();
  });
});

export default [...matmulCases, ...linearCases, ...reduceCases];
