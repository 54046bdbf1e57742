/**
 * Kernel throughput: conv2d forward / input-gradient / weight-gradient and matmul at CNN-typical
 * shapes, next to two yardsticks measured in the same run: an ALU probe (independent mul-adds, no
 * memory traffic: the adapter's arithmetic ceiling) and the 512³ matmul. Runs unchanged in Node and
 * in a page. Useful FLOPs only (2 per multiply-add); median of `reps` timed runs after warm-up.
 */
import type { Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dOutputShape, type Conv2dParams } from '../src/ops/conv2d.js';
import { matmul } from '../src/ops/matmul.js';

export interface KernelFigure {
  kernel: string;
  shape: string;
  ms: number;
  gflops: number;
  /** fraction of the ALU probe's GFLOP/s */
  ofPeak: number;
}

export interface KernelBench {
  adapter: Engine['adapter'];
  aluPeakGflops: number;
  figures: KernelFigure[];
}

const ALU_PROBE = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  var a = vec4<f32>(f32(gid.x) * 1e-7, 0.5, 0.25, 0.125);
  var b = vec4<f32>(0.999, 0.998, 0.997, 0.996);
  var c = vec4<f32>(1e-3);
  var d = vec4<f32>(2e-3);
  for (var i = 0u; i < ${'${ITERS}'}u; i++) {
    a = fma(a, b, c); c = fma(c, b, d); d = fma(d, b, a); b = fma(b, vec4<f32>(0.9999), vec4<f32>(1e-5));
  }
  out[gid.x] = a + b + c + d;
}`;

async function time(engine: Engine, reps: number, run: () => void): Promise<number> {
  run();
  await engine.sync(); // warm-up: compiles pipelines, fills the pool
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    await engine.sync();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export async function aluPeak(engine: Engine): Promise<number> {
  const iters = 2048;
  const groups = 256;
  const kernel = engine.kernel('bench_alu_probe', String(iters), () => ALU_PROBE.replace('${ITERS}', String(iters)));
  const out = Tensor.empty(engine, [groups * 64 * 4]);
  const ms = await time(engine, 5, () => engine.dispatch(kernel, [out.buffer], [groups]));
  out.dispose();
  return (groups * 64 * iters * 4 * 4 * 2) / (ms * 1e6); // 4 vec4 fmas per iteration
}

const CONVS: { name: string; x: [number, number, number, number]; w: [number, number, number, number]; p: Conv2dParams }[] = [
  { name: 'lenet conv1 1→6 28×28 5×5 p2', x: [32, 1, 28, 28], w: [6, 1, 5, 5], p: { padding: 2 } },
  { name: 'lenet conv2 6→16 14×14 5×5', x: [32, 6, 14, 14], w: [16, 6, 5, 5], p: {} },
  { name: 'resnet stem 3→16 32×32 3×3 p1', x: [32, 3, 32, 32], w: [16, 3, 3, 3], p: { padding: 1 } },
  { name: 'resnet 16→16 32×32 3×3 p1', x: [32, 16, 32, 32], w: [16, 16, 3, 3], p: { padding: 1 } },
  { name: 'resnet 32→64 16×16 3×3 s2 p1', x: [32, 32, 16, 16], w: [64, 32, 3, 3], p: { padding: 1, stride: 2 } },
  { name: 'resnet 64→64 8×8 3×3 p1', x: [32, 64, 8, 8], w: [64, 64, 3, 3], p: { padding: 1 } },
  { name: 'mobilenet depthwise 32 16×16 3×3 p1', x: [32, 32, 16, 16], w: [32, 1, 3, 3], p: { padding: 1, groups: 32 } },
];

const MATMULS: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [64, 128, 1024],
];

export async function runKernelBench(engine: Engine, opts: { reps?: number; log?: (s: string) => void } = {}): Promise<KernelBench> {
  const reps = opts.reps ?? 5;
  const log = opts.log ?? (() => {});
  const peak = await aluPeak(engine);
  log(`ALU probe: ${peak.toFixed(2)} GFLOP/s`);
  const figures: KernelFigure[] = [];
  const add = (kernel: string, shape: string, flops: number, ms: number) => {
    const f = { kernel, shape, ms: +ms.toFixed(3), gflops: +(flops / (ms * 1e6)).toFixed(3), ofPeak: +(flops / (ms * 1e6) / peak).toFixed(3) };
    figures.push(f);
    log(`${kernel.padEnd(22)} ${shape.padEnd(38)} ${f.ms.toFixed(2).padStart(9)} ms ${f.gflops.toFixed(2).padStart(6)} GFLOP/s`);
  };
  const fill = (shape: number[]) => Tensor.from(engine, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 0.5), shape);
  for (const c of CONVS) {
    const x = fill(c.x);
    const w = fill(c.w);
    const yShape = conv2dOutputShape(c.x, c.w, c.p);
    const dy = fill(yShape);
    const flops = 2 * yShape.reduce((a, b) => a * b, 1) * c.w[1] * c.w[2] * c.w[3];
    add('conv2d forward', c.name, flops, await time(engine, reps, () => conv2d(x, w, null, c.p).dispose()));
    add('conv2d grad input', c.name, flops, await time(engine, reps, () => conv2dBackwardInput(dy, w, c.x, c.p).dispose()));
    add('conv2d grad weight', c.name, flops, await time(engine, reps, () => {
      const { dw, db } = conv2dBackwardWeight(x, dy, c.w, c.p);
      dw.dispose();
      db.dispose();
    }));
    for (const t of [x, w, dy]) t.dispose();
  }
  for (const [m, n, k] of MATMULS) {
    const a = fill([m, k]);
    const b = fill([k, n]);
    add('matmul', `${m}×${n}×${k}`, 2 * m * n * k, await time(engine, reps, () => matmul(a, b).dispose()));
    a.dispose();
    b.dispose();
  }
  return { adapter: engine.adapter, aluPeakGflops: +peak.toFixed(3), figures };
}
