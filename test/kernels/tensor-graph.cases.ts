/**
 * A model using every node kind of the tensor ops (issue #13): GPU logits, input and parameter
 * gradients vs the float64 graph reference, the reference's input gradient vs central finite
 * differences of its forward, shape errors at build time, and fusion leaving the new kinds be.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { dot, numericGrad } from '../reference/finite-diff.js';
import { graphRefModel, refBackward, refForward } from '../reference/graph.js';
import { integratedGradients } from '../reference/methods/ig.js';
import { explain } from '../../src/attribution/index.js';
import { GraphBuilder } from '../../src/nn/graph.js';
import { buildModel, initParameters } from '../../src/nn/init.js';
import type { ModelInfo } from '../../src/nn/model.js';
import { fuseModel, modelFromSpec } from '../../src/models/fuse.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { compareWithReference } from './nn.cases.js';

/** SE-style gate, constants on both sides, pad / slice / concat / transpose, softmax on inner axes, rank-3 linear. */
export function tensorGraph(): { g: GraphBuilder; info: ModelInfo } {
  const g = new GraphBuilder();
  const hs = g.unary('hs', 0, { fn: 'hardswish' }); // [3, 4, 5]
  const pr = g.prelu('pr', hs, [3, 1, 1]);
  const gate = g.unary('gate', g.reduceMean('squeeze', pr, [1, 2], true), {
    fn: 'hardsigmoid',
    alpha: 1 / 6,
    beta: 0.5,
  }); // [3, 1, 1]
  const se = g.binary('se', pr, gate, 'mul');
  const biased = g.constant('bias', se, [3, 1, 1], 'add');
  const flipped = g.constant('rsub', biased, [], 'sub', true); // c − x
  const scaled = g.constant('scale', flipped, [5], 'div');
  const padded = g.pad('pad', scaled, [0, 1, 0, 0, 0, 2], 0.25); // [3, 5, 7]
  const top = g.slice('top', padded, 0, 0, 2); // [2, 5, 7]
  const den = g.constant('one', g.unary('den', g.slice('bottom', padded, 0, 1, 3), { fn: 'sigmoid' }), [1], 'add'); // in (1, 2)
  const q = g.binary('q', top, den, 'div');
  const centred = g.binary('centre', q, g.reduceMean('rowmean', q, [2], true), 'sub'); // [2, 5, 7] − [2, 5, 1]
  const sum = g.binary(
    'sum',
    g.unary('elu', centred, { fn: 'elu', alpha: 0.5 }),
    g.unary('tanh', top, { fn: 'tanh' }),
    'add',
  );
  const cat = g.concat('cat', [q, sum, top], 0); // [6, 5, 7]
  const t = g.transpose('tr', cat, [1, 2, 0]); // [5, 7, 6]
  const sm = g.softmax('sm', t, { axis: 1 });
  const fc = g.unary('clip', g.unary('lrelu', g.linear('fc', sm, 6, 4), { fn: 'leakyrelu', alpha: 0.1 }), {
    fn: 'clip',
    min: -1,
    max: 1,
  }); // [5, 7, 4]
  const ls = g.softmax('ls', g.unary('silu', fc, { fn: 'silu' }), { axis: 1, log: true, coerce: true }); // over [7, 4] flattened
  const rep = g.reshape('rs', g.reduceMean('mean', ls, [0], false), [28]); // [7, 4] → [28]
  g.linear('head', rep, 28, 3);
  return { g, info: { name: 'tensor-graph', inputShape: [3, 4, 5], numClasses: 3, representationNode: rep } };
}

/** Divisors away from 0 (±[0.5, 2]); slopes in [0, 0.5]; weights large enough for an input gradient of O(0.1). */
export function safeValues(values: Map<string, { shape: number[]; data: Float32Array }>): void {
  const rng = new Rng(4);
  values.get('scale.value')!.data.set(rng.uniform(5, 0.5, 2).map((v, i) => (i % 2 ? -v : v)));
  values.get('pr.weight')!.data.set(rng.uniform(3, 0, 0.5));
  for (const name of ['fc.weight', 'head.weight'])
    values.get(name)!.data.set(rng.uniform(values.get(name)!.data.length, -3, 3));
}

export default defineCases('tensor graph', (test) => {
  test('every tensor-op node kind: logits, input and parameter gradients match float64', async (engine) => {
    await compareWithReference(engine, tensorGraph, 2, 21, safeValues);
  });

  test('the float64 reference of that model: input gradient vs finite differences', async () => {
    const { g, info } = tensorGraph();
    const values = initParameters(g, 3);
    safeValues(values);
    const params = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
    const shapes = new Map([...values].map(([k, v]) => [k, v.shape]));
    const xShape = [2, ...info.inputShape];
    const rng = new Rng(9);
    const x = rng.uniform(120);
    const seed = rng.uniform(6);
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

  test('IG through every new kind (compiled ahead by a dry run) matches float64 IG', async (engine) => {
    const { g, info } = tensorGraph();
    const values = initParameters(g, 5);
    safeValues(values);
    const model = buildModel(engine, g, info, values);
    const params = new Map([...values].map(([k, v]) => [k, Float64Array.from(v.data)]));
    const ref = graphRefModel(
      g.nodes,
      params,
      new Map([...values].map(([k, v]) => [k, v.shape])),
      [3, 4, 5],
      info.representationNode,
    );
    const x = new Rng(6).uniform(60);
    const r = await explain(engine, model, Float32Array.from(x), { method: 'ig', steps: 16, target: 2 });
    const e = integratedGradients(ref, Float64Array.from(Float32Array.from(x)), new Float64Array(60), {
      target: 2,
      output: 'logit',
      steps: 16,
      rule: 'trapezoid',
    });
    const err = relL2(r.attribution, e.attribution);
    assert(err < 1e-3, `IG rel L2 ${err} vs float64`);
    model.dispose();
  });

  test('fusion keeps the new kinds (and renumbers concat inputs)', async (engine) => {
    const g = new GraphBuilder();
    const a = g.relu('r', g.linear('fc', 0, 4, 6));
    const b = g.unary('s', 0, { fn: 'sigmoid' });
    const cat = g.concat('cat', [g.linear('fb', b, 4, 6), a], 0);
    g.linear('head', cat, 12, 2);
    const info = { name: 'fuse', inputShape: [4], numClasses: 2, representationNode: cat };
    const model = buildModel(engine, g, info);
    const x = Tensor.from(engine, new Rng(2).uniform(8), [2, 4]);
    const before = await model.logits(x).download();
    const spec = fuseModel({ nodes: g.nodes, params: new Map([...(await model.getParameters())]), info });
    assert(
      spec.nodes.length === g.nodes.length - 1 && !spec.nodes.some((n) => n.kind === 'relu'),
      'the relu was not fused into its linear',
    );
    const fused = modelFromSpec(engine, spec);
    expectClose(await fused.logits(x).download(), before, { rtol: 1e-6, atol: 1e-7 }, 'fused logits');
    for (const m of [model, fused]) m.dispose();
    x.dispose();
  });

  test('bad node attributes fail when the model is built, naming the node', async (engine) => {
    const cases: [(g: GraphBuilder) => void, RegExp][] = [
      [
        (g) => g.binary('b', 0, g.reshape('r', 0, [4, 3]), 'add'),
        /^add 'b': shapes \[3, 4\] and \[4, 3\] do not broadcast$/,
      ],
      [(g) => g.pad('p', 0, [0, 1, 2], 0), /^graph: pad 'p': pads \[0,1,2\] must be 4 non-negative integers/],
      [
        (g) => g.concat('c', [0, g.slice('s', 0, 1, 0, 2)], 0),
        /^graph: concat 'c' on axis 0 of shapes \[3, 4\], \[3, 2\]: the other axes must match$/,
      ],
      [
        (g) => g.reduceMean('m', 0, [1, 1], true),
        /^graph: reducemean 'm': axes \[1,1\] must be distinct axes of \[3, 4\]$/,
      ],
      [(g) => g.transpose('t', 0, [1, 1]), /^graph: transpose 't': \[1,1\] is not a permutation/],
      [(g) => g.slice('s', 0, 1, 3, 5), /^graph: slice 's': \[3, 5\) on axis 1 does not fit \[3, 4\]$/],
      [(g) => g.reshape('r', 0, [5, 2]), /^graph: reshape 'r': cannot view \[3, 4\] as \[5, 2\]$/],
      [(g) => g.softmax('s', 0, { axis: 2 }), /^graph: softmax 's': axis 2 is out of range for \[3, 4\]$/],
      [(g) => g.unary('u', 0, { fn: 'clip', min: 1, max: 0 }), /^graph: unary 'u': clip: min 1 is above max 0$/],
      [(g) => g.prelu('p', 0, [2, 1]), /^prelu 'p': shapes \[3, 4\] and \[2, 1\] do not broadcast$/],
      [(g) => g.linear('l', 0, 3, 2), /^graph: linear 'l' expects 3 input features, gets shape \[3, 4\]$/],
    ];
    for (const [add, pattern] of cases) {
      const g = new GraphBuilder();
      add(g);
      await expectThrows(
        () => buildModel(engine, g, { name: 'bad', inputShape: [3, 4], numClasses: 2, representationNode: 1 }),
        pattern,
        String(pattern),
      );
    }
  });
});
