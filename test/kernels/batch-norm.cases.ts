/**
 * Inference batch norm (+ fused ReLU), its input and parameter gradients, training mode (the fused
 * batchNormTraining against the separate passes, bit for bit), and BN folding.
 * Tolerances: f32 math against float64 references, rtol 1e-5 / atol 1e-5 (the parameter gradients
 * sum N·H·W terms). References are checked against central finite differences; folding is checked in
 * float64 only: BN(conv(x, W, b)) vs conv(x, W', b').
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/batch-norm.js';
import { Tensor, sizeOf } from '../../src/tensor/tensor.js';
import {
  batchNorm,
  batchNormBackwardInput,
  batchNormBackwardParams,
  batchNormBackwardTraining,
  batchNormTraining,
  batchStatistics,
  foldBatchNorm,
  type BatchNormParams,
} from '../../src/ops/batch-norm.js';
import { reluBackward } from '../../src/ops/relu.js';
import type { Engine } from '../../src/gpu/engine.js';

const TOL = { rtol: 1e-5, atol: 1e-5 };
const FD_TOL = { rtol: 1e-6, atol: 1e-6 };
const EPS = 1e-5;

function randomBn(rng: Rng, c: number): ref.BnRef {
  return {
    gamma: asF32(rng.uniform(c, -1.5, 1.5)),
    beta: asF32(rng.uniform(c)),
    mean: asF32(rng.uniform(c)),
    variance: asF32(rng.uniform(c, 0.2, 2)),
    eps: EPS,
  };
}

function upload(engine: Engine, bn: ref.BnRef): BatchNormParams {
  const c = bn.gamma.length;
  return {
    gamma: Tensor.from(engine, bn.gamma, [c]),
    beta: Tensor.from(engine, bn.beta, [c]),
    mean: Tensor.from(engine, bn.mean, [c]),
    variance: Tensor.from(engine, bn.variance, [c]),
    eps: bn.eps,
  };
}

function disposeBn(bn: BatchNormParams): void {
  for (const t of [bn.gamma, bn.beta, bn.mean, bn.variance]) t.dispose();
}

/** Bad input must throw before any GPU work is recorded. */
async function expectRejected(engine: Engine, fn: () => unknown, pattern: RegExp, label: string): Promise<void> {
  const before = engine.stats.dispatches;
  await expectThrows(fn, pattern, label);
  assert(engine.stats.dispatches === before, `${label}: dispatched GPU work before rejecting`);
}

export default defineCases('batchnorm', (test) => {
  // vec4 / vec2 / scalar lanes along H·W, odd sizes, batch > 1, [N, C] input, more elements than a workgroup
  for (const shape of [
    [2, 3, 7, 5],
    [3, 5, 2, 3],
    [4, 6],
    [3, 2, 8, 12],
  ]) {
    for (const relu of [false, true]) {
      test(`forward+backward ${shape.join('x')}${relu ? ' relu' : ''}`, async (engine) => {
        const rng = new Rng(17);
        const c = shape[1]!;
        const bn = randomBn(rng, c);
        const x = asF32(rng.uniform(sizeOf(shape), -2, 2));
        const dy = asF32(rng.uniform(sizeOf(shape)));
        const tbn = upload(engine, bn);
        const tx = Tensor.from(engine, x, shape);
        const tdy = Tensor.from(engine, dy, shape);
        const ty = batchNorm(tx, tbn, { relu });
        const tdx = batchNormBackwardInput(tdy, tbn, relu ? ty : undefined);
        const { dgamma, dbeta } = batchNormBackwardParams(tx, tdy, tbn);

        const y = ref.batchNorm(x, shape, bn, relu);
        expectClose(await ty.download(), y, TOL, 'batchnorm forward');
        const dx = ref.batchNormBackwardInput(dy, shape, bn, relu ? y : undefined);
        expectClose(await tdx.download(), dx, TOL, 'batchnorm backward input');
        const dp = ref.batchNormBackwardParams(x, dy, shape, bn);
        expectClose(await dgamma.download(), dp.dgamma, TOL, 'batchnorm dgamma');
        expectClose(await dbeta.download(), dp.dbeta, TOL, 'batchnorm dbeta');

        // the references agree with finite differences of <BN(x), dy> (random x: no ReLU kinks)
        expectClose(
          dx,
          numericGrad((z) => dot(ref.batchNorm(z, shape, bn, relu), dy), x),
          FD_TOL,
          'dx reference vs finite differences',
        );
        if (!relu) {
          expectClose(
            dp.dgamma,
            numericGrad((g) => dot(ref.batchNorm(x, shape, { ...bn, gamma: g }), dy), bn.gamma),
            FD_TOL,
            'dgamma reference vs finite differences',
          );
          expectClose(
            dp.dbeta,
            numericGrad((b) => dot(ref.batchNorm(x, shape, { ...bn, beta: b }), dy), bn.beta),
            FD_TOL,
            'dbeta reference vs finite differences',
          );
        }
        for (const t of [tx, tdy, ty, tdx, dgamma, dbeta]) t.dispose();
        disposeBn(tbn);
      });
    }
  }

  // training mode: batch statistics (+ running update), normalisation by them, backward through them
  for (const shape of [
    [4, 3, 5, 7],
    [3, 5, 2, 2],
    [6, 4],
    [2, 2, 9, 16],
  ]) {
    for (const relu of [false, true]) {
      test(`training mode ${shape.join('x')}${relu ? ' relu' : ''}: statistics, running update, forward, backward vs float64`, async (engine) => {
        const rng = new Rng(23);
        const c = shape[1]!;
        const bn = randomBn(rng, c);
        const x = asF32(rng.uniform(sizeOf(shape), -1, 3));
        const dy = asF32(rng.uniform(sizeOf(shape), -1, 1));
        const tbn = upload(engine, bn);
        const tx = Tensor.from(engine, x, shape);
        const tdy = Tensor.from(engine, dy, shape);
        const stats = batchStatistics(tx, { running: { mean: tbn.mean, variance: tbn.variance }, momentum: 0.1 });
        const batchBn = { ...tbn, mean: stats.mean, variance: stats.variance };
        const ty = batchNorm(tx, batchBn, { relu });
        const g = relu ? reluBackward(ty, tdy) : tdy;
        const back = batchNormBackwardTraining(tx, g, batchBn);

        const want = ref.batchStatistics(x, shape);
        expectClose(await stats.mean.download(), want.mean, TOL, 'batch mean');
        expectClose(await stats.variance.download(), want.variance, TOL, 'batch variance');
        const m = sizeOf(shape) / c;
        expectClose(
          await tbn.mean.download(),
          bn.mean.map((r, k) => 0.9 * r + 0.1 * want.mean[k]!),
          TOL,
          'running mean',
        );
        expectClose(
          await tbn.variance.download(),
          bn.variance.map((r, k) => 0.9 * r + (0.1 * want.variance[k]! * m) / (m - 1)),
          TOL,
          'running variance (unbiased)',
        );
        const y = ref.batchNormTraining(x, shape, bn.gamma, bn.beta, EPS, relu);
        expectClose(await ty.download(), y, TOL, 'training forward');
        const gy = relu ? dy.map((d, k) => (y[k]! > 0 ? d : 0)) : dy;
        const dx = ref.batchNormTrainingBackwardInput(x, gy, shape, bn.gamma, EPS);
        expectClose(await back.dx.download(), dx, { rtol: 1e-4, atol: 1e-5 }, 'training backward input');
        const xhatBn = { ...bn, mean: want.mean, variance: want.variance };
        const dp = ref.batchNormBackwardParams(x, gy, shape, xhatBn);
        expectClose(await back.dgamma.download(), dp.dgamma, TOL, 'training dgamma');
        expectClose(await back.dbeta.download(), dp.dbeta, TOL, 'training dbeta');

        // the references agree with finite differences of <BN_train(x), dy> (the statistics depend on x)
        const f = (z: Float64Array) => dot(ref.batchNormTraining(z, shape, bn.gamma, bn.beta, EPS, relu), dy);
        expectClose(dx, numericGrad(f, x), { rtol: 1e-5, atol: 1e-6 }, 'training dx reference vs finite differences');
        expectClose(
          dp.dgamma,
          numericGrad((gm) => dot(ref.batchNormTraining(x, shape, gm, bn.beta, EPS, relu), dy), bn.gamma),
          { rtol: 1e-5, atol: 1e-6 },
          'training dgamma reference vs finite differences',
        );
        // the backward really differs from the inference-mode one: the test can tell them apart
        const inference = ref.batchNormBackwardInput(gy, shape, xhatBn);
        assert(
          dx.some((v, k) => Math.abs(v - inference[k]!) > 1e-3),
          'training and inference backward agree: the statistics terms are not exercised',
        );
        // batchNormTraining: statistics, running update and forward in one dispatch, the same bits
        const tbn2 = upload(engine, bn);
        const fused = batchNormTraining(tx, tbn2, { relu, momentum: 0.1 });
        const same = async (a: Tensor, b: Tensor, what: string) => {
          const [va, vb] = [await a.download(), await b.download()];
          assert(
            va.every((v, k) => Object.is(v, vb[k])),
            `batchNormTraining's ${what} differs from the separate passes'`,
          );
        };
        await same(fused.y, ty, 'output');
        await same(fused.mean, stats.mean, 'batch mean');
        await same(fused.variance, stats.variance, 'batch variance');
        await same(tbn2.mean, tbn.mean, 'running mean');
        await same(tbn2.variance, tbn.variance, 'running variance');
        for (const t of [tx, tdy, ty, back.dx, back.dgamma, back.dbeta, stats.mean, stats.variance]) t.dispose();
        for (const t of [fused.y, fused.mean, fused.variance]) t.dispose();
        if (g !== tdy) g.dispose();
        disposeBn(tbn);
        disposeBn(tbn2);
      });
    }
  }

  test('bad input is a PathlightError naming the op', async (engine) => {
    const rng = new Rng(1);
    const bn = upload(engine, randomBn(rng, 3));
    const x3 = Tensor.zeros(engine, [2, 3, 4]);
    const x = Tensor.zeros(engine, [2, 4, 2, 2]);
    const ok = Tensor.zeros(engine, [2, 3, 2, 2]);
    const other = Tensor.zeros(engine, [2, 3, 2, 1]);
    await expectRejected(
      engine,
      () => batchNorm(x3, bn),
      /batchNorm: input must have rank 4 \(NCHW\) or 2 \(\[N, C\]\), got shape \[2, 3, 4\]/,
      'rank',
    );
    await expectRejected(
      engine,
      () => batchNorm(x, bn),
      /batchNorm: gamma has shape \[3\], expected \[4\]/,
      'channels',
    );
    await expectRejected(
      engine,
      () => batchNorm(ok, { ...bn, mean: bn.beta.reshape([1, 3]) }),
      /batchNorm: mean has shape \[1, 3\], expected \[3\]/,
      'param rank',
    );
    await expectRejected(
      engine,
      () => batchNorm(ok, { ...bn, eps: -1 }),
      /batchNorm: eps must be a finite number >= 0/,
      'eps',
    );
    await expectRejected(
      engine,
      () => batchNormBackwardInput(x, bn),
      /batchNormBackwardInput: gamma has shape \[3\], expected \[4\]/,
      'backward channels',
    );
    await expectRejected(
      engine,
      () => batchNormBackwardInput(ok, bn, other),
      /batchNormBackwardInput: reluOutput has shape \[2, 3, 2, 1\]/,
      'relu mask shape',
    );
    await expectRejected(
      engine,
      () => batchNormBackwardParams(ok, other, bn),
      /batchNormBackwardParams: dy has shape \[2, 3, 2, 1\], expected \[2, 3, 2, 2\]/,
      'params dy',
    );
    for (const t of [x3, x, ok, other]) t.dispose();
    disposeBn(bn);
  });

  for (const withBias of [true, false]) {
    test(`foldBatchNorm matches conv + BN in float64${withBias ? '' : ' (no conv bias)'}`, async () => {
      const rng = new Rng(29);
      const xShape = [2, 3, 5, 4];
      const wShape = [4, 3, 3, 2];
      const x = rng.uniform(sizeOf(xShape));
      const w = Float32Array.from(rng.uniform(sizeOf(wShape)));
      const b = withBias ? Float32Array.from(rng.uniform(4)) : null;
      const bn = randomBn(rng, 4);
      const arrays = {
        gamma: Float32Array.from(bn.gamma),
        beta: Float32Array.from(bn.beta),
        mean: Float32Array.from(bn.mean),
        variance: Float32Array.from(bn.variance),
        eps: EPS,
      };
      const folded = foldBatchNorm(w, b, wShape, arrays);
      const yShape = [2, 4, 3, 3];
      const want = ref.batchNorm(ref.conv2d(x, xShape, w, wShape, b), yShape, bn);
      // only the float32 rounding of W' and b' separates the two
      expectClose(ref.conv2d(x, xShape, folded.weight, wShape, folded.bias), want, TOL, 'folded conv');
      // a linear weight [Cout, Cin] folds like a 1x1 conv
      const lin = foldBatchNorm(w.subarray(0, 24), b, [4, 6], arrays);
      const xl = rng.uniform(3 * 6);
      const wantL = ref.batchNorm(ref.conv2d(xl, [3, 6, 1, 1], w.subarray(0, 24), [4, 6, 1, 1], b), [3, 4], bn);
      expectClose(ref.conv2d(xl, [3, 6, 1, 1], lin.weight, [4, 6, 1, 1], lin.bias), wantL, TOL, 'folded linear');
    });
  }

  test('foldBatchNorm rejects mismatched shapes', async () => {
    const rng = new Rng(2);
    const bn = randomBn(rng, 4);
    const arrays = {
      gamma: Float32Array.from(bn.gamma),
      beta: Float32Array.from(bn.beta),
      mean: Float32Array.from(bn.mean),
      variance: Float32Array.from(bn.variance),
      eps: EPS,
    };
    const w = new Float32Array(24);
    await expectThrows(
      () => foldBatchNorm(w, null, [4, 3, 2, 2], arrays),
      /foldBatchNorm: weight has 24 values, shape \[4, 3, 2, 2\] needs 48/,
      'weight size',
    );
    await expectThrows(
      () => foldBatchNorm(w, new Float32Array(3), [4, 6], arrays),
      /foldBatchNorm: bias has 3 values, expected 4/,
      'bias',
    );
    await expectThrows(
      () => foldBatchNorm(w, null, [3, 8], { ...arrays }),
      /foldBatchNorm: gamma has 4 values, expected 3/,
      'channels',
    );
    await expectThrows(
      () => foldBatchNorm(w, null, [4, 6], { ...arrays, variance: new Float32Array(4), eps: 0 }),
      /foldBatchNorm: variance \+ eps of channel 0 is 0, must be > 0/,
      'zero variance',
    );
  });
});
