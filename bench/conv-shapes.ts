/**
 * Conv tuning A/B in one Node process (Dawn): the row-segment conv kernels (forward and input
 * gradient) at ResNet-S's and LeNet's shapes, each tuning variant timed interleaved with the
 * others rep by rep, so the ratios hold on a shared machine. Also checks that every variant gives
 * the default's bits. Build and run:
 *
 *   node bench/conv-shapes.mjs [--n 32] [--reps 5] [--only 16->16] [--variants 2x16t64,4x8a64]
 *
 * A variant is `<channel blocks, or p for pixel lanes>x<segment><order: t(ap) | a(ccumulator)><workgroup>`; `default`
 * is each shape's default tuning. Writes JSON to out/conv-shapes.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dDefaultTuning,
  conv2dOutputShape,
  type Conv2dParams,
  type ConvDirection,
  type ConvTuning,
} from '../src/ops/conv2d.js';

interface Shape {
  name: string;
  cin: number;
  cout: number;
  hw: number;
  k: number;
  p: Conv2dParams;
}

const SHAPES: Shape[] = [
  { name: 'resnet stem 3->16 32x32', cin: 3, cout: 16, hw: 32, k: 3, p: { padding: 1 } },
  { name: 'resnet 16->16 32x32', cin: 16, cout: 16, hw: 32, k: 3, p: { padding: 1 } },
  { name: 'resnet 16->32 32x32 s2', cin: 16, cout: 32, hw: 32, k: 3, p: { padding: 1, stride: 2 } },
  { name: 'resnet 32->32 16x16', cin: 32, cout: 32, hw: 16, k: 3, p: { padding: 1 } },
  { name: 'resnet 32->64 16x16 s2', cin: 32, cout: 64, hw: 16, k: 3, p: { padding: 1, stride: 2 } },
  { name: 'resnet 64->64 8x8', cin: 64, cout: 64, hw: 8, k: 3, p: { padding: 1 } },
  { name: 'lenet 1->6 28x28 5x5 p2', cin: 1, cout: 6, hw: 28, k: 5, p: { padding: 2 } },
  { name: 'lenet 6->16 14x14 5x5', cin: 6, cout: 16, hw: 14, k: 5, p: {} },
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function parseVariant(s: string): ConvTuning | 'default' {
  if (s === 'default') return s;
  const m = /^(\d+|p)x(\d+)([ta])(\d+)$/.exec(s);
  if (!m) throw new Error(`bad variant ${s}: want e.g. 2x16t64, or px8a64 for pixel lanes`);
  const pixels = m[1] === 'p';
  return {
    channelBlocks: pixels ? 1 : +m[1]!,
    segment: +m[2]!,
    order: m[3] === 't' ? 'tap' : 'accumulator',
    lanes: pixels ? 'pixels' : 'channels',
    workgroup: +m[4]!,
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const label = (t: ConvTuning) =>
  `${t.lanes === 'pixels' ? 'p' : t.channelBlocks}x${t.segment}${t.order[0]}${t.workgroup}`;

const n = Number(arg('n') ?? 32);
const reps = Number(arg('reps') ?? 5);
const only = arg('only');
const variantNames = (arg('variants') ?? 'default').split(',');
const directions = (arg('directions') ?? 'forward,inputGradient').split(',') as ConvDirection[];

const engine = await createEngine();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const results = [];
for (const s of SHAPES.filter((x) => !only || x.name.includes(only))) {
  const xShape = [n, s.cin, s.hw, s.hw];
  const wShape = [s.cout, s.cin, s.k, s.k];
  const yShape = conv2dOutputShape(xShape, wShape, s.p);
  const flops = 2 * yShape.reduce((a, b) => a * b, 1) * s.cin * s.k * s.k;
  const rand = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const x = Tensor.from(engine, rand(xShape.reduce((a, b) => a * b, 1)), xShape);
  const w = Tensor.from(engine, rand(wShape.reduce((a, b) => a * b, 1)), wShape);
  const dy = Tensor.from(engine, rand(yShape.reduce((a, b) => a * b, 1)), yShape);
  for (const direction of directions) {
    const tunings = variantNames.map((v) => {
      const t = parseVariant(v);
      return t === 'default' ? conv2dDefaultTuning(direction, xShape, wShape, s.p) : t;
    });
    const run = (t: ConvTuning) => {
      return direction === 'forward' ? conv2d(x, w, null, s.p, {}, t) : conv2dBackwardInput(dy, w, xShape, s.p, {}, t);
    };
    // warm-up (compile) and the bitwise check against the first variant
    let reference: Float32Array | undefined;
    const identical: boolean[] = [];
    for (const t of tunings) {
      const out = run(t);
      const bits = await out.download();
      out.dispose();
      reference ??= bits;
      identical.push(bits.every((v, i) => Object.is(v, reference![i])));
    }
    const wall = tunings.map(() => [] as number[]);
    const cpuMs = tunings.map(() => [] as number[]);
    for (let r = 0; r < reps; r++) {
      for (const [i, t] of tunings.entries()) {
        const [t0, c0] = [performance.now(), cpu()];
        run(t).dispose();
        await engine.sync();
        wall[i]!.push(performance.now() - t0);
        cpuMs[i]!.push(cpu() - c0);
      }
    }
    const rows = tunings.map((t, i) => {
      const [ms, cpuMedian] = [wall[i]!, cpuMs[i]!].map(median) as [number, number];
      return {
        variant: variantNames[i] === 'default' ? `default ${label(t)}` : variantNames[i]!,
        ms: +ms.toFixed(2),
        gflops: +(flops / ms / 1e6).toFixed(2),
        cpuMs: +cpuMedian.toFixed(1),
        /** GFLOP per CPU-second of this process: what contention from other processes moves least */
        gflopsCpu: +(flops / cpuMedian / 1e6).toFixed(2),
        identical: identical[i],
      };
    });
    console.error(
      `${s.name} ${direction}: ` +
        rows
          .map((r) => `${r.variant} ${r.gflopsCpu} GF/cpu-s (${r.ms} ms${r.identical ? '' : ', DIFFERS'})`)
          .join(' | '),
    );
    results.push({ shape: s.name, direction, n, rows });
  }
  for (const t of [x, w, dy]) t.dispose();
}
engine.dispose();
mkdirSync('out', { recursive: true });
writeFileSync('out/conv-shapes.json', JSON.stringify({ runtime: 'node', reps, results }, null, 2) + '\n');
