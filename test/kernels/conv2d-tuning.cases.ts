/**
 * Conv tunings (src/ops/conv2d-tuning.ts): every variant of a layer gives the default's bits, so a
 * tuning never needs recording with a result; the candidates an autotuner times are distinct and
 * start with the default, which is a pure function of the geometry.
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import * as ref from '../reference/conv2d.js';
import type { ConvSpec } from '../reference/conv2d.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { Engine } from '../../src/gpu/engine.js';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dDefaultTuning,
  conv2dTuningCandidates,
  type ConvDirection,
  type ConvTuning,
} from '../../src/ops/conv2d.js';

interface Layer {
  name: string;
  spec: ConvSpec;
}

const LAYERS: Layer[] = [
  // 3×3 stride 1 (forward, and an input gradient run as a forward), rows of 2 segments of 8 + 3
  {
    name: '5->6 channels 3x3 pad 1, 19-pixel rows',
    spec: { xShape: [2, 5, 6, 19], wShape: [6, 5, 3, 3], padding: [1, 1] },
  },
  // strided: the input gradient's column-phase kernel
  {
    name: '6->10 channels 3x3 stride 2 pad 1',
    spec: { xShape: [2, 6, 9, 10], wShape: [10, 6, 3, 3], stride: [2, 2], padding: [1, 1] },
  },
  // one output channel (pixel lanes by default), one input channel in the input gradient
  { name: '1->1 channel 5x5 pad 2', spec: { xShape: [2, 1, 7, 13], wShape: [1, 1, 5, 5], padding: [2, 2] } },
];

/** Variants that differ from the default and each other in every field, drawn from the candidates. */
function variants(direction: ConvDirection, s: ConvSpec): ConvTuning[] {
  const p = params(s);
  const all = conv2dTuningCandidates(direction, s.xShape, s.wShape, p);
  const def = conv2dDefaultTuning(direction, s.xShape, s.wShape, p);
  // lanes too where the layer can take pixel lanes (the candidates list the others once)
  const differs = (t: ConvTuning, lanes: boolean) =>
    t.channelBlocks !== def.channelBlocks &&
    t.segment !== def.segment &&
    t.order !== def.order &&
    (!lanes || t.lanes !== def.lanes) &&
    t.workgroup !== def.workgroup;
  const other = all.find((t) => differs(t, true)) ?? all.find((t) => differs(t, false));
  assert(other !== undefined, `${direction}: no candidate differs from the default in every field`);
  return [def, other!];
}

function params(s: ConvSpec) {
  return { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups };
}

async function sameBits(engine: Engine, outs: Tensor[], what: string): Promise<Float32Array> {
  const [first, ...rest] = await Promise.all(outs.map((t) => t.download()));
  rest.forEach((bits, i) => {
    const at = bits.findIndex((v, j) => !Object.is(v, first![j]));
    assert(at < 0, `${what}: variant ${i + 1} differs from the default at ${at}: ${bits[at]} vs ${first![at]}`);
  });
  for (const t of outs) t.dispose();
  return first!;
}

export default defineCases('conv2d tuning', (test) => {
  for (const [i, { name, spec: s }] of LAYERS.entries()) {
    test(`every tuning variant gives the default's bits, which match float64: ${name}`, async (engine) => {
      const rng = new Rng(40 + i);
      const yShape = ref.outputShape(s);
      const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
      const [x, w, b, dy, residual] = [s.xShape, s.wShape, [s.wShape[0]], yShape, yShape].map((sh) =>
        asF32(rng.uniform(size(sh))),
      ) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
      const mask = asF32(rng.uniform(size(s.xShape)).map((v) => v - 0.5));
      const t = {
        x: Tensor.from(engine, x, s.xShape),
        w: Tensor.from(engine, w, s.wShape),
        b: Tensor.from(engine, b, [s.wShape[0]]),
        dy: Tensor.from(engine, dy, yShape),
        residual: Tensor.from(engine, residual, yShape),
        mask: Tensor.from(engine, mask, s.xShape),
      };
      const p = params(s);
      const y = await sameBits(
        engine,
        variants('forward', s).map((v) => conv2d(t.x, t.w, t.b, p, { relu: true, residual: t.residual }, v)),
        'forward',
      );
      const dx = await sameBits(
        engine,
        variants('inputGradient', s).map((v) => conv2dBackwardInput(t.dy, t.w, s.xShape, p, { mask: t.mask }, v)),
        'input gradient',
      );
      const tol = { rtol: 1e-4, atol: 1e-5 };
      const yRef = ref.conv2d(x, w, b, s, { relu: true, residual });
      expectClose(y, yRef, tol, 'forward vs float64');
      const dxRef = ref.finishInputGradient(ref.conv2dBackwardInput(dy, w, s), undefined, mask);
      expectClose(dx, dxRef, tol, 'input gradient vs float64');
      for (const v of Object.values(t)) v.dispose();
    });
  }

  test('candidates: the default first, no two compiling to the same kernel, valid fields', async () => {
    for (const { spec: s } of LAYERS) {
      for (const direction of ['forward', 'inputGradient'] as const) {
        const all = conv2dTuningCandidates(direction, s.xShape, s.wShape, params(s));
        const def = conv2dDefaultTuning(direction, s.xShape, s.wShape, params(s));
        assert(JSON.stringify(all[0]) === JSON.stringify(def), `${direction}: the default is not listed first`);
        assert(all.length >= 4, `${direction}: only ${all.length} candidates`);
        const keys = new Set(all.map((t) => JSON.stringify(t)));
        assert(keys.size === all.length, `${direction}: repeated candidates`);
        for (const t of all) {
          assert(t.channelBlocks >= 1 && t.segment >= 1 && t.workgroup >= 1, `bad candidate ${JSON.stringify(t)}`);
        }
      }
    }
  });

  test('the default tuning is a pure function of the geometry (batch and chunking do not change it)', async () => {
    const w = [16, 16, 3, 3];
    const a = conv2dDefaultTuning('forward', [1, 16, 32, 32], w, { padding: 1 });
    const b = conv2dDefaultTuning('forward', [64, 16, 32, 32], w, { padding: 1 });
    assert(JSON.stringify(a) === JSON.stringify(b), 'the batch changed the default tuning');
    // few output channels take pixel lanes: LeNet's first layer and its input gradient (1 channel)
    assert(conv2dDefaultTuning('forward', [1, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }).lanes === 'pixels', 'lenet');
    assert(
      conv2dDefaultTuning('inputGradient', [1, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }).lanes === 'pixels',
      'lenet dx',
    );
    assert(conv2dDefaultTuning('forward', [1, 16, 32, 32], w, { padding: 1 }).lanes === 'channels', '16 channels');
  });
});
