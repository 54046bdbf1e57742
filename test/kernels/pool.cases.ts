/**
 * Max / average / global average pooling, forward and backward, against the float64 references.
 * Tolerances: max forward and argmax are exact (a max is a copy); sums are f32 (rtol 1e-5, atol 1e-6).
 * References are checked against central finite differences (random inputs: no ties in max).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/pool.js';
import { Tensor, sizeOf } from '../../src/tensor/tensor.js';
import { maxPool2d, maxPool2dBackward, pool2dOutputShape, type Pool2dParams } from '../../src/ops/max-pool.js';
import { avgPool2d, avgPool2dBackward } from '../../src/ops/avg-pool.js';
import { globalAvgPool, globalAvgPoolBackward } from '../../src/ops/global-avg-pool.js';
import type { Engine } from '../../src/gpu/engine.js';

const SUM_TOL = { rtol: 1e-5, atol: 1e-6 };
const FD_TOL = { rtol: 1e-5, atol: 1e-6 };

/** Shapes and params covering vec4 / vec2 / scalar lanes, odd sizes, batch > 1, padding and overlap. */
const configs: { name: string; shape: number[]; p: Pool2dParams }[] = [
  { name: 'k2 s2 2x3x8x8', shape: [2, 3, 8, 8], p: { kernel: 2 } },
  { name: 'k2 s2 odd 2x3x7x5', shape: [2, 3, 7, 5], p: { kernel: 2, stride: 2 } },
  { name: 'k3 s2 p1 overlapping 2x2x7x5', shape: [2, 2, 7, 5], p: { kernel: 3, stride: 2, padding: 1 } },
  { name: 'k3 s1 p1 1x3x6x8', shape: [1, 3, 6, 8], p: { kernel: 3, stride: 1, padding: 1 } },
  { name: 'k3 s1 2x1x5x7', shape: [2, 1, 5, 7], p: { kernel: 3, stride: 1 } },
  { name: 'k[2,3] s[2,1] p[1,1] 1x2x6x7', shape: [1, 2, 6, 7], p: { kernel: [2, 3], stride: [2, 1], padding: [1, 1] } },
  // 1-D pooling as the graph runs it: [N, C, L] viewed as one row high
  {
    name: '1-D k[1,3] s[1,2] p[0,1] 2x3x1x11',
    shape: [2, 3, 1, 11],
    p: { kernel: [1, 3], stride: [1, 2], padding: [0, 1] },
  },
  // ONNX attributes: pads [top, left, bottom, right], dilations, ceil_mode (cross-checked against onnxruntime 1.30)
  {
    name: 'k3 s2 d2 pads [1,2,1,0] 2x2x8x7',
    shape: [2, 2, 8, 7],
    p: { kernel: 3, stride: 2, dilation: 2, padding: [1, 2, 1, 0] },
  },
  {
    name: 'k[3,2] s[2,3] d[2,1] pads [2,1,0,1] 1x2x8x9',
    shape: [1, 2, 8, 9],
    p: { kernel: [3, 2], stride: [2, 3], dilation: [2, 1], padding: [2, 1, 0, 1] },
  },
  {
    name: 'k3 s1 d2 p2, vec4 rows 2x2x9x12',
    shape: [2, 2, 9, 12],
    p: { kernel: 3, stride: 1, dilation: 2, padding: 2 },
  },
  { name: 'ceil k2 s2 no padding 2x3x7x5', shape: [2, 3, 7, 5], p: { kernel: 2, ceilMode: true } },
  { name: 'ceil k3 s2 p1 2x2x6x8', shape: [2, 2, 6, 8], p: { kernel: 3, stride: 2, padding: 1, ceilMode: true } },
  // ceil adds a window that would start in the end padding: dropped (4 -> 3 rows and columns)
  {
    name: 'ceil k3 s3 p2 (pads = kernel - 1, last window dropped) 1x2x6x7',
    shape: [1, 2, 6, 7],
    p: { kernel: 3, stride: 3, padding: 2, ceilMode: true },
  },
  {
    name: 'ceil k3 s2 pads [1,0,2,1] 1x2x7x6',
    shape: [1, 2, 7, 6],
    p: { kernel: 3, stride: 2, padding: [1, 0, 2, 1], ceilMode: true },
  },
  {
    name: 'k[2,2] s[2,1] d[3,2] pads = dilated kernel - 1 [3,2,3,2] 1x2x5x6',
    shape: [1, 2, 5, 6],
    p: { kernel: 2, stride: [2, 1], dilation: [3, 2], padding: [3, 2, 3, 2] },
  },
  {
    name: '1-D k[1,3] s[1,2] d[1,2] pads [0,2,0,1] ceil 2x3x1x10',
    shape: [2, 3, 1, 10],
    p: { kernel: [1, 3], stride: [1, 2], dilation: [1, 2], padding: [0, 2, 0, 1], ceilMode: true },
  },
];

function inputs(shape: number[], p: Pool2dParams, seed: number) {
  const rng = new Rng(seed);
  const x = asF32(rng.uniform(sizeOf(shape)));
  const yShape = ref.outputShape(shape, p);
  const dy = asF32(rng.uniform(sizeOf(yShape)));
  return { x, dy, yShape };
}

/** Bad input must throw before any GPU work is recorded. */
async function expectRejected(engine: Engine, fn: () => unknown, pattern: RegExp, label: string): Promise<void> {
  const before = engine.stats.dispatches;
  await expectThrows(fn, pattern, label);
  assert(engine.stats.dispatches === before, `${label}: dispatched GPU work before rejecting`);
}

const maxpool = defineCases('maxpool', (test) => {
  for (const { name, shape, p } of configs) {
    test(`forward+backward ${name}`, async (engine) => {
      const { x, dy, yShape } = inputs(shape, p, 11);
      const tx = Tensor.from(engine, x, shape);
      const tdy = Tensor.from(engine, dy, yShape);
      const { y, argmax } = maxPool2d(tx, p);
      const dx = maxPool2dBackward(tdy, argmax, shape, p);
      const want = ref.maxPool2d(x, shape, p);
      assert(
        pool2dOutputShape(shape, p).join() === yShape.join() && y.shape.join() === yShape.join(),
        `output shape ${y.shape}`,
      );
      expectClose(await y.download(), want.y, { rtol: 0, atol: 0 }, 'maxpool forward');
      expectClose(await argmax.download(), want.argmax, { rtol: 0, atol: 0 }, 'maxpool argmax');
      const wantDx = ref.maxPool2dBackward(dy, want.argmax, shape, p);
      expectClose(await dx.download(), wantDx, SUM_TOL, 'maxpool backward');
      const fd = numericGrad((z) => dot(ref.maxPool2d(z, shape, p).y, dy), x);
      expectClose(wantDx, fd, FD_TOL, 'maxpool reference vs finite differences');
      for (const t of [tx, tdy, y, argmax, dx]) t.dispose();
    });
  }

  // the relu → max-pool fusion: the pool's input is a relu output, and its argmax (−1 where the max is not > 0) carries the relu's mask
  for (const { name, shape, p } of configs) {
    test(`forward+backward with the relu mask of its input ${name}`, async (engine) => {
      const { x, dy, yShape } = inputs(shape, p, 17);
      const r = asF32(x.map((v) => Math.max(v, 0)));
      const tr = Tensor.from(engine, r, shape);
      const tdy = Tensor.from(engine, dy, yShape);
      const { y, argmax } = maxPool2d(tr, p, true);
      const dx = maxPool2dBackward(tdy, argmax, shape, p);
      const want = ref.maxPool2d(r, shape, p);
      expectClose(await y.download(), want.y, { rtol: 0, atol: 0 }, 'maxpool forward');
      expectClose(
        await argmax.download(),
        want.argmax.map((a, o) => (want.y[o]! > 0 ? a : -1)),
        { rtol: 0, atol: 0 },
        'masked argmax',
      );
      const wantDx = ref.maxPool2dBackward(dy, want.argmax, shape, p).map((g, i) => (r[i]! > 0 ? g : 0));
      expectClose(await dx.download(), wantDx, SUM_TOL, 'masked maxpool backward');
      const fd = numericGrad(
        (z) =>
          dot(
            ref.maxPool2d(
              z.map((v) => Math.max(v, 0)),
              shape,
              p,
            ).y,
            dy,
          ),
        x,
      );
      expectClose(wantDx, fd, FD_TOL, 'relu + maxpool reference vs finite differences');
      for (const t of [tr, tdy, y, argmax, dx]) t.dispose();
    });
  }

  test('bad input is a PathlightError naming the op', async (engine) => {
    const x = Tensor.from(engine, new Float32Array(2 * 3 * 5), [2, 3, 5]);
    const x4 = Tensor.from(engine, new Float32Array(9), [1, 1, 3, 3]);
    const dy = Tensor.zeros(engine, [1, 1, 1, 1]);
    await expectRejected(
      engine,
      () => maxPool2d(x, { kernel: 2 }),
      /maxPool2d: input must have rank 4, got shape \[2, 3, 5\]/,
      'rank',
    );
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 2, padding: 2 }),
      /maxPool2d: padding \[2, 2, 2, 2\] must be smaller than the \(dilated\) kernel \[2, 2\] on each side/,
      'padding',
    );
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 2, dilation: 2, padding: [0, 0, 3, 0] }),
      /maxPool2d: padding \[0, 0, 3, 0\] must be smaller than the \(dilated\) kernel \[3, 3\]/,
      'end padding',
    );
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 6, padding: 1 }),
      /maxPool2d: kernel \[6, 6\] \(dilated \[6, 6\]\) is bigger than the padded input/,
      'kernel too big',
    );
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 2, dilation: [1, 0] }),
      /maxPool2d: dilation must be an integer >= 1/,
      'dilation 0',
    );
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 2, padding: [1, 1, 1] as never }),
      /maxPool2d: padding must be an integer >= 0, a pair \[h, w\] or \[top, left, bottom, right\] of them, got \[1,1,1\]/,
      'three pads',
    );
    // a dilated window can step over a one-row input: taps at rows -1 and 1 of [1, 1, 1, 3]
    const row = Tensor.zeros(engine, [1, 1, 1, 3]);
    await expectRejected(
      engine,
      () => maxPool2d(row, { kernel: [2, 1], stride: 1, dilation: [2, 1], padding: [1, 0, 1, 0] }),
      /maxPool2d: window row 0 of \[1, 1, 1, 3\] covers only padding \(kernel \[2, 1\], dilation \[2, 1\]\)/,
      'window of padding only',
    );
    row.dispose();
    await expectRejected(
      engine,
      () => maxPool2d(x4, { kernel: 2, stride: 0 }),
      /maxPool2d: stride must be an integer >= 1/,
      'stride 0',
    );
    await expectRejected(
      engine,
      () => maxPool2dBackward(dy, dy, [1, 1, 3, 3], { kernel: 1 }),
      /maxPool2dBackward: dy has shape \[1, 1, 1, 1\], expected \[1, 1, 3, 3\]/,
      'dy shape',
    );
    const big = Tensor.zeros(engine, [1, 1, 3, 3]);
    await expectRejected(
      engine,
      () => maxPool2dBackward(big, dy, [1, 1, 3, 3], { kernel: 1 }),
      /maxPool2dBackward: argmax has shape \[1, 1, 1, 1\]/,
      'argmax shape',
    );
    for (const t of [x, x4, dy, big]) t.dispose();
  });
});

const avgpool = defineCases('avgpool', (test) => {
  for (const { name, shape, p } of configs) {
    for (const countIncludePad of [true, false]) {
      // without padding the two divisors agree: only the padded configs need both
      if (!countIncludePad && !p.padding) continue;
      test(`forward+backward ${name} countIncludePad=${countIncludePad}`, async (engine) => {
        const { x, dy, yShape } = inputs(shape, p, 23);
        const q = { ...p, countIncludePad };
        const tx = Tensor.from(engine, x, shape);
        const tdy = Tensor.from(engine, dy, yShape);
        const y = avgPool2d(tx, q);
        const dx = avgPool2dBackward(tdy, shape, q);
        expectClose(await y.download(), ref.avgPool2d(x, shape, p, countIncludePad), SUM_TOL, 'avgpool forward');
        const wantDx = ref.avgPool2dBackward(dy, shape, p, countIncludePad);
        expectClose(await dx.download(), wantDx, SUM_TOL, 'avgpool backward');
        const fd = numericGrad((z) => dot(ref.avgPool2d(z, shape, p, countIncludePad), dy), x);
        expectClose(wantDx, fd, FD_TOL, 'avgpool reference vs finite differences');
        for (const t of [tx, tdy, y, dx]) t.dispose();
      });
    }
  }

  test('count_include_pad changes only border windows', async (engine) => {
    // all-ones input: with padding counted the corner of a k3 p1 window averages 4/9, else exactly 1
    const shape = [1, 1, 4, 4];
    const tx = Tensor.from(engine, new Float32Array(16).fill(1), shape);
    const withPad = await avgPool2d(tx, { kernel: 3, stride: 1, padding: 1 }).download();
    const without = await avgPool2d(tx, { kernel: 3, stride: 1, padding: 1, countIncludePad: false }).download();
    expectClose(withPad.slice(0, 2), [4 / 9, 6 / 9], SUM_TOL, 'count_include_pad corner/edge');
    expectClose(without, new Float32Array(16).fill(1), SUM_TOL, 'exclude pad');
    tx.dispose();
  });

  test('count_include_pad counts the declared pads, not a ceil-mode overhang (onnxruntime, PyTorch)', async (engine) => {
    // all-ones 6x6, k3 s2 p1 ceil: the last row and column of windows span rows 5..7 of which 7 is past the end pad
    const tx = Tensor.from(engine, new Float32Array(36).fill(1), [1, 1, 6, 6]);
    const y = await avgPool2d(tx, { kernel: 3, stride: 2, padding: 1, ceilMode: true }).download();
    const edge = [4 / 9, 2 / 3, 2 / 3, 1 / 3];
    expectClose(
      y,
      [edge, [2 / 3, 1, 1, 0.5], [2 / 3, 1, 1, 0.5], edge.map((v) => v * 0.75)].flat(),
      SUM_TOL,
      'ceil-mode windows with counted padding',
    );
    // unpadded ceil mode: the overhang is never counted, every window of ones averages 1
    const t5 = Tensor.from(engine, new Float32Array(25).fill(1), [1, 1, 5, 5]);
    expectClose(
      await avgPool2d(t5, { kernel: 2, ceilMode: true }).download(),
      new Float32Array(9).fill(1),
      SUM_TOL,
      'ceil-mode overhang without padding',
    );
    tx.dispose();
    t5.dispose();
  });

  test('bad input is a PathlightError naming the op', async (engine) => {
    const x = Tensor.from(engine, new Float32Array(9), [1, 1, 3, 3]);
    await expectRejected(
      engine,
      () => avgPool2d(x, { kernel: 3, padding: [0, 3] }),
      /avgPool2d: padding \[0, 3, 0, 3\] must be smaller than the \(dilated\) kernel \[3, 3\]/,
      'padding',
    );
    await expectRejected(
      engine,
      () => avgPool2d(x, { kernel: [4, 1] }),
      /avgPool2d: kernel \[4, 1\] \(dilated \[4, 1\]\) is bigger than the padded input/,
      'kernel too big',
    );
    await expectRejected(
      engine,
      () => avgPool2dBackward(x, [1, 1, 3, 3], { kernel: 2, stride: 1 }),
      /avgPool2dBackward: dy has shape \[1, 1, 3, 3\], expected \[1, 1, 2, 2\]/,
      'dy shape',
    );
    x.dispose();
  });
});

const gap = defineCases('gap', (test) => {
  for (const shape of [
    [2, 3, 7, 5],
    [2, 64, 8, 8],
    [3, 2, 2, 3],
    [1, 2, 1, 1],
  ]) {
    test(`forward+backward ${shape.join('x')}`, async (engine) => {
      const rng = new Rng(5);
      const x = asF32(rng.uniform(sizeOf(shape)));
      const dy = asF32(rng.uniform(shape[0]! * shape[1]!));
      const tx = Tensor.from(engine, x, shape);
      const tdy = Tensor.from(engine, dy, [shape[0]!, shape[1]!]);
      const y = globalAvgPool(tx);
      const dx = globalAvgPoolBackward(tdy, shape);
      assert(y.shape.join() === `${shape[0]},${shape[1]}`, `gap output shape ${y.shape}`);
      expectClose(await y.download(), ref.globalAvgPool(x, shape), SUM_TOL, 'gap forward');
      const wantDx = ref.globalAvgPoolBackward(dy, shape);
      expectClose(await dx.download(), wantDx, SUM_TOL, 'gap backward');
      if (x.length <= 512) {
        const fd = numericGrad((z) => dot(ref.globalAvgPool(z, shape), dy), x);
        expectClose(wantDx, fd, FD_TOL, 'gap reference vs finite differences');
      }
      for (const t of [tx, tdy, y, dx]) t.dispose();
    });
  }

  test('bad input is a PathlightError naming the op', async (engine) => {
    const x = Tensor.from(engine, new Float32Array(6), [2, 3]);
    await expectRejected(
      engine,
      () => globalAvgPool(x),
      /globalAvgPool: input must have rank 4, got shape \[2, 3\]/,
      'rank',
    );
    await expectRejected(
      engine,
      () => globalAvgPoolBackward(x, [2, 2, 3, 3]),
      /globalAvgPoolBackward: dy has shape \[2, 3\], expected \[2, 2\]/,
      'dy shape',
    );
    x.dispose();
  });
});

const batches = defineCases('pool', (test) => {
  test('another batch size or channel count reuses the pipelines (the kernels read N·C from the bound output)', async (engine) => {
    const p: Pool2dParams = { kernel: 3, stride: 2, padding: 1 };
    const run = async (shape: number[], label: string) => {
      const { x, dy, yShape } = inputs(shape, p, 23);
      const tx = Tensor.from(engine, x, shape);
      const tdy = Tensor.from(engine, dy, yShape);
      const { y, argmax } = maxPool2d(tx, p);
      const dx = maxPool2dBackward(tdy, argmax, shape, p);
      const avg = avgPool2d(tx, p);
      const gy = globalAvgPool(tx);
      const want = ref.maxPool2d(x, shape, p);
      expectClose(await y.download(), want.y, { rtol: 0, atol: 0 }, `${label} maxpool forward`);
      expectClose(
        await dx.download(),
        ref.maxPool2dBackward(dy, want.argmax, shape, p),
        SUM_TOL,
        `${label} maxpool backward`,
      );
      expectClose(await avg.download(), ref.avgPool2d(x, shape, p), SUM_TOL, `${label} avgpool forward`);
      expectClose(await gy.download(), ref.globalAvgPool(x, shape), SUM_TOL, `${label} gap forward`);
      for (const t of [tx, tdy, y, argmax, dx, avg, gy]) t.dispose();
    };
    await run([2, 3, 9, 7], 'N=2 C=3');
    const pipelines = engine.stats.pipelines;
    // odd sizes: the pooled buffers are larger than these tensors, so only exact bindings give the right length
    await run([5, 1, 9, 7], 'N=5 C=1');
    await run([3, 7, 9, 7], 'N=3 C=7');
    assert(
      engine.stats.pipelines === pipelines,
      `new batch sizes compiled ${engine.stats.pipelines - pipelines} pipeline(s)`,
    );
  });
});

export default [...maxpool, ...avgpool, ...gap, ...batches];
