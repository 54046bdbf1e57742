import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/softmax.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createEngine } from '../../src/gpu/engine.js';
import { logSoftmax, logSoftmaxBackward, softmax, softmaxBackward } from '../../src/ops/softmax.js';
import { crossEntropy, crossEntropyBackward, labelsTensor } from '../../src/train/cross-entropy.js';

// float32 exp/log on O(1) inputs: ~1e-7 relative error per element.
const TOL = { rtol: 1e-5, atol: 1e-6 };
// central differences of float64 functions with eps 1e-6
const FD_TOL = { rtol: 1e-6, atol: 1e-7 };

const softmaxCases = defineCases('softmax', (test) => {
  // C = 10 (not a multiple of 4) and C = 1 run a row per invocation; C = 67, 100 share a workgroup.
  for (const [n, c] of [
    [3, 10],
    [2, 1],
    [70, 5],
    [2, 67],
    [3, 100],
  ] as [number, number][]) {
    test(`softmax and log-softmax forward+backward N=${n} C=${c}`, async (engine) => {
      const rng = new Rng(n * 1000 + c);
      const x = asF32(rng.uniform(n * c, -3, 3));
      const dy = asF32(rng.uniform(n * c));
      const tx = Tensor.from(engine, x, [n, c]);
      const tdy = Tensor.from(engine, dy, [n, c]);
      const ty = softmax(tx);
      const tly = logSoftmax(tx);
      const y = asF32(ref.softmax(x, n, c));
      const ly = asF32(ref.logSoftmax(x, n, c));
      expectClose(await ty.download(), y, TOL, 'softmax');
      expectClose(await tly.download(), ly, TOL, 'logSoftmax');
      // backward from the GPU's forward outputs, against the reference from the same values
      const gy = Float64Array.from(await ty.download());
      const gly = Float64Array.from(await tly.download());
      const tdx = softmaxBackward(ty, tdy);
      const tldx = logSoftmaxBackward(tly, tdy);
      expectClose(await tdx.download(), ref.softmaxBackward(gy, dy, n, c), TOL, 'softmaxBackward');
      expectClose(await tldx.download(), ref.logSoftmaxBackward(gly, dy, n, c), TOL, 'logSoftmaxBackward');
      if (n * c <= 200) {
        const fd = numericGrad((z) => dot(ref.softmax(z, n, c), dy), x);
        expectClose(
          ref.softmaxBackward(ref.softmax(x, n, c), dy, n, c),
          fd,
          FD_TOL,
          'softmax reference vs finite differences',
        );
        const lfd = numericGrad((z) => dot(ref.logSoftmax(z, n, c), dy), x);
        expectClose(
          ref.logSoftmaxBackward(ref.logSoftmax(x, n, c), dy, n, c),
          lfd,
          FD_TOL,
          'logSoftmax reference vs finite differences',
        );
      }
      for (const t of [tx, tdy, ty, tly, tdx, tldx]) t.dispose();
    });
  }

  for (const c of [10, 90]) {
    test(`large logits stay finite and exact, C=${c}`, async (engine) => {
      const rng = new Rng(c);
      const n = 3;
      // rows around +1e4, around -1e4, and spanning both: a naive exp overflows or underflows
      const x = asF32(
        Float64Array.from(
          { length: n * c },
          (_, i) => (i < c ? 1e4 : i < 2 * c ? -1e4 : i % 2 ? 1e4 : -1e4) + rng.uniform(1, -5, 5)[0]!,
        ),
      );
      const tx = Tensor.from(engine, x, [n, c]);
      const ty = softmax(tx);
      const tly = logSoftmax(tx);
      const y = await ty.download();
      const ly = await tly.download();
      assert(y.every(Number.isFinite) && ly.every(Number.isFinite), 'non-finite output for large logits');
      expectClose(y, ref.softmax(x, n, c), TOL, 'softmax large logits');
      // log-softmax of entries 2e4 below the max is about -2e4: compare relative to that scale
      expectClose(ly, ref.logSoftmax(x, n, c), { rtol: 1e-6, atol: 1e-3 }, 'logSoftmax large logits');
      for (const t of [tx, ty, tly]) t.dispose();
    });
  }

  test('wide rows: the subgroup max (where offered) is bitwise identical to the tree', async (engine) => {
    const tree = await createEngine({ device: engine.device, subgroups: false });
    const [n, c] = [4, 300];
    const x = asF32(new Rng(17).normal(n * c, 3));
    const outputs: Float32Array[][] = [];
    for (const e of [engine, tree]) {
      const tx = Tensor.from(e, x, [n, c]);
      const [ty, tly] = [softmax(tx), logSoftmax(tx)];
      outputs.push([await ty.download(), await tly.download()]);
      for (const t of [tx, ty, tly]) t.dispose();
    }
    tree.dispose();
    const [[y, ly], [y0, ly0]] = outputs as [Float32Array[], Float32Array[]];
    const same = (a: Float32Array, b: Float32Array) =>
      new Uint32Array(a.buffer).every((bits, i) => bits === new Uint32Array(b.buffer)[i]);
    const path = engine.subgroups ? 'subgroups' : 'subgroups not offered, tree';
    assert(same(y!, y0!) && same(ly!, ly0!), `${path}: softmax bits differ from the tree path`);
    expectClose(y!, ref.softmax(x, n, c), TOL, `softmax (${path})`);
    expectClose(ly!, ref.logSoftmax(x, n, c), TOL, `logSoftmax (${path})`);
  });

  test('shape errors', async (engine) => {
    const x = Tensor.zeros(engine, [2, 3, 4]);
    const y = Tensor.zeros(engine, [2, 3]);
    const dy = Tensor.zeros(engine, [3, 2]);
    await expectThrows(() => softmax(x, 3), /softmax: axis 3 is out of range for x of shape \[2, 3, 4\]/, 'axis');
    await expectThrows(
      () => softmaxBackward(y, dy),
      /softmaxBackward: dy has shape \[3, 2\], expected \[2, 3\]/,
      'dy shape',
    );
    for (const t of [x, y, dy]) t.dispose();
  });
});

const crossEntropyCases = defineCases('cross-entropy', (test) => {
  // 70 rows > 64 invocations exercises the per-invocation row loop; C = 70 the workgroup rows.
  for (const [n, c] of [
    [4, 10],
    [70, 3],
    [3, 70],
  ] as [number, number][]) {
    test(`loss, probabilities and gradient N=${n} C=${c}`, async (engine) => {
      const rng = new Rng(n * 31 + c);
      const x = asF32(rng.uniform(n * c, -4, 4));
      const labels = Array.from({ length: n }, () => rng.int(0, c - 1));
      const tx = Tensor.from(engine, x, [n, c]);
      const tl = labelsTensor(engine, labels, c);
      const { loss, probs } = crossEntropy(tx, tl);
      const tdx = crossEntropyBackward(probs, tl);
      const p = ref.softmax(x, n, c);
      expectClose(await loss.download(), [ref.crossEntropy(x, labels, n, c)], { rtol: 1e-5, atol: 1e-6 }, 'loss');
      expectClose(await probs.download(), p, TOL, 'probs');
      expectClose(
        await tdx.download(),
        ref.crossEntropyBackward(p, labels, n, c),
        { rtol: 1e-5, atol: 1e-7 },
        'dlogits',
      );
      if (n * c <= 300) {
        const fd = numericGrad((z) => ref.crossEntropy(z, labels, n, c), x);
        expectClose(ref.crossEntropyBackward(p, labels, n, c), fd, FD_TOL, 'reference gradient vs finite differences');
      }
      for (const t of [tx, tl, loss, probs, tdx]) t.dispose();
    });
  }

  test('large logits give a finite, exact loss', async (engine) => {
    const [n, c] = [2, 10];
    const x = Float64Array.from({ length: n * c }, (_, i) => (i % 3 === 0 ? 1e4 : -1e4) + (i % 7));
    const labels = [1, 3];
    const tx = Tensor.from(engine, x, [n, c]);
    const tl = labelsTensor(engine, labels, c);
    const { loss, probs } = crossEntropy(tx, tl);
    expectClose(
      await loss.download(),
      [ref.crossEntropy(x, labels, n, c)],
      { rtol: 1e-6, atol: 1e-3 },
      'loss with large logits',
    );
    for (const t of [tx, tl, loss, probs]) t.dispose();
  });

  test('bad labels: CPU validation names the index; on the GPU they poison the loss with NaN', async (engine) => {
    await expectThrows(
      () => labelsTensor(engine, [0, 2, 10], 10),
      /labelsTensor: label 10 at index 2 is not a class index in \[0, 10\)/,
      'out of range',
    );
    await expectThrows(() => labelsTensor(engine, [1.5], 10), /label 1.5 at index 0/, 'fractional');
    await expectThrows(() => labelsTensor(engine, [-1], 10), /label -1 at index 0/, 'negative');
    const tx = Tensor.zeros(engine, [2, 10]);
    const bad = Tensor.from(engine, [3, 12], [2]);
    const short = Tensor.from(engine, [3], [1]);
    await expectThrows(
      () => crossEntropy(tx, short),
      /crossEntropy: labels have shape \[1\], expected \[2\]/,
      'label count',
    );
    const { loss, probs } = crossEntropy(tx, bad);
    assert(Number.isNaN((await loss.download())[0]), 'an out-of-range label did not give a NaN loss');
    const tg = crossEntropyBackward(probs, bad);
    const g = await tg.download();
    assert(
      g.slice(0, 10).every(Number.isFinite) && g.slice(10).every(Number.isNaN),
      'gradient rows: valid row finite, bad row NaN',
    );
    for (const t of [tx, bad, short, loss, probs, tg]) t.dispose();
  });
});

export default [...softmaxCases, ...crossEntropyCases];
