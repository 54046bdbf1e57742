/**
 * The adapter's ceiling, measured by the benchmarks themselves (not by the library's kernels):
 * - ALU: probe-fma.wgsl, 4, 8 or 16 independent vec4 FMA chains per thread in workgroups of
 *   64 and 256 lanes; the ceiling is the best variant's GFLOP/s (2 per FMA lane);
 * - memory: probe-copy.wgsl, a vec4 copy of a 32 MiB buffer (GB/s = bytes read + written / time).
 * Each variant's work is doubled until one dispatch takes ≥ 20 ms (CPU adapters need little, GPUs
 * a lot), then timed as the median of `reps` dispatches after a warm-up, each ended by sync().
 * Every result checks a few outputs against a float64 reference, so a miscompiled probe cannot pass.
 */
import fmaSource from './probe-fma.wgsl';
import copySource from './probe-copy.wgsl';
import type { Engine } from '../src/gpu/engine.js';
import type { Grid } from '../src/gpu/program.js';
import { Tensor } from '../src/tensor/tensor.js';

export interface AluVariant {
  workgroup: number;
  chains: number;
  threads: number;
  iters: number;
  ms: number;
  gflops: number;
}

export interface Ceiling {
  /** where it was measured: headless Chromium or Node (Dawn) */
  runtime: 'chromium' | 'node';
  /** the best ALU variant's GFLOP/s: the denominator of every `ofCeiling` */
  gflops: number;
  alu: AluVariant[];
  copy: { mib: number; ms: number; gbps: number };
}

export const CEILING_WHAT =
  'best of the ALU probe variants (bench/probe-fma.wgsl: 4, 8 or 16 independent vec4 FMA chains per thread, workgroups of 64 and 256, 2 FLOP per FMA lane); copy: bench/probe-copy.wgsl, vec4 copy of 32 MiB, GB/s = bytes read + written per second';

/** The probe's coefficients: x ← x·M + C per lane (|M| < 1: bounded, converging to C / (1 − M)). */
export const FMA_M = [0.999, 0.998, 0.997, 0.996] as const;
export const FMA_C = [0.001, 0.002, 0.003, 0.004] as const;

/** float64 value of probe-fma.wgsl's out[t] (the chains' starts and sum order as the shader writes them). */
export type Chains = 4 | 8 | 16;

/** Each chain's start offset, in the shader's order (x0, x1, …). */
const CHAIN_OFFSETS = [0, 0.5, 1, 1.5, -0.5, -1, -1.5, -2, 2, 2.5, 3, 3.5, -2.5, -3, -3.5, -4];

export function fmaProbeReference(t: number, chains: Chains, iters: number): number[] {
  const offsets = CHAIN_OFFSETS.slice(0, chains);
  const s = [t % 16, 1, 2, 3].map((v) => v * 0.0625);
  return [0, 1, 2, 3].map((lane) => {
    let sum = 0;
    for (const o of offsets) {
      let x = s[lane]! + o;
      for (let k = 0; k < iters; k++) x = x * FMA_M[lane]! + FMA_C[lane]!;
      sum += x;
    }
    return sum;
  });
}

/** workgroups for `groups` (a power of two) as a 2-D grid within the 65 535-per-dimension limit */
function gridOf(groups: number): Grid {
  return groups <= 32768 ? [groups] : [32768, groups / 32768];
}

const MIN_MS = 20;
const MAX_THREADS = 1 << 22;

async function timeRun(engine: Engine, reps: number, run: () => void): Promise<number> {
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

/** One dispatch of the FMA probe; `out` holds one vec4 per thread. */
export function runFmaProbe(
  engine: Engine,
  o: { workgroup: number; chains: Chains; iters: number; groups: number; coef: Tensor; out: Tensor },
): void {
  engine.run({
    op: 'bench probe fma',
    source: fmaSource,
    params: { ITERS: o.iters, WG_SIZE: o.workgroup, EIGHT: o.chains >= 8, SIXTEEN: o.chains === 16 },
    bindings: { coef: o.coef, out: o.out },
    grid: gridOf(o.groups),
  });
}

function checkFma(got: Float32Array, chains: Chains, iters: number): void {
  for (const t of [0, 1, 15, 17, got.length / 4 - 1]) {
    const want = fmaProbeReference(t, chains, iters);
    for (let lane = 0; lane < 4; lane++) {
      const g = got[t * 4 + lane]!;
      if (!(Math.abs(g - want[lane]!) <= 1e-3 * Math.max(1, Math.abs(want[lane]!))))
        throw new Error(`FMA probe is wrong: out[${t}][${lane}] = ${g}, want ${want[lane]}`);
    }
  }
}

async function aluVariant(engine: Engine, workgroup: number, chains: Chains, reps: number): Promise<AluVariant> {
  const iters = 256;
  const coef = Tensor.from(engine, Float32Array.from([...FMA_M, ...FMA_C]), [8]);
  let groups = 16384 / workgroup;
  let out = Tensor.empty(engine, [groups * workgroup * 4]);
  try {
    const run = () => runFmaProbe(engine, { workgroup, chains, iters, groups, coef, out });
    run(); // compile
    await engine.sync();
    while (groups * workgroup < MAX_THREADS && (await timeRun(engine, 1, run)) < MIN_MS) {
      groups *= 2;
      out.dispose();
      out = Tensor.empty(engine, [groups * workgroup * 4]);
    }
    const ms = await timeRun(engine, reps, run);
    checkFma(await out.download(), chains, iters);
    const threads = groups * workgroup;
    const flop = threads * chains * 4 * 2 * iters;
    return { workgroup, chains, threads, iters, ms: +ms.toFixed(3), gflops: +(flop / (ms * 1e6)).toFixed(3) };
  } finally {
    coef.dispose();
    out.dispose();
  }
}

async function copyProbe(engine: Engine, reps: number): Promise<Ceiling['copy']> {
  const n4 = (32 << 20) / 16;
  const data = Float32Array.from({ length: n4 * 4 }, (_, i) => i % 1021);
  const src = Tensor.from(engine, data, [n4 * 4]);
  const dst = Tensor.empty(engine, [n4 * 4]);
  try {
    const run = () =>
      engine.run({
        op: 'bench probe copy',
        source: copySource,
        params: { N4: n4 },
        bindings: { src, dst },
        grid: { threads: n4 },
      });
    run();
    await engine.sync();
    const ms = await timeRun(engine, reps, run);
    const got = await dst.download();
    for (const i of [0, 1, n4 * 2 + 3, n4 * 4 - 1])
      if (got[i] !== data[i]) throw new Error(`copy probe is wrong: dst[${i}] = ${got[i]}, want ${data[i]}`);
    return { mib: 32, ms: +ms.toFixed(3), gbps: +((2 * n4 * 16) / (ms * 1e6)).toFixed(2) };
  } finally {
    src.dispose();
    dst.dispose();
  }
}

/** The ALU variants and the copy probe, once. */
export async function measureCeiling(engine: Engine, runtime: Ceiling['runtime'], reps = 5): Promise<Ceiling> {
  const alu: AluVariant[] = [];
  for (const workgroup of [64, 256])
    for (const chains of [4, 8, 16] as const) alu.push(await aluVariant(engine, workgroup, chains, reps));
  const copy = await copyProbe(engine, reps);
  return { runtime, gflops: Math.max(...alu.map((v) => v.gflops)), alu, copy };
}

/** `gflops` as a fraction of the ceiling (3 digits). */
export function ofCeiling(gflops: number, ceiling: { gflops: number }): number {
  return +(gflops / ceiling.gflops).toFixed(3);
}

/** One line for a log: the best ALU variant and the copy rate. */
export function ceilingLine(c: Ceiling): string {
  const best = c.alu.find((v) => v.gflops === c.gflops)!;
  return `ceiling (${c.runtime}): ${c.gflops.toFixed(2)} GFLOP/s (FMA probe, workgroup ${best.workgroup}, ${best.chains} chains); copy ${c.copy.gbps.toFixed(1)} GB/s`;
}
