/**
 * Kernel throughput: conv2d forward / input-gradient / weight-gradient and matmul at CNN-typical
 * shapes, next to a yardstick measured in the same run: a self-contained register-blocked tiled
 * matmul probe (probe-matmul.wgsl) for the device's practical GEMM throughput. Runs unchanged in Node (kernels-node.ts)
 * and in a page (kernels-page.ts). Useful FLOPs only (2 per multiply-add); median of `reps` timed
 * runs after a warm-up run, each ended by `engine.sync()`.
 */
import probeSource from './probe-matmul.wgsl';
import type { Engine } from '../src/gpu/engine.js';
import { ceilingLine, measureCeiling, ofCeiling, type Ceiling } from './ceiling.js';
import { Tensor } from '../src/tensor/tensor.js';
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dOutputShape,
  type Conv2dParams,
} from '../src/ops/conv2d.js';
import { matmul } from '../src/ops/matmul.js';

export interface KernelFigure {
  kernel: string;
  shape: string;
  /** median wall time per call, dispatch to sync */
  ms: number;
  gflops: number;
  /** fraction of the probe's GFLOP/s */
  ofProbe: number;
  /** fraction of the adapter's ceiling (bench/ceiling.ts: the FMA probe's best, same run and runtime) */
  ofCeiling: number;
  /** process CPU ms per call (Node only): a cross-check on a shared, noisy machine */
  cpuMs?: number;
}

export interface KernelBench {
  adapter: Engine['adapter'];
  /** timestamp-query available; per-dispatch GPU timing is not implemented (wall time only) */
  timestamps: boolean;
  probe: { shape: string; ms: number; gflops: number; cpuMs?: number };
  /** the better of two ceiling runs, before and after the kernels */
  ceiling: Ceiling;
  figures: KernelFigure[];
}

export interface BenchOptions {
  reps?: number;
  log?: (line: string) => void;
  /** process CPU time in ms, where the runtime can tell (Node: process.cpuUsage) */
  cpuTime?: () => number;
  /** run only the shapes whose name contains this (tuning runs) */
  only?: string;
  /** where it runs, for the ceiling's label */
  runtime?: Ceiling['runtime'];
}

interface Timing {
  ms: number;
  cpuMs?: number;
}

async function time(engine: Engine, reps: number, run: () => void, cpuTime?: () => number): Promise<Timing> {
  run();
  await engine.sync(); // warm-up: compiles pipelines, fills the buffer pool
  const samples: number[] = [];
  const cpu0 = cpuTime?.();
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    run();
    await engine.sync();
    samples.push(performance.now() - t0);
  }
  const cpuMs = cpuTime && cpu0 !== undefined ? (cpuTime() - cpu0) / reps : undefined;
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, cpuMs };
}

/** 256 threads of 16 × 16 outputs each. */
const PROBE = { m: 256, n: 256, k: 512 };

/**
 * Probe workgroup: SwiftShader runs a workgroup's lanes 4 at a time on one CPU thread and spreads
 * workgroups over threads, so on CPU back ends one SIMD group per workgroup (as src/ops/matmul.ts
 * does); GPUs get 64 lanes.
 */
const probeWorkgroup = (engine: Engine) => (engine.adapter.isFallbackAdapter ? { wgx: 2, wgy: 2 } : { wgx: 8, wgy: 8 });

/** GFLOP/s of the matmul probe; also checks one output element so a broken probe cannot pass. */
export async function probePeak(engine: Engine, reps: number, cpuTime?: () => number): Promise<KernelBench['probe']> {
  const { m, n, k } = PROBE;
  const { wgx, wgy } = probeWorkgroup(engine);
  // a[k][i] = A[i,k], b[k][j] = B[k,j], c[j][i] = C[i,j] (see probe-matmul.wgsl).
  const aData = Float32Array.from({ length: k * m }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const bData = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const a = Tensor.from(engine, aData, [k * m]);
  const b = Tensor.from(engine, bData, [n * k]);
  const c = Tensor.empty(engine, [n * m]);
  const grid: [number, number] = [m / 16 / wgx, n / 16 / wgy];
  const program = {
    op: 'bench probe matmul',
    source: probeSource,
    params: { M: m, N: n, K: k, WGX: wgx, WGY: wgy },
    bindings: { a, b, c },
    grid,
  };
  const t = await time(engine, reps, () => engine.run(program), cpuTime);
  const row = 5;
  const col = 3;
  let want = 0;
  for (let kk = 0; kk < k; kk++) want += aData[kk * m + row]! * bData[kk * n + col]!;
  const got = (await c.download())[col * m + row]!;
  for (const x of [a, b, c]) x.dispose();
  if (Math.abs(got - want) > 1e-3 * Math.max(1, Math.abs(want)))
    throw new Error(`matmul probe is wrong: C[${row},${col}] = ${got}, want ${want}`);
  const probe: KernelBench['probe'] = {
    shape: `${m}×${n}×${k}`,
    ms: +t.ms.toFixed(3),
    gflops: +((2 * m * n * k) / (t.ms * 1e6)).toFixed(3),
  };
  if (t.cpuMs !== undefined) probe.cpuMs = +t.cpuMs.toFixed(2);
  return probe;
}

type Shape4 = [number, number, number, number];

/** N = 32 throughout. */
export const CONVS: { name: string; x: Shape4; w: Shape4; p: Conv2dParams }[] = [
  { name: 'stem 3→16 32×32 3×3 p1', x: [32, 3, 32, 32], w: [16, 3, 3, 3], p: { padding: 1 } },
  { name: '16→16 32×32 3×3 p1', x: [32, 16, 32, 32], w: [16, 16, 3, 3], p: { padding: 1 } },
  { name: '32→64 16×16 3×3 s2 p1', x: [32, 32, 16, 16], w: [64, 32, 3, 3], p: { padding: 1, stride: 2 } },
  { name: '64→64 8×8 3×3 p1', x: [32, 64, 8, 8], w: [64, 64, 3, 3], p: { padding: 1 } },
  { name: 'depthwise 32 16×16 3×3 p1', x: [32, 32, 16, 16], w: [32, 1, 3, 3], p: { padding: 1, groups: 32 } },
  {
    name: 'depthwise 32 32×32 3×3 s2 p1',
    x: [32, 32, 32, 32],
    w: [32, 1, 3, 3],
    p: { padding: 1, stride: 2, groups: 32 },
  },
  { name: 'lenet 1→6 28×28 5×5 p2', x: [32, 1, 28, 28], w: [6, 1, 5, 5], p: { padding: 2 } },
  { name: 'lenet 6→16 14×14 5×5', x: [32, 6, 14, 14], w: [16, 6, 5, 5], p: {} },
  { name: 'pointwise 32→64 16×16 1×1', x: [32, 32, 16, 16], w: [64, 32, 1, 1], p: {} },
  { name: 'pointwise 128→128 8×8 1×1', x: [32, 128, 8, 8], w: [128, 128, 1, 1], p: {} },
  { name: 'shortcut 16→32 32×32 1×1 s2', x: [32, 16, 32, 32], w: [32, 16, 1, 1], p: { stride: 2 } },
];

/** [rows, columns, inner]: C[m,n] = A[m,k]·B[k,n]. */
export const MATMULS: [number, number, number][] = [
  [256, 256, 256],
  [512, 512, 512],
  [64, 128, 1024],
];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function fill(engine: Engine, shape: number[]): Tensor {
  return Tensor.from(
    engine,
    Float32Array.from({ length: size(shape) }, (_, i) => Math.sin(i) * 0.5),
    shape,
  );
}

export async function runKernelBench(engine: Engine, opts: BenchOptions = {}): Promise<KernelBench> {
  const reps = opts.reps ?? 5;
  const log = opts.log ?? (() => {});
  const probe = await probePeak(engine, reps, opts.cpuTime);
  const ceiling = await measureCeiling(engine, opts.runtime ?? 'node', reps);
  log(`adapter: ${JSON.stringify(engine.adapter)}`);
  log(ceilingLine(ceiling));
  const probeCpu =
    probe.cpuMs === undefined
      ? ''
      : ` | cpu ${probe.cpuMs.toFixed(1)} ms ${((2 * PROBE.m * PROBE.n * PROBE.k) / (probe.cpuMs * 1e6)).toFixed(2)} GFLOP/cpu-s`;
  log(`matmul probe ${probe.shape}: ${probe.ms.toFixed(2)} ms ${probe.gflops.toFixed(2)} GFLOP/s${probeCpu}`);
  const figures: KernelFigure[] = [];
  const add = (kernel: string, shape: string, flops: number, t: Timing) => {
    const gflops = flops / (t.ms * 1e6);
    const f: KernelFigure = {
      kernel,
      shape,
      ms: +t.ms.toFixed(3),
      gflops: +gflops.toFixed(3),
      ofProbe: +(gflops / probe.gflops).toFixed(3),
      ofCeiling: ofCeiling(gflops, ceiling),
    };
    if (t.cpuMs !== undefined) f.cpuMs = +t.cpuMs.toFixed(2);
    figures.push(f);
    const cpu =
      f.cpuMs === undefined
        ? ''
        : ` | cpu ${f.cpuMs.toFixed(1).padStart(7)} ms ${(flops / (f.cpuMs * 1e6)).toFixed(2).padStart(5)} GFLOP/cpu-s`;
    log(
      `${kernel.padEnd(24)} ${shape.padEnd(28)} ${f.ms.toFixed(2).padStart(8)} ms ${f.gflops.toFixed(2).padStart(6)} GFLOP/s ${(100 * f.ofProbe).toFixed(0).padStart(4)}% of probe ${(100 * f.ofCeiling).toFixed(0).padStart(4)}% of ceiling${cpu}`,
    );
  };
  const wanted = (name: string) => !opts.only || name.includes(opts.only);
  for (const c of CONVS.filter((c) => wanted(c.name))) {
    const x = fill(engine, c.x);
    const w = fill(engine, c.w);
    const yShape = conv2dOutputShape(c.x, c.w, c.p);
    const dy = fill(engine, yShape);
    // 2·N·Cout·Ho·Wo·(Cin/groups)·KH·KW, the same for each direction.
    const flops = 2 * size(yShape) * c.w[1] * c.w[2] * c.w[3];
    add(
      'conv2d forward',
      c.name,
      flops,
      await time(engine, reps, () => conv2d(x, w, null, c.p).dispose(), opts.cpuTime),
    );
    add(
      'conv2d grad input',
      c.name,
      flops,
      await time(engine, reps, () => conv2dBackwardInput(dy, w, c.x, c.p).dispose(), opts.cpuTime),
    );
    add(
      'conv2d grad weight',
      c.name,
      flops,
      await time(
        engine,
        reps,
        () => {
          const { dw, db } = conv2dBackwardWeight(x, dy, c.w, c.p);
          dw.dispose();
          db.dispose();
        },
        opts.cpuTime,
      ),
    );
    for (const t of [x, w, dy]) t.dispose();
  }
  for (const [m, n, k] of MATMULS.filter(([m, n, k]) => wanted(`matmul ${m}×${n}×${k}`))) {
    const a = fill(engine, [m, k]);
    const b = fill(engine, [k, n]);
    add(
      'matmul',
      `matmul ${m}×${n}×${k}`,
      2 * m * n * k,
      await time(engine, reps, () => matmul(a, b).dispose(), opts.cpuTime),
    );
    a.dispose();
    b.dispose();
  }
  const after = await measureCeiling(engine, ceiling.runtime, reps);
  log(`again: ${ceilingLine(after)}`);
  const best = after.gflops > ceiling.gflops ? after : ceiling;
  for (const f of figures) f.ofCeiling = ofCeiling(f.gflops, best);
  return { adapter: engine.adapter, timestamps: engine.hasTimestamps, probe, ceiling: best, figures };
}
