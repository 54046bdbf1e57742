/**
 * Guided IG on the GPU (`gig`, `gig-idgi`, the k-th-smallest select) against the float64
 * references (test/reference/methods/guided-ig.ts, idgi-variants.ts) on a small random CNN.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, relL2 } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import type { Engine } from '../../src/gpu/engine.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import type { Model } from '../../src/nn/model.js';
import {
  explain,
  guidedIgPath,
  kthSmallest,
  moveSelected,
  rowL1Distance,
  rowSquaredNorms,
  type Explanation,
} from '../../src/attribution/index.js';
import { graphRefModel } from '../reference/graph.js';
import type { RefModel } from '../reference/methods/model.js';
import { guidedIntegratedGradients } from '../reference/methods/guided-ig.js';
import type { RefModel as Ref } from '../reference/methods/model.js';
import { idgiGuidedIG } from '../reference/methods/idgi-variants.js';

const SHAPE: [number, number, number] = [1, 6, 6];
const D = 36;
const TARGETS = [1, 3];

interface Net {
  model: Model;
  ref: RefModel;
}

/** conv(1→3, 3×3) + relu → maxpool 2 → flatten → linear(27 → 4). */
function smallCnn(engine: Engine, seed: number): Net {
  const g = new GraphBuilder();
  let h = g.conv2d('conv', 0, 1, 3, 3, { padding: 1, relu: true });
  h = g.maxPool('pool', h, { kernel: 2 });
  const rep = g.flatten('flat', h);
  g.linear('fc', rep, 27, 4);
  const info = { name: 'gig-cnn', inputShape: SHAPE, numClasses: 4, representationNode: rep };
  const values = initParameters(g, seed);
  const model = buildModel(engine, g, info, values);
  const params = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
  const shapes = new Map([...values].map(([k, v]) => [k, v.shape]));
  return { model, ref: graphRefModel(g.nodes, params, shapes, SHAPE, rep) };
}

function images(seed: number): Float32Array {
  return Float32Array.from(asF32(new Rng(seed).uniform(TARGETS.length * D, 0, 1)));
}

const rowOf = (a: Float32Array, i: number, d: number) => Float64Array.from(a.subarray(i * d, (i + 1) * d));
const row = (a: Float32Array, i: number) => rowOf(a, i, D);

async function run(
  engine: Engine,
  net: Net,
  x: Float32Array,
  baseline: Float32Array,
  method: string,
  steps: number,
): Promise<Explanation> {
  return explain(engine, net.model, x, { method, steps, baseline, target: TARGETS });
}

export default defineCases('guided-ig', (test) => {
  test('kth smallest: exact order statistic per row, ties, signs, ±∞, skipped rows', async (engine) => {
    const rng = new Rng(3);
    const rows = 3;
    const d = 300;
    const data = Float32Array.from(rng.normal(rows * d));
    for (let i = 0; i < 40; i++) data[i * 7] = 0.5; // ties
    data[5] = Infinity;
    data[d + 9] = -Infinity;
    data[2 * d + 1] = -0;
    const values = Tensor.from(engine, data, [rows, d]);
    for (const k of [0, 74, 150, d - 1]) {
      const got = await kthSmallest(values, k).download();
      for (let r = 0; r < rows; r++) {
        const sorted = Float64Array.from(data.subarray(r * d, (r + 1) * d)).sort();
        assert(got[r] === sorted[k], `row ${r}, k ${k}: got ${got[r]}, expected ${sorted[k]}`);
      }
    }
    const flags = Tensor.from(engine, [0, 1, 0], [rows]); // row 1 done: skipped
    const out = Tensor.from(engine, [7, 7, 7], [rows]);
    kthSmallest(values, 0, { out, skip: flags });
    const got = await out.download();
    assert(got[1] === 7 && got[0] !== 7 && got[2] !== 7, `skip flags ignored: ${Array.from(got)}`);
    await expectThrows(() => kthSmallest(values, d), /k must be an integer in \[0, 299\]/, 'k out of range');
    for (const t of [values, flags, out]) t.dispose();
  });

  test('row pieces: per-row L1 distance and squared norm match float64 sums (rows of 1, 300 and 1 000 features)', async (engine) => {
    const rng = new Rng(4);
    for (const [rows, d] of [
      [5, 1],
      [3, 300],
      [2, 1000],
    ] as const) {
      const a = Float32Array.from(rng.normal(rows * d));
      const b = Float32Array.from(rng.normal(rows * d));
      const ta = Tensor.from(engine, a, [rows, d]);
      const tb = Tensor.from(engine, b, [rows, d]);
      const l1 = await rowL1Distance(ta, tb).download();
      const sq = await rowSquaredNorms(ta).download();
      for (let r = 0; r < rows; r++) {
        let refL1 = 0;
        let refSq = 0;
        for (let j = r * d; j < (r + 1) * d; j++) {
          refL1 += Math.abs(a[j]! - b[j]!);
          refSq += a[j]! * a[j]!;
        }
        assert(Math.abs(l1[r]! - refL1) <= 1e-5 * refL1, `[${rows}, ${d}] row ${r}: L1 ${l1[r]}, expected ${refL1}`);
        assert(Math.abs(sq[r]! - refSq) <= 1e-5 * refSq, `[${rows}, ${d}] row ${r}: Σ a² ${sq[r]}, expected ${refSq}`);
      }
      ta.dispose();
      tb.dispose();
    }
    const v = Tensor.from(engine, [1, 2, 3], [3]);
    await expectThrows(() => rowSquaredNorms(v), /rowSquaredNorms: values must be \[rows, \.\.\.features\]/, 'rank 1');
    v.dispose();
  });

  test('moveSelected: selected features move by γ toward the bound (onto it at γ ≥ 1), credited; γ = 0 rows stay', async (engine) => {
    const rng = new Rng(5);
    const [rows, d] = [4, 70];
    const data = (lo = -1, hi = 1) => Float32Array.from(rng.uniform(rows * d, lo, hi));
    const [z0, bound, grad, attr0] = [data(), data(), data(), data()];
    const score = data(0, 1);
    score[3] = Infinity; // never selected
    const threshold = [0.3, 0.5, 0.9, 0.7];
    const gamma = [0.25, 1, 0, 2.5];
    const t = (a: ArrayLike<number>, shape = [rows, d]) => Tensor.from(engine, a, shape);
    const [z, attribution] = [t(z0), t(attr0)];
    const inputs = [t(bound), t(score), t(threshold, [rows]), t(gamma, [rows]), t(grad)] as const;
    moveSelected(z, inputs[0], {
      score: inputs[1],
      threshold: inputs[2],
      gamma: inputs[3],
      credit: { grad: inputs[4], attribution },
    });
    const [gotZ, gotA] = [await z.download(), await attribution.download()];
    for (let i = 0; i < rows * d; i++) {
      const r = Math.floor(i / d);
      const g = gamma[r]!;
      const move = g !== 0 && score[i]! <= threshold[r]! && score[i] !== Infinity;
      const zNew = !move ? z0[i]! : g >= 1 ? bound[i]! : z0[i]! + g * (bound[i]! - z0[i]!);
      const aNew = attr0[i]! + (zNew - z0[i]!) * grad[i]!;
      assert(
        Math.abs(gotZ[i]! - zNew) <= 1e-6 && Math.abs(gotA[i]! - aNew) <= 1e-5,
        `feature ${i}: z ${gotZ[i]} vs ${zNew}, attribution ${gotA[i]} vs ${aNew}`,
      );
    }
    await expectThrows(
      () => moveSelected(z, inputs[0], { score: inputs[1], threshold: inputs[3], gamma: inputs[1] }),
      /moveSelected: tensors do not fit 4 rows of 70 features/,
      'gamma of the wrong size',
    );
    for (const x of [z, attribution, ...inputs]) x.dispose();
  });

  test('gig step selects what the reference selects under heavy ties (|g| on 4 levels, zeros, ±g, D = 300)', async (engine) => {
    // Gradients given per step (no network), so every selection is the same set of tied scores on
    // both sides: a feature selected or left out wrongly moves by ≥ Δα·|x − x'|, far above float32 noise.
    const [n, d, steps] = [2, 300, 12];
    const rng = new Rng(71);
    const x = Float32Array.from(rng.uniform(n * d, 0, 1));
    const baseline = Float32Array.from(rng.uniform(n * d, 0, 1));
    baseline.fill(0, 0, d); // image 0 from black
    for (let j = 0; j < 20; j++) baseline[d + j * 9] = x[d + j * 9]!; // x = x': always at the bound
    const levels = [0, 0.25, -0.25, 0.5, -0.5, 1];
    const grads = Array.from({ length: steps }, () =>
      Float32Array.from({ length: n * d }, () => levels[rng.int(0, 5)]!),
    );
    const o = { steps, fraction: 0.25, maxDist: 0.05 };
    const path = guidedIgPath(o);
    const t = (a: Float32Array) => Tensor.from(engine, a, [n, d]);
    const [tx, tb] = [t(x), t(baseline)];
    const points: Float32Array[] = [await path.begin(tx, tb).download()];
    for (const g of grads) {
      const tg = t(g);
      points.push(await path.step(tg).point.download());
      tg.dispose();
    }
    const gpuAttr = await path.attribution().download();
    path.dispose();
    for (let i = 0; i < n; i++) {
      let call = 0;
      const model = {
        shape: [1, 1, d],
        numClasses: 1,
        logits: () => new Float64Array(1),
        grad: () => Float64Array.from(grads[call++]!.subarray(i * d, (i + 1) * d)),
      } as unknown as Ref;
      const ref = guidedIntegratedGradients(model, rowOf(x, i, d), rowOf(baseline, i, d), { target: 0, ...o });
      assert(Math.max(...ref.innerRounds) >= 2, `image ${i}: every step took one round, ties across rounds untested`);
      ref.path.forEach((z, s) => {
        const got = points[s]!.subarray(i * d, (i + 1) * d);
        const worst = z.reduce((m, v, j) => Math.max(m, Math.abs(v - got[j]!)), 0);
        assert(worst <= 1e-5, `image ${i}, point ${s}: max |z_gpu − z_ref| = ${worst}`);
      });
      const err = relL2(gpuAttr.subarray(i * d, (i + 1) * d), ref.attribution);
      assert(err < 1e-5, `image ${i}: attribution rel L2 ${err} vs the reference`);
    }
    for (const v of [tx, tb]) v.dispose();
  });

  test('gig matches the float64 reference (steps 8 and 20, black and random baselines), ends at x', async (engine) => {
    const net = smallCnn(engine, 21);
    const x = images(22);
    const baselines = { black: new Float32Array(x.length), random: images(23) };
    try {
      for (const steps of [8, 20]) {
        for (const [name, baseline] of Object.entries(baselines)) {
          const gpu = await run(engine, net, x, baseline, 'gig', steps);
          TARGETS.forEach((target, i) => {
            const ref = guidedIntegratedGradients(net.ref, row(x, i), row(baseline, i), { target, steps });
            const label = `gig steps ${steps}, ${name} baseline, image ${i}`;
            const got = gpu.attribution.subarray(i * D, (i + 1) * D);
            const err = relL2(got, ref.attribution);
            assert(err < 1e-3, `${label}: rel L2 ${err.toExponential(3)} vs the reference`);
            // Completeness: the path ends exactly at x, so Σ attr − Δf is the reference's own (Riemann) error.
            const gap = ref.fx - ref.fBaseline;
            const gpuDelta = gpu.images[i]!.sum - gap;
            assert(
              Math.abs(gpuDelta - ref.delta) <= 1e-4 * (1 + Math.abs(gap)),
              `${label}: Σ attr − Δf = ${gpuDelta}, reference ${ref.delta}`,
            );
          });
        }
      }
    } finally {
      net.model.dispose();
    }
  });

  test('inner-round bound hit (maxRounds 1): the steps fall short, the path still ends exactly at x', async (engine) => {
    // IDGI is exactly complete against f at the path's last point: complete against f(x) iff it ends at x.
    const net = smallCnn(engine, 61);
    const x = images(62);
    try {
      const ex = await explain(engine, net.model, x, {
        method: 'gig-idgi',
        steps: 10,
        baseline: 'black',
        target: TARGETS,
        methodOptions: { maxRounds: 1 },
      });
      assert(ex.attribution.every(Number.isFinite), 'non-finite attribution');
      ex.images.forEach((img, i) =>
        assert(
          img.completenessError < 1e-4,
          `image ${i}: completeness error ${img.completenessError} with a truncated inner loop`,
        ),
      );
    } finally {
      net.model.dispose();
    }
  });

  test('gig-idgi: matches the reference and is exactly complete', async (engine) => {
    const net = smallCnn(engine, 31);
    const x = images(32);
    const baseline = images(33);
    try {
      const gpu = await run(engine, net, x, baseline, 'gig-idgi', 12);
      TARGETS.forEach((target, i) => {
        const ref = idgiGuidedIG(net.ref, row(x, i), row(baseline, i), { target, steps: 12 });
        const err = relL2(gpu.attribution.subarray(i * D, (i + 1) * D), ref.attribution);
        assert(err < 1e-3, `gig-idgi image ${i}: rel L2 ${err.toExponential(3)} vs the reference`);
        const img = gpu.images[i]!;
        assert(
          img.completenessError < 1e-4,
          `gig-idgi image ${i}: completeness error ${img.completenessError} (Σ ${img.sum}, f(x) ${img.fx}, f(x') ${img.fStart}, dropped ${img.droppedDelta})`,
        );
      });
    } finally {
      net.model.dispose();
    }
  });

  test('x == baseline gives zeros, no NaN; explain() is one submission per step + 2, 2 readbacks, no leaked buffers', async (engine) => {
    const net = smallCnn(engine, 41);
    const x = images(42);
    try {
      for (const method of ['gig', 'gig-idgi']) {
        const zero = await run(engine, net, x, x, method, 3);
        expectClose(zero.attribution, new Float32Array(x.length), { rtol: 0, atol: 0 }, `${method} with x == baseline`);
      }
      // gig must leave no more buffers alive than explain() itself does around plain IG.
      const leaked = async (method: string) => {
        const live = engine.poolStats().liveBuffers;
        await run(engine, net, x, images(43), method, 3);
        return engine.poolStats().liveBuffers - live;
      };
      const explainOwn = await leaked('ig');
      const gig = await leaked('gig');
      assert(gig === explainOwn, `gig left ${gig} buffers alive, explain() around IG ${explainOwn}`);
      await engine.sync();
      const before = { ...engine.stats };
      await run(engine, net, x, images(43), 'gig-idgi', 6);
      assert(
        engine.stats.readbacks - before.readbacks === 2,
        `explain read back ${engine.stats.readbacks - before.readbacks} times, expected 2`,
      );
      // one submission per step (progress and cancellation follow the GPU), then the two readbacks
      assert(
        engine.stats.submissions - before.submissions === 6 + 2,
        `explain submitted ${engine.stats.submissions - before.submissions} times, expected 6 steps + 2`,
      );
      // No pipeline bakes the step count: another steps value compiles nothing new.
      const pipelines = engine.stats.pipelines;
      for (const method of ['gig', 'gig-idgi']) await run(engine, net, x, images(44), method, 9);
      assert(
        engine.stats.pipelines === pipelines,
        `another step count compiled ${engine.stats.pipelines - pipelines} pipelines`,
      );
    } finally {
      net.model.dispose();
    }
  });

  test('bad options are PathlightErrors naming the problem', async (engine) => {
    const net = smallCnn(engine, 51);
    const x = images(52);
    try {
      const bad = (methodOptions: Record<string, unknown>) =>
        explain(engine, net.model, x, { method: 'gig', steps: 2, methodOptions, target: TARGETS });
      await expectThrows(() => bad({ fraction: 1.5 }), /gig: fraction must be in \[0, 1\], got 1.5/, 'fraction');
      await expectThrows(() => bad({ maxDist: -1 }), /gig: maxDist must be in \[0, 1\], got -1/, 'maxDist');
      await expectThrows(() => bad({ maxRounds: 0 }), /gig: maxRounds must be an integer >= 1, got 0/, 'maxRounds');
      await expectThrows(
        () => bad({ score: 3 }),
        /gig: score must be a WGSL f32 expression of x, b, g and z, got 3/,
        'score',
      );
    } finally {
      net.model.dispose();
    }
  });
});
