/**
 * The depthwise row-segment kernel (src/ops/depthwise-conv2d.ts), reached through conv2d and
 * conv2dBackwardInput: forward with its epilogue and the input gradient (plain and finished by
 * residual + mask) against the float64 reference, whose gradients are checked against finite
 * differences; the weight gradient stays the dense conv's (conv2d.cases.ts).
 */
import { defineCases } from '../harness/cases.js';
import { assert, expectClose, type Tolerance } from '../harness/assert.js';
import { Rng, asF32 } from '../harness/random.js';
import { numericGrad, dot } from '../reference/finite-diff.js';
import * as ref from '../reference/conv2d.js';
import type { ConvSpec } from '../reference/conv2d.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { conv2d, conv2dBackwardInput, type Conv2dParams } from '../../src/ops/conv2d.js';

interface Config {
  name: string;
  spec: ConvSpec;
  bias: boolean;
  relu?: boolean;
  residual?: boolean;
}

const dw = (c: number, k: [number, number]) => [c, 1, ...k] as [number, number, number, number];

const CONFIGS: Config[] = [
  // MobileNet's shapes: 3×3 pad 1 at stride 1 and 2, rows longer than one segment (37 > 16)
  {
    name: '3x3 pad 1, 5x37 input',
    spec: { xShape: [2, 6, 5, 37], wShape: dw(6, [3, 3]), padding: [1, 1], groups: 6 },
    bias: true,
    relu: true,
  },
  {
    name: '3x3 pad 1 stride 2, odd 9x35 input, residual',
    spec: { xShape: [2, 5, 9, 35], wShape: dw(5, [3, 3]), stride: [2, 2], padding: [1, 1], groups: 5 },
    bias: false,
    residual: true,
    relu: true,
  },
  {
    name: '5x3 kernel, stride [1,3], dilation [2,2], pads [3,2,0,1]',
    spec: {
      xShape: [1, 3, 11, 20],
      wShape: dw(3, [5, 3]),
      stride: [1, 3],
      padding: [3, 2, 0, 1],
      dilation: [2, 2],
      groups: 3,
    },
    bias: true,
  },
  // a padding wider than the kernel's reach (the dense conv cannot run this input gradient as a forward)
  {
    name: '2x2 pad 2, stride 2',
    spec: { xShape: [2, 4, 6, 7], wShape: dw(4, [2, 2]), stride: [2, 2], padding: [2, 2], groups: 4 },
    bias: true,
  },
];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const params = (s: ConvSpec): Conv2dParams => ({
  stride: s.stride,
  padding: s.padding,
  dilation: s.dilation,
  groups: s.groups,
});

/** rtol 1e-4 and atol 1e-5 relative to the largest expected magnitude (float32 sums vs float64). */
function tol(expected: ArrayLike<number>): Tolerance {
  let m = 1;
  for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(expected[i]!));
  return { rtol: 1e-4, atol: 1e-5 * m };
}

export default defineCases('depthwise conv2d', (test) => {
  CONFIGS.forEach((c, i) => {
    test(`${c.name}: forward and dx (plain, + residual, mask) vs float64`, async (engine) => {
      const s = c.spec;
      const rng = new Rng(300 + i);
      const outShape = ref.outputShape(s);
      const [x, w, dy, gx] = [s.xShape, s.wShape, outShape, s.xShape].map((sh) => asF32(rng.uniform(size(sh))));
      const mask = asF32(rng.uniform(size(s.xShape)).map((v, k) => (k % 5 === 2 ? 0 : v)));
      const b = c.bias ? asF32(rng.uniform(s.wShape[0])) : null;
      const res = c.residual ? asF32(rng.uniform(size(outShape))) : undefined;
      const t = (v: Float64Array, sh: readonly number[]) => Tensor.from(engine, v, sh);
      const [tx, tw, tdy, tgx, tmask] = [
        t(x!, s.xShape),
        t(w!, s.wShape),
        t(dy!, outShape),
        t(gx!, s.xShape),
        t(mask, s.xShape),
      ];
      const tb = b && t(b, [s.wShape[0]]);
      const tres = res && t(res, outShape);
      const p = params(s);
      const dispatches0 = engine.stats.dispatches;
      const ty = conv2d(tx, tw, tb, p, { relu: c.relu, residual: tres });
      assert(engine.stats.dispatches - dispatches0 === 1, 'the depthwise forward is one dispatch');
      const yRef = ref.conv2d(x!, w!, b, s, { relu: c.relu, residual: res });
      expectClose(await ty.download(), yRef, tol(yRef), 'forward');
      const dxRef = ref.conv2dBackwardInput(dy!, w!, s);
      const tdx = conv2dBackwardInput(tdy, tw, s.xShape, p);
      expectClose(await tdx.download(), dxRef, tol(dxRef), 'dx');
      for (const residual of [tgx, undefined]) {
        const finished = conv2dBackwardInput(tdy, tw, s.xShape, p, { residual, mask: tmask });
        const want = ref.finishInputGradient(dxRef, residual && gx, mask);
        expectClose(await finished.download(), want, tol(want), `dx with ${residual ? 'residual and ' : ''}mask`);
        finished.dispose();
      }
      for (const v of [tx, tw, tdy, tgx, tmask, tb, tres, ty, tdx]) v?.dispose();
    });
  });

  test('reference dx of a strided, dilated depthwise conv vs finite differences', async () => {
    const s = CONFIGS[2]!.spec;
    const rng = new Rng(9);
    const [x, w, dy] = [s.xShape, s.wShape, ref.outputShape(s)].map((sh) => asF32(rng.uniform(size(sh))));
    const loss = (xv: Float64Array) => dot(ref.conv2d(xv, w!, null, s), dy!);
    expectClose(
      ref.conv2dBackwardInput(dy!, w!, s),
      numericGrad(loss, x!),
      { rtol: 1e-6, atol: 1e-7 },
      'dx vs finite differences',
    );
  });
});
