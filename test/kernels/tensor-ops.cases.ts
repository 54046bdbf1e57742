/**
 * The tensor ops of ONNX import (issue #13): activations, broadcasting arithmetic, sums onto
 * broadcast shapes, layout and softmax on any axis — GPU vs the float64 references, and the
 * references' backward vs central finite differences.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/tensor-ops.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Engine } from '../../src/gpu/engine.js';
import { prelu, preluBackward, unary, unaryBackward, type UnaryOp } from '../../src/ops/activation.js';
import { binary, binaryBackward, sumTo, type BinaryOp } from '../../src/ops/broadcast.js';
import { concat, crop, expand, pad, slice, transpose } from '../../src/ops/strided.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from '../../src/ops/softmax.js';

// float32 transcendental functions on O(1) inputs
const TOL = { rtol: 2e-5, atol: 2e-6 };
const FD_TOL = { rtol: 1e-5, atol: 1e-6 };
const EXACT = { rtol: 0, atol: 0 };

const upload = (engine: Engine, x: Float64Array, shape: readonly number[]) => Tensor.from(engine, x, shape);
const dispose = (...ts: (Tensor | null)[]) => ts.forEach((t) => t?.dispose());

/** Where an activation's derivative jumps; finite differences are taken away from these. */
function kinks(op: UnaryOp): number[] {
  switch (op.fn) {
    case 'clip':
      return [op.min, op.max];
    case 'hardsigmoid':
      return [-op.beta / op.alpha, (1 - op.beta) / op.alpha];
    case 'hardswish':
      return [-3, 3];
    case 'leakyrelu':
    case 'elu':
      return [0];
    default:
      return [];
  }
}

const ACTIVATIONS: UnaryOp[] = [
  { fn: 'sigmoid' },
  { fn: 'tanh' },
  { fn: 'silu' },
  { fn: 'hardswish' },
  { fn: 'clip', min: 0, max: 6 },
  { fn: 'clip', min: -Infinity, max: 0.5 },
  { fn: 'clip', min: -1.5, max: Infinity },
  { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 },
  { fn: 'hardsigmoid', alpha: 0.2, beta: 0.5 },
  { fn: 'leakyrelu', alpha: 0.01 },
  { fn: 'elu', alpha: 1 },
  { fn: 'elu', alpha: 0.3 },
];

export default defineCases('tensor ops', (test) => {
  for (const op of ACTIVATIONS) {
    // 2·3·5 = 30 values: the scalar path; 32: the vec4 path
    for (const shape of [
      [2, 3, 5],
      [2, 4, 4],
    ]) {
      test(`unary ${JSON.stringify(op)} forward+backward ${shape.join('x')}`, async (engine) => {
        const rng = new Rng(shape[2]! * 31 + op.fn.length);
        const n = ref.size(shape);
        // ±40 test overflow of exp; the kinks themselves test the gradient there (hardsigmoid's
        // kinks come out of f32 arithmetic, not exactly: its own case below)
        const raw = rng.uniform(n, -7, 7);
        [40, -40, ...(op.fn === 'hardsigmoid' ? [] : kinks(op).filter(Number.isFinite))].forEach(
          (v, i) => (raw[i] = v),
        );
        const x = asF32(raw);
        const dy = asF32(rng.uniform(n));
        const tx = upload(engine, x, shape);
        const tdy = upload(engine, dy, shape);
        const ty = unary(tx, op);
        const tdx = unaryBackward(tx, tdy, op);
        expectClose(await ty.download(), ref.unary(x, op), TOL, 'forward');
        expectClose(await tdx.download(), ref.unaryBackward(x, dy, op), TOL, 'backward');
        // finite differences away from the kinks (and from the ±40 ends, flat in float64 too)
        const smooth = asF32(x.map((v) => (kinks(op).some((k) => Math.abs(v - k) < 1e-3) ? v + 0.01 : v)));
        const fd = numericGrad((z) => dot(ref.unary(z, op), dy), smooth);
        expectClose(ref.unaryBackward(smooth, dy, op), fd, FD_TOL, 'reference vs finite differences');
        dispose(tx, tdy, ty, tdx);
      });
    }
  }

  test('clip passes the gradient at its bounds, hardsigmoid does not (PyTorch)', async (engine) => {
    const x = Float64Array.of(0, 6, -3, 3);
    const tx = upload(engine, x, [4]);
    const ones = Tensor.from(engine, [1, 1, 1, 1], [4]);
    const relu6 = unaryBackward(tx, ones, { fn: 'clip', min: 0, max: 6 });
    const hsig = unaryBackward(tx, ones, { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 });
    expectClose(await relu6.download(), [1, 1, 0, 1], EXACT, 'relu6 gradient at 0 and 6');
    expectClose(await hsig.download(), [Math.fround(1 / 6), 0, 0, 0], EXACT, 'hardsigmoid gradient at -3, 3');
    dispose(tx, ones, relu6, hsig);
  });

  // [a, b] shapes of the same rank: SE gate, size-1 axes on both sides, scalar, equal shapes
  const PAIRS: [number[], number[]][] = [
    [
      [2, 3, 4, 5],
      [2, 3, 1, 1],
    ],
    [
      [1, 3, 1, 1],
      [2, 3, 4, 5],
    ],
    [
      [2, 1, 5],
      [2, 4, 1],
    ],
    [
      [1, 1, 1],
      [2, 3, 5],
    ],
    [
      [1, 7],
      [3, 7],
    ],
    [
      [3, 5],
      [3, 5],
    ],
  ];
  for (const [as, bs] of PAIRS) {
    for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
      test(`binary ${op} ${as.join('x')} with ${bs.join('x')}`, async (engine) => {
        const rng = new Rng(as.length * 100 + bs[0]! * 7 + op.length);
        const a = asF32(rng.uniform(ref.size(as)));
        // divisors kept away from 0: ±[0.5, 2]
        const b = asF32(
          rng.uniform(ref.size(bs), 0.5, 2).map((v, i) => (op === 'div' && i % 2 ? -v : op === 'div' ? v : v - 1.25)),
        );
        const ys = ref.broadcastShape(as, bs);
        const dy = asF32(rng.uniform(ref.size(ys)));
        const [ta, tb, tdy] = [upload(engine, a, as), upload(engine, b, bs), upload(engine, dy, ys)];
        const ty = binary(op, ta, tb);
        assert(ty.shape.join() === ys.join(), `output shape ${ty.shape}`);
        const y = ref.binary(op, a, as, b, bs);
        expectClose(await ty.download(), y, { rtol: 1e-6, atol: 1e-7 }, 'forward');
        const [tda, tdb] = binaryBackward(op, ta, tb, ty, tdy);
        const [da, db] = ref.binaryBackward(op, a, as, b, bs, dy);
        assert(
          tda!.shape.join() === as.join() && tdb!.shape.join() === bs.join(),
          `gradient shapes ${tda!.shape} / ${tdb!.shape}`,
        );
        expectClose(await tda!.download(), da, TOL, 'da');
        expectClose(await tdb!.download(), db, TOL, 'db');
        expectClose(
          da,
          numericGrad((z) => dot(ref.binary(op, z, as, b, bs), dy), a),
          FD_TOL,
          'da reference vs finite differences',
        );
        expectClose(
          db,
          numericGrad((z) => dot(ref.binary(op, a, as, z, bs), dy), b),
          FD_TOL,
          'db reference vs finite differences',
        );
        const [onlyA, none] = binaryBackward(op, ta, tb, ty, tdy, [true, false]);
        assert(none === null, 'a gradient that is not needed is not computed');
        dispose(ta, tb, tdy, ty, tda, tdb, onlyA);
      });
    }
  }

  for (const ws of [
    [1, 3, 1, 1],
    [1, 1, 1, 1],
    [1, 3, 4, 5],
  ]) {
    test(`prelu with slope ${ws.join('x')}`, async (engine) => {
      const rng = new Rng(ws[1]! + ws[3]!);
      const xs = [2, 3, 4, 5];
      const x = asF32(rng.uniform(ref.size(xs)).map((v) => (Math.abs(v) < 1e-3 ? 0.1 : v)));
      const w = asF32(rng.uniform(ref.size(ws), 0, 0.5));
      const dy = asF32(rng.uniform(x.length));
      const [tx, tw, tdy] = [upload(engine, x, xs), upload(engine, w, ws), upload(engine, dy, xs)];
      const ty = prelu(tx, tw);
      expectClose(await ty.download(), ref.prelu(x, xs, w, ws), { rtol: 1e-6, atol: 1e-7 }, 'forward');
      const { dx, dslope } = preluBackward(tx, tw, tdy, true);
      const r = ref.preluBackward(x, xs, w, ws, dy);
      expectClose(await dx.download(), r.dx, TOL, 'dx');
      expectClose(await dslope!.download(), r.dw, TOL, 'dslope');
      expectClose(
        r.dx,
        numericGrad((z) => dot(ref.prelu(z, xs, w, ws), dy), x),
        FD_TOL,
        'dx reference vs finite differences',
      );
      expectClose(
        r.dw,
        numericGrad((z) => dot(ref.prelu(x, xs, z, ws), dy), w),
        FD_TOL,
        'dslope reference vs finite differences',
      );
      dispose(tx, tw, tdy, ty, dx, dslope);
    });
  }

  for (const [xs, to] of [
    [
      [2, 3, 4, 5],
      [1, 3, 1, 1],
    ],
    [
      [2, 3, 4, 5],
      [1, 1, 1, 1],
    ],
    [
      [3, 70],
      [3, 1],
    ],
    [
      [5, 1, 3],
      [1, 1, 3],
    ],
  ] as [number[], number[]][]) {
    test(`sumTo ${xs.join('x')} → ${to.join('x')}, mean, expand`, async (engine) => {
      const rng = new Rng(xs[1]!);
      const x = asF32(rng.uniform(ref.size(xs)));
      const tx = upload(engine, x, xs);
      const s = sumTo(tx, to);
      const m = sumTo(tx, to, ref.size(to) / x.length);
      const axes = to.flatMap((d, k) => (d === 1 && xs[k] !== 1 ? [k] : []));
      expectClose(await s.download(), ref.sumTo(x, xs, to), { rtol: 1e-6, atol: 1e-6 }, 'sum');
      expectClose(await m.download(), ref.meanKeep(x, xs, axes), { rtol: 1e-6, atol: 1e-7 }, 'mean');
      const e = expand(m, xs, ref.size(to) / x.length);
      const g = ref.meanKeep(x, xs, axes);
      expectClose(await e.download(), ref.meanKeepBackward(g, xs, axes), { rtol: 1e-6, atol: 1e-7 }, 'expand');
      const dy = asF32(rng.uniform(g.length));
      expectClose(
        ref.meanKeepBackward(dy, xs, axes),
        numericGrad((z) => dot(ref.meanKeep(z, xs, axes), dy), x),
        FD_TOL,
        'mean backward reference vs finite differences',
      );
      dispose(tx, s, m, e);
    });
  }

  test('transpose, crop, slice, pad and concat match the references', async (engine) => {
    const rng = new Rng(11);
    const xs = [2, 3, 4, 5];
    const x = asF32(rng.uniform(ref.size(xs)));
    const tx = upload(engine, x, xs);
    for (const perm of [
      [0, 2, 3, 1],
      [3, 1, 0, 2],
      [0, 1, 2, 3],
    ]) {
      const t = transpose(tx, perm);
      assert(t.shape.join() === perm.map((p) => xs[p]).join(), `transpose shape ${t.shape}`);
      expectClose(await t.download(), ref.transpose(x, xs, perm), EXACT, `transpose ${perm}`);
      t.dispose();
    }
    const c = crop(tx, [1, 0, 1, 2], [1, 3, 2, 3]);
    expectClose(await c.download(), ref.crop(x, xs, [1, 0, 1, 2], [1, 3, 2, 3]), EXACT, 'crop');
    const sl = slice(tx, 2, 1, 4);
    expectClose(await sl.download(), ref.crop(x, xs, [0, 0, 1, 0], [2, 3, 3, 5]), EXACT, 'slice');
    const p = pad(tx, [0, 1, 0, 2], [0, 0, 3, 1], -0.5);
    assert(p.shape.join() === '2,4,7,8', `pad shape ${p.shape}`);
    expectClose(await p.download(), ref.pad(x, xs, [0, 1, 0, 2], [0, 0, 3, 1], -0.5), EXACT, 'pad');
    const shapes = [
      [2, 1, 4, 5],
      [2, 3, 4, 5],
      [2, 2, 4, 5],
    ];
    const parts = shapes.map((s) => asF32(rng.uniform(ref.size(s))));
    const ts = parts.map((v, k) => upload(engine, v, shapes[k]!));
    const cat = concat(ts, 1);
    expectClose(await cat.download(), ref.concat(parts, shapes, 1), EXACT, 'concat axis 1');
    const two = crop(tx, [0, 0, 0, 1], [2, 3, 4, 2]);
    const last = concat([tx, two], 3);
    expectClose(
      await last.download(),
      ref.concat([x, ref.crop(x, xs, [0, 0, 0, 1], [2, 3, 4, 2])], [xs, [2, 3, 4, 2]], 3),
      EXACT,
      'concat last axis',
    );
    dispose(tx, c, sl, p, cat, two, last, ...ts);
  });

  test('the strided walk covers 8 axes that do not merge, and refuses 9', async (engine) => {
    const shape = [2, 3, 2, 3, 2, 3, 2, 2];
    const perm = [7, 6, 5, 4, 3, 2, 1, 0];
    const x = asF32(new Rng(3).uniform(ref.size(shape)));
    const tx = upload(engine, x, shape);
    const t = transpose(tx, perm);
    expectClose(await t.download(), ref.transpose(x, shape, perm), EXACT, 'transpose of 8 axes');
    const nine = Tensor.zeros(engine, [2, 3, 2, 3, 2, 3, 2, 3, 2]);
    await expectThrows(
      () => transpose(nine, [8, 7, 6, 5, 4, 3, 2, 1, 0]),
      /^strided ops support up to 8 axes, got shape \[2, 3, 2, 3, 2, 3, 2, 3, 2\]$/,
      'nine axes',
    );
    dispose(tx, t, nine);
  });

  // (shape, axis): the axis in the middle, first and last; C ≤ 64 (a row per lane) and C = 70 (a workgroup per row)
  for (const [shape, axis] of [
    [[2, 3, 4], 1],
    [[2, 3, 4], 0],
    [[3, 5], 1],
    [[2, 70, 3], 1],
    [[1, 2, 1], 2],
  ] as [number[], number][]) {
    test(`softmax and log-softmax on axis ${axis} of ${shape.join('x')}`, async (engine) => {
      const rng = new Rng(shape[1]! * 10 + axis);
      const x = asF32(rng.uniform(ref.size(shape), -3, 3));
      const dy = asF32(rng.uniform(x.length));
      const [tx, tdy] = [upload(engine, x, shape), upload(engine, dy, shape)];
      for (const log of [false, true]) {
        const ty = (log ? logSoftmax : softmax)(tx, axis);
        const y = Float64Array.from(await ty.download());
        expectClose(y, ref.softmaxAxis(x, shape, axis, log), TOL, `forward (log ${log})`);
        const tdx = (log ? logSoftmaxBackward : softmaxBackward)(ty, tdy, axis);
        expectClose(
          await tdx.download(),
          ref.softmaxAxisBackward(y, dy, shape, axis, log),
          TOL,
          `backward (log ${log})`,
        );
        if (x.length <= 60) {
          const fd = numericGrad((z) => dot(ref.softmaxAxis(z, shape, axis, log), dy), x);
          expectClose(
            ref.softmaxAxisBackward(ref.softmaxAxis(x, shape, axis, log), dy, shape, axis, log),
            fd,
            FD_TOL,
            `reference vs finite differences (log ${log})`,
          );
        }
        dispose(ty, tdx);
      }
      dispose(tx, tdy);
    });
  }

  test('bad inputs fail with one-line errors before any GPU work', async (engine) => {
    const a = Tensor.zeros(engine, [2, 3, 4]);
    const b = Tensor.zeros(engine, [2, 2, 4]);
    const dispatches = engine.stats.dispatches;
    await expectThrows(
      () => binary('mul', a, b),
      /^mul: shapes \[2, 3, 4\] and \[2, 2, 4\] do not broadcast$/,
      'broadcast',
    );
    await expectThrows(() => unary(a, { fn: 'clip', min: 2, max: 1 }), /^clip: min 2 is above max 1$/, 'clip bounds');
    await expectThrows(
      () => unary(a, { fn: 'leakyrelu', alpha: NaN }),
      /^leakyrelu: alpha must be a finite number, got NaN$/,
      'alpha',
    );
    await expectThrows(
      () => unary(a, { fn: 'gelu' } as unknown as UnaryOp),
      /^activation: unknown function "gelu"$/,
      'unknown',
    );
    await expectThrows(() => transpose(a, [0, 0, 1]), /^transpose: \[0,0,1\] is not a permutation/, 'perm');
    await expectThrows(() => pad(a, [0, -1, 0], [0, 0, 0]), /^pad: pads .* must be 6 non-negative integers/, 'pad');
    await expectThrows(
      () => concat([a, b], 2),
      /^concat: shapes \[2, 3, 4\], \[2, 2, 4\] differ off axis 2$/,
      'concat',
    );
    await expectThrows(() => slice(a, 1, 2, 5), /^slice: box .* does not fit in \[2, 3, 4\]$/, 'slice');
    await expectThrows(() => sumTo(a, [1, 2, 1]), /^sumTo: cannot sum \[2, 3, 4\] to \[1, 2, 1\]$/, 'sumTo');
    await expectThrows(
      () => softmax(a, 3),
      /^softmax: axis 3 is out of range for x of shape \[2, 3, 4\]$/,
      'softmax axis',
    );
    assert(engine.stats.dispatches === dispatches, 'a failed op dispatched work');
    dispose(a, b);
  });
});
