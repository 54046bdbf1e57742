/** The zoo: every model builds with the documented shapes, runs, and folds BN without changing its logits. */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { ZOO_NAMES, zooGraph, zooSpec } from '../../src/models/zoo.js';
import { foldModelBatchNorm, fuseModel, modelFromSpec, type ModelSpec } from '../../src/models/fuse.js';
import { refForward } from '../reference/graph.js';

/** Per model: input shape, parameter count, and a few documented parameter names. */
const EXPECTED: Record<string, { input: number[]; params: number; names: string[] }> = {
  lenet: { input: [1, 28, 28], params: 61706, names: ['conv1.weight', 'fc3.bias'] },
  vgg: { input: [3, 32, 32], params: 204570, names: ['features.0.weight', 'features.12.bias', 'classifier.2.weight'] },
  resnet: {
    input: [3, 32, 32],
    params: 176378,
    names: ['layer1.0.bn1.running_mean', 'layer2.0.downsample.0.weight', 'layer3.1.conv2.weight', 'fc.weight'],
  },
  mobilenet: {
    input: [3, 32, 32],
    params: 38634,
    names: ['layers.0.conv1.weight', 'layers.4.bn2.running_var', 'fc.bias'],
  },
};

/** Batch-norm statistics away from the identity, so a wrong fold cannot pass. */
function randomiseBatchNorm(spec: ModelSpec, rng: Rng): ModelSpec {
  for (const [name, v] of spec.params) {
    if (name.endsWith('running_var')) v.data.set(rng.uniform(v.data.length, 0.5, 2));
    else if (name.endsWith('running_mean')) v.data.set(rng.uniform(v.data.length, -0.3, 0.3));
    else if (spec.params.has(name.replace(/(weight|bias)$/, 'running_mean')))
      v.data.set(rng.uniform(v.data.length, name.endsWith('weight') ? 0.5 : -0.2, name.endsWith('weight') ? 1.5 : 0.2));
  }
  return spec;
}

export default defineCases('zoo', (test) => {
  test('every zoo model has its documented input, parameter names and count, and [10] logits', async () => {
    for (const name of ZOO_NAMES) {
      const { builder, info } = zooGraph(name);
      const e = EXPECTED[name]!;
      assert(info.inputShape.join() === e.input.join(), `${name}: input shape ${info.inputShape}`);
      const count = [...builder.paramShapes.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
      assert(count === e.params, `${name}: ${count} parameters, expected ${e.params}`);
      for (const p of e.names) assert(builder.paramShapes.has(p), `${name}: no parameter '${p}'`);
      assert(info.classNames?.length === 10, `${name}: class names`);
    }
  });

  // resnet and mobilenet run in the folding case below (kernel compilation dominates on SwiftShader).
  test('forward on a batch of 2 gives finite [2, 10] logits for lenet and vgg (random init)', async (engine) => {
    for (const name of ['lenet', 'vgg']) {
      const spec = zooSpec(name, undefined, 3);
      const model = modelFromSpec(engine, spec);
      assert(model.outputShape.join() === '10', `${name}: output shape [${model.outputShape}]`);
      const rep = model.nodeShapes[model.info.representationNode]!;
      assert(rep.length === 1, `${name}: representation node has shape [${rep}], expected a vector`);
      const [c, h, w] = model.info.inputShape;
      const x = Tensor.from(engine, new Rng(4).uniform(2 * c * h * w), [2, c, h, w]);
      const logits = model.logits(x);
      assert(logits.shape.join() === '2,10', `${name}: logits shape [${logits.shape}]`);
      const values = await logits.download();
      assert(
        values.every(Number.isFinite) && values.some((v) => v !== 0),
        `${name}: logits are not finite or all zero`,
      );
      for (const t of [x, logits]) t.dispose();
      model.dispose();
    }
  });

  test('resnet matches the float64 graph reference', async (engine) => {
    const spec = randomiseBatchNorm(zooSpec('resnet', undefined, 5), new Rng(5));
    const model = modelFromSpec(engine, spec);
    const x = new Rng(6).uniform(2 * 3 * 32 * 32);
    const t = Tensor.from(engine, x, [2, 3, 32, 32]);
    const logits = model.logits(t);
    const refParams = new Map([...spec.params].map(([k, v]) => [k, Float64Array.from(v.data)]));
    const shapes = new Map([...spec.params].map(([k, v]) => [k, v.shape]));
    const ref = refForward(spec.nodes, refParams, shapes, Float64Array.from(x), [2, 3, 32, 32]);
    expectClose(await logits.download(), ref.outs[spec.nodes.length - 1]!, { rtol: 1e-4, atol: 1e-5 }, 'resnet logits');
    for (const u of [t, logits]) u.dispose();
    model.dispose();
  });

  test('folding BN (and fusing relu / residual epilogues) keeps the logits of resnet and mobilenet', async (engine) => {
    for (const name of ['resnet', 'mobilenet']) {
      const spec = randomiseBatchNorm(zooSpec(name, undefined, 7), new Rng(8));
      const unfolded = modelFromSpec(engine, spec);
      const folded = await foldModelBatchNorm(unfolded);
      assert(
        !folded.nodes.some((n) => n.kind === 'batchnorm' || n.kind === 'relu' || n.kind === 'add'),
        `${name}: batchnorm/relu/add nodes remain after folding`,
      );
      assert(folded.nodes.length < unfolded.nodes.length, `${name}: folding removed no nodes`);
      if (name === 'resnet')
        assert(
          folded.nodes.filter((n) => n.kind === 'conv2d' && n.residual !== undefined).length === 6,
          'resnet: expected 6 residual conv epilogues',
        );
      assert(folded.nodes[folded.info.representationNode]!.kind === 'gap', `${name}: representation node lost`);
      const [c, h, w] = spec.info.inputShape;
      const x = Tensor.from(engine, new Rng(9).uniform(2 * c * h * w), [2, c, h, w]);
      const a = unfolded.logits(x);
      const b = folded.logits(x);
      const va = await a.download();
      assert(
        a.shape.join() === '2,10' && va.every(Number.isFinite),
        `${name}: logits [${a.shape}] are not finite [2, 10]`,
      );
      expectClose(
        await b.download(),
        va,
        { rtol: 1e-4, atol: 1e-5 * Math.max(...va.map(Math.abs)) },
        `${name}: folded vs unfolded logits`,
      );
      for (const t of [x, a, b]) t.dispose();
      unfolded.dispose();
      folded.dispose();
    }
  });

  test('a conv whose output has two readers keeps its batch norm', async () => {
    const spec = zooSpec('resnet');
    const fused = fuseModel(spec, { epilogues: false });
    assert(!fused.nodes.some((n) => n.kind === 'batchnorm'), 'every resnet BN follows a single-reader conv');
    assert(
      fused.nodes.some((n) => n.kind === 'add'),
      'epilogues: false must keep the add nodes',
    );
    // Give conv1 a second reader: its BN must then stay.
    const nodes = spec.nodes.map((n) => ({ ...n }));
    nodes.push(
      { kind: 'add', name: 'extra', a: 1, b: 1 } as never,
      { ...nodes[nodes.length - 1]!, name: 'fc2', input: nodes.length - 1 } as never,
    );
    const kept = fuseModel({ ...spec, nodes: nodes as ModelSpec['nodes'] });
    assert(
      kept.nodes.filter((n) => n.kind === 'batchnorm').length === 1,
      'the BN of a conv with two readers was folded',
    );
  });

  test('wrong weights are named: unknown, missing, wrong shape, unknown model', async () => {
    const good = zooSpec('lenet').params;
    const extra = new Map(good).set('conv9.weight', { shape: [1], data: new Float32Array(1) });
    await expectThrows(
      () => zooSpec('lenet', extra),
      /model lenet: unknown parameter\(s\) conv9\.weight/,
      'unknown parameter',
    );
    const missing = new Map(good);
    missing.delete('fc2.bias');
    await expectThrows(() => zooSpec('lenet', missing), /missing parameter\(s\) fc2\.bias/, 'missing parameter');
    const wrong = new Map(good).set('conv1.weight', { shape: [6, 1, 3, 3], data: new Float32Array(54) });
    await expectThrows(
      () => zooSpec('lenet', wrong),
      /'conv1\.weight' has shape \[6, 1, 3, 3\], expected \[6, 1, 5, 5\]/,
      'wrong shape',
    );
    await expectThrows(
      () => zooGraph('alexnet'),
      /unknown zoo model 'alexnet' \(available: lenet, vgg, resnet, mobilenet\)/,
      'unknown model',
    );
  });
});
