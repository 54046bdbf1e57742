/**
 * The node kinds behind ONNX's extra outputs (issue #13): a max pool's argmax as a value
 * (MaxPool's Indices) and a batch norm by its input's own statistics (BatchNormalization in
 * training mode), GPU vs the float64 graph reference; the latter's gradients also vs finite
 * differences of that reference.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { dot, numericGrad } from '../reference/finite-diff.js';
import { refBackward, refForward } from '../reference/graph.js';
import type { Engine } from '../../src/gpu/engine.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import type { ModelInfo } from '../../src/nn/model.js';
import type { Pool2dParams } from '../../src/ops/pool-geometry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { compareWithReference } from './nn.cases.js';

/** A batch-statistics batch norm on a whole [N, C, ...] row, then a linear head (one row per forward). */
function batchStatsGraph(row: number[]): () => { g: GraphBuilder; info: ModelInfo } {
  return () => {
    const g = new GraphBuilder();
    const bn = g.batchNorm('bn', 0, row[1]!, { eps: 1e-3, batchStatistics: true });
    const size = row.reduce((a, b) => a * b, 1);
    const flat = g.reshape('flat', bn, [size]);
    g.linear('head', flat, size, 3);
    return { g, info: { name: 'batch-stats', inputShape: row, numClasses: 3, representationNode: flat } };
  };
}

async function argmaxMatches(engine: Engine, row: number[], params: Pool2dParams, columnMajor: boolean): Promise<void> {
  const g = new GraphBuilder();
  g.maxPoolArgmax('argmax', 0, params, columnMajor);
  const model = buildModel(engine, g, { name: 'argmax', inputShape: row, numClasses: 1, representationNode: 1 });
  const xShape = [2, ...row];
  // distinct values in scrambled order (7919 is prime to the sizes here): every argmax is unique
  const n = xShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % n) - n / 2);
  const tx = Tensor.from(engine, x, xShape);
  const out = model.logits(tx);
  const ref = refForward(g.nodes, new Map(), new Map(), Float64Array.from(x), xShape);
  expectClose(
    await out.download(),
    ref.outs[1]!,
    { rtol: 0, atol: 0 },
    `argmax ${columnMajor ? 'column' : 'row'}-major of ${JSON.stringify(row)}`,
  );
  assert(new Set(ref.outs[1]!).size > 2, 'the argmax takes few values: the check is weak');
  for (const t of [out, tx]) t.dispose();
  model.dispose();
}

export default defineCases('onnx outputs', (test) => {
  test('max-pool argmax (row- and column-major, overlapping padded windows, 1-D) matches float64 exactly', async (engine) => {
    const p: Pool2dParams = { kernel: [3, 2], stride: [2, 1], padding: [1, 1] };
    for (const columnMajor of [false, true]) await argmaxMatches(engine, [2, 5, 6], p, columnMajor);
    await argmaxMatches(engine, [3, 7], { kernel: [1, 3], stride: [1, 2], padding: [0, 1] }, true);
  });

  test('batch-statistics batch norm ([N, C, H, W] and [N, C, L] rows): output, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, batchStatsGraph([3, 2, 3, 4]), 1, 31);
    await compareWithReference(engine, batchStatsGraph([4, 3, 5]), 1, 32);
  });

  test('the float64 reference of a batch-statistics batch norm: input gradient vs finite differences', async () => {
    const { g, info } = batchStatsGraph([3, 2, 2, 3])();
    const values = initParameters(g, 7);
    values.get('bn.weight')!.data.set([0.7, -1.3]);
    const params = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
    const shapes = new Map([...values].map(([k, v]) => [k, v.shape]));
    const xShape = [1, ...info.inputShape];
    const rng = new Rng(8);
    const x = rng.uniform(36);
    const seed = rng.uniform(3);
    const last = g.nodes.length - 1;
    const f = (z: Float64Array) => dot(refForward(g.nodes, params, shapes, z, xShape).outs[last]!, seed);
    const dx = refBackward(
      g.nodes,
      params,
      shapes,
      refForward(g.nodes, params, shapes, x, xShape),
      new Map([[last, seed]]),
    ).dx;
    assert(
      dx.some((v) => Math.abs(v) > 1e-2),
      'the input gradient is ~0: the check cannot fail',
    );
    expectClose(dx, numericGrad(f, x), { rtol: 1e-5, atol: 1e-7 }, 'reference input gradient vs finite differences');
  });

  test('a batch-statistics batch norm refuses a batch of several whole tensors', async (engine) => {
    const { g, info } = batchStatsGraph([2, 2, 3])();
    const model = buildModel(engine, g, info);
    const x = Tensor.from(engine, new Float32Array(24), [2, 2, 2, 3]);
    await expectThrows(
      () => model.logits(x),
      /^batchnorm 'bn' normalises by its input's own statistics: it takes one whole tensor at a time, got 2$/,
      'batch of 2',
    );
    x.dispose();
    model.dispose();
  });
});
