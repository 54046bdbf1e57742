import { defineCases } from '../harness/cases.js';
import { assert, expectClose, expectThrows, maxAbsDiff, type Tolerance } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/conv2d.js';
import type { ConvSpec } from '../reference/conv2d.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { createEngine, type Engine } from '../../src/gpu/engine.js';
import { sgdStep } from '../../src/train/sgd.js';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dOutputShape,
  type Conv2dParams,
} from '../../src/ops/conv2d.js';

interface Config {
  name: string;
  spec: ConvSpec;
  bias: boolean;
  relu?: boolean;
  residual?: boolean;
}

const CONFIGS: Config[] = [
  {
    name: 'odd 7x5 input, 3->5 channels, 3x3 pad 1, bias',
    spec: { xShape: [2, 3, 7, 5], wShape: [5, 3, 3, 3], padding: [1, 1] },
    bias: true,
  },
  {
    name: 'stride 2, pad 0, batch 3, no bias',
    spec: { xShape: [3, 4, 9, 8], wShape: [6, 4, 3, 3], stride: [2, 2] },
    bias: false,
  },
  {
    name: 'pad 2, dilation 2',
    spec: { xShape: [2, 3, 8, 7], wShape: [4, 3, 3, 3], padding: [2, 2], dilation: [2, 2] },
    bias: true,
  },
  {
    name: 'groups 2, 2 output channels per group',
    spec: { xShape: [2, 6, 6, 7], wShape: [4, 3, 3, 3], padding: [1, 1], groups: 2 },
    bias: true,
  },
  {
    name: 'groups 2, 4 channels per group, stride 2',
    spec: { xShape: [2, 8, 5, 6], wShape: [8, 4, 3, 3], stride: [2, 2], padding: [1, 1], groups: 2 },
    bias: false,
  },
  {
    name: 'depthwise stride 2 pad 1',
    spec: { xShape: [2, 5, 7, 6], wShape: [5, 1, 3, 3], stride: [2, 2], padding: [1, 1], groups: 5 },
    bias: true,
  },
  {
    name: 'depthwise dilation 2, relu',
    spec: { xShape: [1, 6, 7, 7], wShape: [6, 1, 3, 3], padding: [2, 2], dilation: [2, 2], groups: 6 },
    bias: true,
    relu: true,
  },
  {
    name: 'channel multiplier 2 (groups 3, 1 -> 2 channels)',
    spec: { xShape: [1, 3, 5, 5], wShape: [6, 1, 3, 3], padding: [1, 1], groups: 3 },
    bias: false,
  },
  { name: '1x1 conv', spec: { xShape: [2, 7, 5, 3], wShape: [9, 7, 1, 1] }, bias: true },
  {
    name: 'relu + residual epilogue',
    spec: { xShape: [2, 4, 6, 5], wShape: [6, 4, 3, 3], padding: [1, 1] },
    bias: true,
    relu: true,
    residual: true,
  },
  // more than one 16-channel register block per thread row, and groups whose blocks straddle
  {
    name: 'wide: 18->20 channels, 5x5 pad 2 (several channel blocks)',
    spec: { xShape: [2, 18, 6, 7], wShape: [20, 18, 5, 5], padding: [2, 2] },
    bias: true,
    relu: true,
  },
  {
    name: 'wide grouped: 24->40 channels, groups 4, stride 2',
    spec: { xShape: [1, 24, 7, 6], wShape: [40, 6, 3, 3], stride: [2, 2], padding: [1, 1], groups: 4 },
    bias: false,
  },
  {
    name: 'anisotropic stride [2,3], padding [1,2], dilation [2,1], 2x3 kernel',
    spec: { xShape: [2, 3, 8, 9], wShape: [5, 3, 2, 3], stride: [2, 3], padding: [1, 2], dilation: [2, 1] },
    bias: true,
  },
  // row segments: several per output row with a partial last one, one input channel (LeNet's first layer)
  {
    name: '1->6 channels, 5x5 pad 2, 11x19 input',
    spec: { xShape: [2, 1, 11, 19], wShape: [6, 1, 5, 5], padding: [2, 2] },
    bias: true,
    relu: true,
  },
  {
    name: 'depthwise 3x3 pad 1, 9x13 input',
    spec: { xShape: [2, 8, 9, 13], wShape: [8, 1, 3, 3], padding: [1, 1], groups: 8 },
    bias: false,
  },
  // strided 1×1: odd input rows and columns of the gradient get no tap at all (zeros)
  {
    name: '1x1 stride 2 (ResNet shortcut), odd 7x6 input',
    spec: { xShape: [2, 4, 7, 6], wShape: [6, 4, 1, 1], stride: [2, 2] },
    bias: false,
  },
  // a 1-D conv as the graph runs it ([N, C, L] viewed as one row high): kernel 1×K, unit H-axis stride / padding / dilation
  {
    name: '1-D: 1x13 input, 1x3 kernel, stride [1,2], padding [0,2], dilation [1,2]',
    spec: { xShape: [2, 4, 1, 13], wShape: [6, 4, 1, 3], stride: [1, 2], padding: [0, 2], dilation: [1, 2] },
    bias: true,
    relu: true,
  },
  {
    name: '1-D: 1x9 input, 1x3 kernel, padding [0,1], residual',
    spec: { xShape: [2, 5, 1, 9], wShape: [5, 5, 1, 3], padding: [0, 1] },
    bias: false,
    relu: true,
    residual: true,
  },
  // wide and many images: the weight gradient sums several images per scratch row (slices of 2 images)
  {
    name: 'batch 64, 64->64 channels, 3x3 pad 1 on 2x3',
    spec: { xShape: [64, 64, 2, 3], wShape: [64, 64, 3, 3], padding: [1, 1] },
    bias: true,
  },
  // few channels: the weight gradient splits each image's 7 rows into slices of 2 (the last of 1)
  {
    name: 'batch 26, 32->32 channels, 3x3 pad 1 on 7x5',
    spec: { xShape: [26, 32, 7, 5], wShape: [32, 32, 3, 3], padding: [1, 1] },
    bias: false,
  },
  // Winograd F(2×2, 3×3) (conv2d-winograd.ts: 3×3, stride 1, no groups, >= 8 channels each way):
  // 2×2 tiles past the output's odd edges, several 4-channel blocks and channel groups of a thread,
  // images × tiles not a multiple of 4 (the padded lanes), asymmetric and zero padding (the input
  // gradient then runs with padding 2), in both directions
  {
    name: 'winograd: odd 9x7, batch 3, 8->12 channels, pad 1, bias, relu, residual',
    spec: { xShape: [3, 8, 9, 7], wShape: [12, 8, 3, 3], padding: [1, 1] },
    bias: true,
    relu: true,
    residual: true,
  },
  {
    name: 'winograd: 11x13, 16->20 channels, pads [2,1,0,2]',
    spec: { xShape: [2, 16, 11, 13], wShape: [20, 16, 3, 3], padding: [2, 1, 0, 2] },
    bias: true,
  },
  {
    name: 'winograd: batch 5, 24->8 channels, pad 0 on 8x12',
    spec: { xShape: [5, 24, 8, 12], wShape: [8, 24, 3, 3] },
    bias: false,
  },
  // the input gradient cannot run as a forward here (its padding would be negative)
  { name: '1x1 conv, padding 1', spec: { xShape: [1, 3, 4, 5], wShape: [4, 3, 1, 1], padding: [1, 1] }, bias: true },
  // asymmetric padding [top, left, bottom, right] (ONNX pads, auto_pad SAME_*): the begin pads place
  // the windows, the end pads add rows; every input-gradient path (forward over dY, phases) and dW
  {
    name: 'pads [1,2,0,1], 3x3, stride 1',
    spec: { xShape: [2, 3, 7, 6], wShape: [4, 3, 3, 3], padding: [1, 2, 0, 1] },
    bias: true,
  },
  {
    name: 'pads [3,0,1,2], 3x2 kernel, dilation [2,1], stride 1',
    spec: { xShape: [1, 3, 6, 7], wShape: [5, 3, 3, 2], padding: [3, 0, 1, 2], dilation: [2, 1] },
    bias: false,
    relu: true,
  },
  {
    name: 'pads [1,0,0,2], 1x1 kernel (begin pad past the reach: phase path at stride 1)',
    spec: { xShape: [2, 3, 5, 4], wShape: [4, 3, 1, 1], padding: [1, 0, 0, 2] },
    bias: true,
  },
  {
    name: 'pads [0,2,1,0], 3x3, stride [2,3], dilation [1,2]',
    spec: { xShape: [2, 3, 9, 10], wShape: [6, 3, 3, 3], stride: [2, 3], padding: [0, 2, 1, 0], dilation: [1, 2] },
    bias: true,
  },
  {
    name: 'pads [2,1,0,2], 3x3, stride 2 both ways, groups 2',
    spec: { xShape: [2, 4, 9, 8], wShape: [6, 2, 3, 3], stride: [2, 2], padding: [2, 1, 0, 2], groups: 2 },
    bias: true,
    relu: true,
  },
  {
    name: 'pads [0,0,3,4] wider than the kernel, 2x2 stride 2 (rows of bias only)',
    spec: { xShape: [1, 3, 5, 6], wShape: [4, 3, 2, 2], stride: [2, 2], padding: [0, 0, 3, 4] },
    bias: true,
  },
  {
    name: 'depthwise SAME_UPPER pads [0,0,1,1], stride 2',
    spec: { xShape: [2, 4, 8, 8], wShape: [4, 1, 3, 3], stride: [2, 2], padding: [0, 0, 1, 1], groups: 4 },
    bias: true,
    relu: true,
  },
  {
    name: 'SAME_LOWER pads [2,1,1,0], 5x2 kernel, stride [1,2], residual',
    spec: { xShape: [2, 4, 7, 9], wShape: [4, 4, 4, 2], stride: [1, 2], padding: [2, 1, 1, 0] },
    bias: true,
    residual: true,
  },
  {
    name: '1-D: 1x11 input, 1x4 kernel, stride [1,2], pads [0,3,0,1], dilation [1,2]',
    spec: { xShape: [2, 4, 1, 11], wShape: [5, 4, 1, 4], stride: [1, 2], padding: [0, 3, 0, 1], dilation: [1, 2] },
    bias: true,
  },
  {
    name: '1-D: 1x8 input, 1x2 kernel, pads [0,1,0,0] (SAME_LOWER)',
    spec: { xShape: [2, 3, 1, 8], wShape: [3, 3, 1, 2], padding: [0, 1, 0, 0] },
    bias: false,
  },
];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function params(s: ConvSpec): Conv2dParams {
  return { stride: s.stride, padding: s.padding, dilation: s.dilation, groups: s.groups };
}

/** rtol 1e-4 and atol 1e-5 relative to the largest expected magnitude (float32 sums vs float64). */
function tol(expected: ArrayLike<number>): Tolerance {
  let m = 1;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]!));
  return { rtol: 1e-4, atol: 1e-5 * m };
}

interface Data {
  x: Float64Array;
  w: Float64Array;
  b: Float64Array | null;
  res: Float64Array | undefined;
  dy: Float64Array;
  /** the input gradient's epilogue: the gradient summed so far, and a relu output (some exact zeros) */
  gx: Float64Array;
  mask: Float64Array;
}

function randomData(c: Config, seed: number): Data {
  const rng = new Rng(seed);
  const outSize = size(ref.outputShape(c.spec));
  return {
    x: asF32(rng.uniform(size(c.spec.xShape))),
    w: asF32(rng.uniform(size(c.spec.wShape))),
    b: c.bias ? asF32(rng.uniform(c.spec.wShape[0])) : null,
    res: c.residual ? asF32(rng.uniform(outSize)) : undefined,
    dy: asF32(rng.uniform(outSize)),
    gx: asF32(rng.uniform(size(c.spec.xShape))),
    mask: asF32(rng.uniform(size(c.spec.xShape)).map((v, i) => (i % 7 === 3 ? 0 : v))),
  };
}

/** Forward, dX (plain, and finished by its epilogue: mask ⊙ (dX + gx), and mask ⊙ dX), dW and dB on the GPU of `engine`, each checked against the float64 reference. */
async function checkAgainstReference(engine: Engine, c: Config, d: Data, label: string): Promise<void> {
  const s = c.spec;
  const p = params(s);
  const outShape = ref.outputShape(s);
  const tx = Tensor.from(engine, d.x, s.xShape);
  const tw = Tensor.from(engine, d.w, s.wShape);
  const tb = d.b ? Tensor.from(engine, d.b, [s.wShape[0]]) : null;
  const tres = d.res ? Tensor.from(engine, d.res, outShape) : undefined;
  const tdy = Tensor.from(engine, d.dy, outShape);
  const ty = conv2d(tx, tw, tb, p, { relu: c.relu, residual: tres });
  const y = await ty.download();
  expectClose(y, ref.conv2d(d.x, d.w, d.b, s, { relu: c.relu, residual: d.res }), tol(y), `${label} forward`);

  const tdx = conv2dBackwardInput(tdy, tw, s.xShape, p);
  const { dw: tdw, db: tdb } = conv2dBackwardWeight(tx, tdy, s.wShape, p);
  const dxRef = ref.conv2dBackwardInput(d.dy, d.w, s);
  const { dw: dwRef, db: dbRef } = ref.conv2dBackwardWeight(d.x, d.dy, s);
  expectClose(await tdx.download(), dxRef, tol(dxRef), `${label} dx`);
  const [tgx, tmask] = [d.gx, d.mask].map((v) => Tensor.from(engine, v, s.xShape));
  for (const residual of [tgx, undefined]) {
    const tfinished = conv2dBackwardInput(tdy, tw, s.xShape, p, { residual, mask: tmask });
    const want = ref.finishInputGradient(dxRef, residual && d.gx, d.mask);
    expectClose(await tfinished.download(), want, tol(want), `${label} dx with ${residual ? 'residual and ' : ''}mask`);
    tfinished.dispose();
  }
  tgx!.dispose();
  tmask!.dispose();
  expectClose(await tdw.download(), dwRef, tol(dwRef), `${label} dw`);
  expectClose(await tdb.download(), dbRef, tol(dbRef), `${label} db`);
  for (const t of [tx, tw, tb, tres, tdy, ty, tdx, tdw, tdb]) t?.dispose();
}

export default defineCases('conv2d', (test) => {
  CONFIGS.forEach((c, i) => {
    test(`${c.name}: forward, dx, dw, db vs float64`, async (engine) => {
      const shape = conv2dOutputShape(c.spec.xShape, c.spec.wShape, params(c.spec));
      assert(
        shape.join() === ref.outputShape(c.spec).join(),
        `output shape ${shape} != reference ${ref.outputShape(c.spec)}`,
      );
      await checkAgainstReference(engine, c, randomData(c, 100 + i), c.name);
    });
  });

  // The reference gradients themselves, against central finite differences of the reference forward.
  const fdConfigs: Config[] = [
    {
      name: 'stride 2, pad 1, dilation 2, bias, relu',
      spec: { xShape: [2, 2, 6, 5], wShape: [3, 2, 2, 3], stride: [2, 2], padding: [1, 1], dilation: [2, 2] },
      bias: true,
      relu: true,
    },
    {
      name: 'groups 2, anisotropic stride',
      spec: { xShape: [1, 4, 5, 6], wShape: [2, 2, 3, 2], stride: [1, 2], padding: [1, 0], groups: 2 },
      bias: true,
    },
    {
      name: 'pads [1,0,2,1], stride 2, dilation [1,2]',
      spec: { xShape: [1, 2, 6, 7], wShape: [3, 2, 3, 2], stride: [2, 2], padding: [1, 0, 2, 1], dilation: [1, 2] },
      bias: true,
    },
    {
      name: 'winograd shape: 8->8 channels, 3x3 pad 1, relu',
      spec: { xShape: [1, 8, 5, 4], wShape: [8, 8, 3, 3], padding: [1, 1] },
      bias: true,
      relu: true,
    },
  ];
  for (const c of fdConfigs) {
    test(`reference backward vs finite differences: ${c.name}`, async () => {
      const d = randomData(c, 7);
      const s = c.spec;
      const loss = (x: Float64Array, w: Float64Array, b: Float64Array | null) =>
        dot(ref.conv2d(x, w, b, s, { relu: c.relu }), d.dy);
      const y = ref.conv2d(d.x, d.w, d.b, s, { relu: c.relu });
      const mask = c.relu ? y : undefined;
      const fdTol = { rtol: 1e-6, atol: 1e-7 };
      expectClose(
        ref.conv2dBackwardInput(d.dy, d.w, s, mask),
        numericGrad((x) => loss(x, d.w, d.b), d.x),
        fdTol,
        'dx vs finite differences',
      );
      const { dw, db } = ref.conv2dBackwardWeight(d.x, d.dy, s, mask);
      expectClose(
        dw,
        numericGrad((w) => loss(d.x, w, d.b), d.w),
        fdTol,
        'dw vs finite differences',
      );
      expectClose(
        db,
        numericGrad((b) => loss(d.x, d.w, b), d.b!),
        fdTol,
        'db vs finite differences',
      );
    });
  }

  test('weight gradient is deterministic across runs', async (engine) => {
    const c = CONFIGS[1]!;
    const d = randomData(c, 5);
    const tx = Tensor.from(engine, d.x, c.spec.xShape);
    const tdy = Tensor.from(engine, d.dy, ref.outputShape(c.spec));
    const a = conv2dBackwardWeight(tx, tdy, c.spec.wShape, params(c.spec));
    const b = conv2dBackwardWeight(tx, tdy, c.spec.wShape, params(c.spec));
    const [dwa, dwb] = [await a.dw.download(), await b.dw.download()];
    assert(
      dwa.every((v, i) => Object.is(v, dwb[i])),
      'two runs of the weight gradient differ',
    );
    for (const t of [tx, tdy, a.dw, a.db, b.dw, b.db]) t.dispose();
  });

  test('batch split to respect maxStorageBufferBindingSize (chunked bindings)', async (engine) => {
    // 4 channels of 8x8 = 1 KiB per image, so a 2 KiB binding limit forces chunks of 2 images.
    const small = await createEngine({ device: engine.device, maxBindingBytes: 2048 });
    try {
      const c: Config = {
        name: 'chunked',
        spec: { xShape: [5, 4, 8, 8], wShape: [4, 4, 3, 3], padding: [1, 1] },
        bias: true,
        relu: true,
        residual: true,
      };
      const before = small.stats.dispatches;
      await checkAgainstReference(small, c, randomData(c, 11), 'chunked');
      // forward, dx: a weight repack + 3 chunks each; dx with residual + mask, with mask: 3 chunks each; dw: 3 × (dY repack + partial + reduce)
      assert(small.stats.dispatches - before === 23, `expected 23 dispatches, got ${small.stats.dispatches - before}`);
      // the strided input gradient's phases (and a 1×1 stride 2, whose cleared columns take the epilogue apart) in chunks too
      for (const wShape of [
        [4, 4, 3, 3],
        [4, 4, 1, 1],
      ] as const) {
        const strided: Config = {
          name: `chunked stride 2 ${wShape[2]}x${wShape[3]}`,
          spec: { xShape: [5, 4, 8, 8], wShape, stride: [2, 2], padding: [wShape[2] >> 1, wShape[3] >> 1] },
          bias: false,
        };
        await checkAgainstReference(small, strided, randomData(strided, 12), strided.name);
      }
      const x = Tensor.zeros(small, [9, 3, 5, 5]); // 300 bytes per image: chunks can't be 256-byte aligned
      const w = Tensor.zeros(small, [2, 3, 3, 3]);
      await expectThrows(
        () => conv2d(x, w, null),
        /conv2d: cannot split the batch of 9 .* aligned/,
        'unalignable chunks',
      );
      x.dispose();
      w.dispose();
    } finally {
      small.dispose();
    }
  });

  test('weights are packed once per contents: views share the packing, writes and optimizer steps repack', async (engine) => {
    const c = CONFIGS[0]!;
    const s = c.spec;
    const d = randomData(c, 3);
    const outShape = ref.outputShape(s);
    const x = Tensor.from(engine, d.x, s.xShape);
    const dy = Tensor.from(engine, d.dy, outShape);
    const w = Tensor.from(engine, d.w, s.wShape);
    const dispatchesOf = (run: () => Tensor) => {
      const before = engine.stats.dispatches;
      const out = run();
      return { out, dispatches: engine.stats.dispatches - before };
    };
    const forward = (weights: Tensor) => dispatchesOf(() => conv2d(x, weights, null, params(s)));
    const backward = (weights: Tensor) => dispatchesOf(() => conv2dBackwardInput(dy, weights, s.xShape, params(s)));
    const check = async (r: { out: Tensor }, want: ArrayLike<number>, what: string) => {
      const got = await r.out.download();
      r.out.dispose();
      expectClose(got, want, tol(want), what);
    };
    const expect = (r: { dispatches: number }, n: number, what: string) =>
      assert(r.dispatches === n, `${what}: ${r.dispatches} dispatches, expected ${n}`);
    const yRef = (wv: Float64Array) => ref.conv2d(d.x, wv, null, s);
    const dxRef = (wv: Float64Array) => ref.conv2dBackwardInput(d.dy, wv, s);

    let r = forward(w);
    expect(r, 2, 'first forward (pack + conv)');
    await check(r, yRef(d.w), 'first forward');
    r = forward(w);
    expect(r, 1, 'second forward');
    await check(r, yRef(d.w), 'second forward');
    const view = w.reshape([...s.wShape]);
    r = forward(view);
    expect(r, 1, 'forward through a view');
    await check(r, yRef(d.w), 'forward through a view');
    view.dispose();
    r = backward(w);
    expect(r, 2, 'first input gradient (transposed pack + conv)');
    await check(r, dxRef(d.w), 'first input gradient');
    r = backward(w);
    expect(r, 1, 'second input gradient');
    await check(r, dxRef(d.w), 'second input gradient');

    // new contents written in place: both packings are rebuilt
    const w2 = asF32(new Rng(9).uniform(d.w.length));
    engine.write(w.buffer, Float32Array.from(w2));
    w.markWritten();
    r = forward(w);
    expect(r, 2, 'forward after a write');
    await check(r, yRef(w2), 'forward after a write');
    // an SGD step (w -= 0.5·1) marks the weight written itself
    const ones = Tensor.from(engine, new Float32Array(d.w.length).fill(1), s.wShape);
    sgdStep(w, ones, null, { lr: 0.5 });
    const w3 = w2.map((v) => v - 0.5);
    r = backward(w);
    expect(r, 2, 'input gradient after an SGD step');
    await check(r, dxRef(w3), 'input gradient after an SGD step');
    r = forward(w);
    expect(r, 2, 'forward after an SGD step');
    await check(r, yRef(w3), 'forward after an SGD step');

    // a dry run (engine.prepare) records no packing: the first real call packs
    const fresh = Tensor.from(engine, d.w, s.wShape);
    await engine.prepare(() => conv2d(x, fresh, null, params(s)).dispose());
    r = forward(fresh);
    expect(r, 2, 'first forward after a dry run');
    await check(r, yRef(d.w), 'first forward after a dry run');
    fresh.dispose();

    // the packings live with the weight's storage and go with it
    const live = engine.poolStats().liveBuffers;
    w.dispose();
    assert(
      engine.poolStats().liveBuffers === live - 3,
      `disposing the weight freed ${live - engine.poolStats().liveBuffers} buffers, expected 3 (weight + 2 packings)`,
    );
    for (const t of [x, dy, ones]) t.dispose();
  });

  test('winograd: taken where it applies, deterministic, the same bits without subgroups, its float32 error no worse than 2x the direct path', async (engine) => {
    const direct = await createEngine({ device: engine.device, winograd: false });
    const unshared = await createEngine({ device: engine.device, subgroups: false });
    try {
      // ResNet-S's 32->32 layer at 8x8, batch 4
      const spec: ConvSpec = { xShape: [4, 32, 8, 8], wShape: [32, 32, 3, 3], padding: [1, 1] };
      const c: Config = { name: 'winograd vs direct', spec, bias: true };
      const d = randomData(c, 21);
      const run = async (e: Engine) => {
        const [x, w, b] = [
          Tensor.from(e, d.x, spec.xShape),
          Tensor.from(e, d.w, spec.wShape),
          Tensor.from(e, d.b!, [32]),
        ];
        const dy = Tensor.from(e, d.dy, ref.outputShape(spec));
        const outs = [conv2d(x, w, b, params(spec)), conv2dBackwardInput(dy, w, spec.xShape, params(spec))];
        const got = await Promise.all(outs.map((t) => t.download()));
        for (const t of [x, w, b, dy, ...outs]) t.dispose();
        return got;
      };
      const [wino, again, plain, noSharing] = [engine, engine, direct, unshared].map(run);
      const [w0, w1, d0, u0] = await Promise.all([wino, again, plain, noSharing]);
      const want = [ref.conv2d(d.x, d.w, d.b, spec), ref.conv2dBackwardInput(d.dy, d.w, spec)];
      const same = (a: Float32Array, b: Float32Array) => a.every((v, i) => Object.is(v, b[i]));
      ['forward', 'dx'].forEach((what, k) => {
        assert(same(w0![k]!, w1![k]!), `${what}: two runs differ`);
        // U shared across 4-lane subgroups (SwiftShader) or loaded by every lane: the same values in the same order
        assert(same(w0![k]!, u0![k]!), `${what}: the bits change without subgroups`);
        // the rounding of Winograd's transforms differs from the direct sum's: the path was taken
        assert(!same(w0![k]!, d0![k]!), `${what}: the same bits as the direct path`);
        const [errWino, errDirect] = [maxAbsDiff(w0![k]!, want[k]!), maxAbsDiff(d0![k]!, want[k]!)];
        assert(
          errWino <= 2 * errDirect,
          `${what}: Winograd's max error ${errWino} is more than twice the direct path's ${errDirect}`,
        );
      });
      // one more dispatch for U per weight set and direction, kept with the weights and freed with them
      const x = Tensor.from(engine, d.x, spec.xShape);
      const w = Tensor.from(engine, d.w, spec.wShape);
      const count = (f: () => Tensor) => {
        const before = engine.stats.dispatches;
        f().dispose();
        return engine.stats.dispatches - before;
      };
      const forward = () => conv2d(x, w, null, params(spec));
      const [first, second] = [count(forward), count(forward)];
      assert(
        first === 3 && second === 1,
        `forward dispatches ${first}, then ${second}, expected 3 (pack, U, conv) then 1`,
      );
      const live = engine.poolStats().liveBuffers;
      w.dispose();
      const freed = live - engine.poolStats().liveBuffers;
      assert(freed === 3, `disposing the weight freed ${freed} buffers, expected 3 (weight, packing, U)`);
      x.dispose();
    } finally {
      direct.dispose();
      unshared.dispose();
    }
  });

  test('winograd in image chunks (maxStorageBufferBindingSize), and nothing for autotune to time', async (engine) => {
    // 8 channels of 8x8 = 2 KiB per image (U: 4 KiB): a 4 KiB binding limit splits 5 images into chunks of 2
    const small = await createEngine({ device: engine.device, maxBindingBytes: 4096, tuning: 'auto' });
    try {
      const c: Config = {
        name: 'winograd chunked',
        spec: { xShape: [5, 8, 8, 8], wShape: [8, 8, 3, 3], padding: [1, 1] },
        bias: true,
        relu: true,
        residual: true,
      };
      const d = randomData(c, 13);
      await checkAgainstReference(small, c, d, c.name);
      const [x, w] = [Tensor.from(small, d.x, c.spec.xShape), Tensor.from(small, d.w, c.spec.wShape)];
      const before = small.stats.dispatches;
      conv2d(x, w, null, params(c.spec)).dispose();
      // pack, U, 3 chunks
      assert(small.stats.dispatches - before === 5, `${small.stats.dispatches - before} dispatches, expected 5`);
      // Winograd has no tuning variants: no conv geometry is queued for autotune
      assert(!small.tuning.hasPending, 'a Winograd conv queued its geometry for autotune');
      [x, w].forEach((t) => t.dispose());
    } finally {
      small.dispose();
    }
  });

  test('one pipeline per direction serves every batch size, chunk and layer size with the same block', async (engine) => {
    const run = async (n: number, cin: number, hw: number, stride: number) => {
      const p = { padding: 1, stride };
      const x = Tensor.from(engine, new Rng(n).uniform(n * cin * hw * hw), [n, cin, hw, hw]);
      const w = Tensor.from(engine, new Rng(cin).uniform(16 * cin * 9), [16, cin, 3, 3]);
      const dy = Tensor.zeros(engine, conv2dOutputShape(x.shape, w.shape, p));
      const outs = [conv2d(x, w, null, p, { relu: true }), conv2dBackwardInput(dy, w, x.shape, p)];
      const g = conv2dBackwardWeight(x, dy, w.shape, p);
      await outs[0]!.download(); // submits and surfaces any GPU error
      for (const t of [x, w, dy, ...outs, g.dw, g.db]) t.dispose();
    };
    await run(1, 16, 32, 1);
    const first = engine.stats.pipelines;
    await run(65, 16, 32, 1); // another batch
    await run(3, 32, 48, 1); // another layer: channels and size (48-pixel rows take 16-pixel segments too)
    assert(
      engine.stats.pipelines === first,
      `${engine.stats.pipelines - first} new pipelines for another batch or layer size`,
    );
    await run(2, 16, 32, 2);
    const strided = engine.stats.pipelines;
    await run(65, 32, 32, 2);
    assert(
      engine.stats.pipelines === strided,
      `${engine.stats.pipelines - strided} new pipelines for another strided batch or layer size`,
    );
  });

  test('bad shapes and parameters are clear errors thrown before any GPU work', async (engine) => {
    const t = (shape: number[]) => Tensor.zeros(engine, shape);
    const x = t([1, 4, 5, 5]);
    const w = t([4, 2, 3, 3]);
    const w3 = t([3, 2, 3, 3]);
    const wBig = t([4, 4, 5, 5]);
    const b3 = t([3]);
    const dy = t([1, 4, 3, 3]);
    const dispatches = engine.stats.dispatches;
    await expectThrows(
      () => conv2d(x, w, null),
      /conv2d: channel mismatch: input \[1, 4, 5, 5\] has 4 channels but weight \[4, 2, 3, 3\] with groups 1 expects 2/,
      'channel mismatch',
    );
    await expectThrows(
      () => conv2d(x, w3, null, { groups: 2 }),
      /conv2d: output channels 3 .* not divisible by groups 2/,
      'cout % groups',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 3 }),
      /conv2d: input channels 4 are not divisible by groups 3/,
      'cin % groups',
    );
    await expectThrows(
      () => conv2d(x, wBig, null, { dilation: 2 }),
      /conv2d: kernel 5x5 \(dilated 9x9\) is larger than the padded input 5x5/,
      'kernel too large',
    );
    await expectThrows(
      () => conv2d(x, w, b3, { groups: 2 }),
      /conv2d: bias has shape \[3\], expected \[4\]/,
      'bias length',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 2, stride: 0 }),
      /conv2d: stride must be an integer >= 1/,
      'stride 0',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 2, padding: [1, -1] }),
      /conv2d: padding must be an integer >= 0/,
      'negative padding',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 2, padding: [0, 0, 1, -1] }),
      /conv2d: padding must be an integer >= 0, a pair \[h, w\] or \[top, left, bottom, right\]/,
      'negative end padding',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 2, padding: [1, 1, 1] as never }),
      /conv2d: padding must be .* got \[1,1,1\]/,
      'three pads',
    );
    await expectThrows(
      () => conv2d(x, wBig, null, { dilation: [2, 1], padding: [1, 0, 2, 0] }),
      /conv2d: kernel 5x5 \(dilated 9x5\) is larger than the padded input 8x5/,
      'kernel larger than the asymmetrically padded input',
    );
    await expectThrows(
      () => conv2d(x, w, null, { groups: 2 }, { residual: x }),
      /conv2d: residual has shape \[1, 4, 5, 5\], expected \[1, 4, 3, 3\]/,
      'residual shape',
    );
    await expectThrows(
      () => conv2dBackwardInput(x, w, [1, 4, 5, 5], { groups: 2 }),
      /conv2dBackwardInput: dy has shape \[1, 4, 5, 5\], expected \[1, 4, 3, 3\]/,
      'dx: dy shape',
    );
    await expectThrows(
      () => conv2dBackwardWeight(x, x, [4, 2, 3, 3], { groups: 2 }),
      /conv2dBackwardWeight: dy has shape \[1, 4, 5, 5\], expected \[1, 4, 3, 3\]/,
      'dw: dy shape',
    );
    assert(engine.stats.dispatches === dispatches, 'a failed call recorded GPU work');
    for (const z of [x, w, w3, wBig, b3, dy]) z.dispose();
  });
});
