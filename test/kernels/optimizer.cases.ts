/** SGD (momentum, weight decay) and Adam / AdamW steps against float64 updates (PyTorch semantics). */
import { defineCases } from '../harness/cases.js';
import { expectClose } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { sgdStep } from '../../src/ops/sgd.js';
import { adamStep } from '../../src/ops/adam.js';

function f32(a: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}

export default defineCases('optimizer', (test) => {
  test('SGD with momentum and weight decay: 3 steps vs float64', async (engine) => {
    const rng = new Rng(21);
    const n = 37;
    let p = f32(rng.uniform(n));
    const grads = [0, 1, 2].map(() => f32(rng.uniform(n)));
    const lr = 0.1, momentum = 0.9, weightDecay = 0.01;
    const tp = Tensor.from(engine, p, [n]);
    const buf = Tensor.zeros(engine, [n]);
    let v = new Float64Array(n);
    grads.forEach((g, step) => {
      const tg = Tensor.from(engine, g, [n]);
      sgdStep(tp, tg, buf, { lr, momentum, weightDecay });
      tg.dispose();
      const d = g.map((x, i) => x + weightDecay * p[i]!);
      v = step === 0 ? d : v.map((x, i) => momentum * x + d[i]!); // PyTorch: the first step sets the buffer to d
      p = p.map((x, i) => x - lr * v[i]!);
    });
    expectClose(await tp.download(), p, { rtol: 1e-5, atol: 1e-6 }, 'sgd parameters');
    tp.dispose();
    buf.dispose();
  });

  for (const decoupled of [false, true]) {
    test(`${decoupled ? 'AdamW' : 'Adam'}: 3 steps with bias correction vs float64`, async (engine) => {
      const rng = new Rng(22);
      const n = 41;
      let p = f32(rng.uniform(n));
      const grads = [0, 1, 2].map(() => f32(rng.uniform(n)));
      const lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05;
      const tp = Tensor.from(engine, p, [n]);
      const tm = Tensor.zeros(engine, [n]);
      const tv = Tensor.zeros(engine, [n]);
      let m = new Float64Array(n);
      let v = new Float64Array(n);
      grads.forEach((g0, k) => {
        const t = k + 1;
        const tg = Tensor.from(engine, g0, [n]);
        adamStep(tp, tg, tm, tv, t, { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled });
        tg.dispose();
        if (decoupled) p = p.map((x) => x - lr * wd * x);
        const g = decoupled ? g0 : g0.map((x, i) => x + wd * p[i]!);
        m = m.map((x, i) => b1 * x + (1 - b1) * g[i]!);
        v = v.map((x, i) => b2 * x + (1 - b2) * g[i]! * g[i]!);
        const bc1 = 1 - b1 ** t;
        const bc2 = 1 - b2 ** t;
        p = p.map((x, i) => x - (lr / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps)));
      });
      expectClose(await tp.download(), p, { rtol: 1e-4, atol: 1e-6 }, 'adam parameters');
      for (const t of [tp, tm, tv]) t.dispose();
    });
  }
});
