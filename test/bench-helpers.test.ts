/** `npm run bench`'s helpers: the FLOP count from the model graph, the flag parser, the SVG plot and the ceiling probe's arithmetic. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { createZooModel } from '../src/models/load.js';
import { attributionFlops, modelFlops } from '../bench/flops.js';
import { DEFAULT_PLAN, parseBenchArgs } from '../bench/bench-grid.js';
import { svgLinePlot } from '../bench/svg-plot.js';
import { FMA_C, FMA_M, fmaProbeReference, runFmaProbe } from '../bench/ceiling.js';
import { Tensor } from '../src/tensor/tensor.js';
import { medianInterval } from '../bench/methods-ab.js';
import { gradientCosts, timingFigure } from '../bench/methods.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

it('counts LeNet conv/linear FLOPs from the graph', () => {
  const model = createZooModel(engine, 'lenet', { foldBatchNorm: true });
  try {
    const f = modelFlops(model);
    // conv1 6·28·28 outputs × 1·5·5, conv2 16·10·10 × 6·5·5, fc 400·120, 120·84, 84·10 multiply-adds
    const macs = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10;
    expect(f.forward).toBe(2 * macs);
    expect(f.inputGradient).toBe(2 * macs);
    expect(f.layers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2', 'fc3']);
    expect(attributionFlops(f, { gradientEvaluations: 65, forwardEvaluations: 2 })).toBe(65 * 4 * macs + 2 * 2 * macs);
  } finally {
    model.dispose();
  }
});

it('counts depthwise convs per group (MobileNet)', () => {
  const model = createZooModel(engine, 'mobilenet', { foldBatchNorm: true });
  try {
    const dw = modelFlops(model).layers.find((l) => l.name === 'layers.0.conv1')!;
    expect(dw.flops).toBe(2 * 16 * 32 * 32 * 9); // 16 channels, stride 1, 3×3, one input channel each
  } finally {
    model.dispose();
  }
});

it('parses the bench flags over the default plan', () => {
  expect(parseBenchArgs([])).toEqual(DEFAULT_PLAN);
  const p = parseBenchArgs([
    '--models',
    'resnet',
    '--methods',
    'ig,idgi',
    '--steps',
    '16,64',
    '--reps',
    '7',
    '--no-profile',
  ]);
  expect(p.rows).toEqual([{ model: 'resnet', methods: ['ig', 'idgi'], steps: [16, 64], reps: 7 }]);
  expect(p.peerModels).toEqual(['resnet']);
  expect(p.peerReps).toBe(7);
  expect(p.profile).toBe(false);
  expect(parseBenchArgs(['--peer-models', 'none']).peerModels).toEqual([]);
  expect(() => parseBenchArgs(['--models', 'alexnet'])).toThrow(/unknown model 'alexnet'/);
  expect(() => parseBenchArgs(['--methods', 'lime'])).toThrow(/unknown method 'lime'/);
  expect(() => parseBenchArgs(['--steps', '0'])).toThrow(/positive integers/);
  expect(() => parseBenchArgs(['--frobnicate', '1'])).toThrow(/unknown option --frobnicate/);
});

it('draws one polyline per series and escapes labels', () => {
  const svg = svgLinePlot(
    [
      {
        title: 'lenet <ms>',
        xLabel: 'steps',
        yLabel: 'ms',
        series: [
          {
            label: 'ig',
            points: [
              [8, 50],
              [16, 90],
              [64, 400],
            ],
          },
          {
            label: 'gig',
            points: [
              [8, 80],
              [64, 900],
            ],
          },
        ],
      },
    ],
    'caption & note',
  );
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg.match(/<polyline /g)).toHaveLength(2);
  expect(svg.match(/<circle /g)).toHaveLength(5);
  expect(svg).toContain('lenet &lt;ms&gt;');
  expect(svg).toContain('caption &amp; note');
  expect(svg).not.toMatch(/NaN|Infinity/);
});

it('the ceiling probe (probe-fma.wgsl) computes its FMA chains: every thread against a float64 recurrence', async () => {
  const coef = Tensor.from(engine, Float32Array.from([...FMA_M, ...FMA_C]), [8]);
  for (const [chains, workgroup] of [
    [4, 64],
    [8, 256],
    [16, 64],
  ] as const) {
    const groups = 2;
    const iters = 300;
    const out = Tensor.empty(engine, [groups * workgroup * 4]);
    runFmaProbe(engine, { workgroup, chains, iters, groups, coef, out });
    const got = await out.download();
    out.dispose();
    let worst = 0;
    for (let t = 0; t < groups * workgroup; t++) {
      const want = fmaProbeReference(t, chains, iters);
      for (let lane = 0; lane < 4; lane++) worst = Math.max(worst, Math.abs(got[t * 4 + lane]! - want[lane]!));
    }
    // float32 rounding of 300 contracting steps (|m| < 1): ~1e-5; a skipped or repeated chain is off by > 0.1
    expect(worst, `${chains} chains, workgroup ${workgroup}`).toBeLessThan(1e-4 * chains);
  }
  coef.dispose();
});

it('gives the median its order-statistic 95 % interval (IDGI A/B rounds)', () => {
  // 5 rounds: only [min, max], 1 − 2/32 coverage; 9 rounds: [x₂, x₈], 1 − 2·10/512
  expect(medianInterval([1.3, 1.0, 1.2, 1.1, 0.9])).toEqual({ median: 1.1, low: 0.9, high: 1.3, coverage: 1 - 2 / 32 });
  const nine = medianInterval([9, 1, 8, 2, 7, 3, 6, 4, 5]);
  expect([nine.median, nine.low, nine.high]).toEqual([5, 2, 8]);
  expect(nine.coverage).toBeCloseTo(1 - 20 / 512, 12);
  expect(() => medianInterval([])).toThrow(/no samples/);
});

it('prices Guided IG, Blur IG and IG2 per gradient evaluation against IG and batch-1 IG', () => {
  const figure = (method: string, ms: number, gradientEvaluations: number, model = 'lenet') =>
    timingFigure(model, method, 64, 0, [ms], { gradientEvaluations, forwardEvaluations: 2 }, 2);
  const costs = gradientCosts([
    figure('ig', 100, 65),
    figure('ig-b1', 650, 65),
    figure('gig', 640, 64),
    figure('ig2', 800, 256),
    figure('gig', 1, 64, 'resnet'), // no reference at this model: no row
  ]);
  expect(costs.map((c) => [c.method, c.reference, c.ratio])).toEqual([
    ['gig', 'ig-b1', 1],
    ['gig', 'ig', 6.5],
    ['ig2', 'ig', 2.031],
  ]);
});
