/**
 * One cell of `npm run bench`: a method on a model at a step count — one warm-up explain() call,
 * then `reps` timed calls (median), gradient evaluations per second, achieved GFLOP/s (bench/flops.ts)
 * as a fraction of the adapter's ceiling (bench/ceiling.ts), and the buffer pool's peak during the timed calls. Plus one profiled call
 * (engine.startProfiling: per-kernel GPU time from timestamp queries, where the device has them).
 */
import type { Engine, ProfileReport } from '../src/gpu/engine.js';
import { explain, type Explanation, type IntegrationRule } from '../src/attribution/index.js';
import type { Model } from '../src/nn/model.js';
import { median, METHODS, timingFigure, type MethodFigure } from './methods.js';
import { attributionFlops, type ModelFlops } from './flops.js';

/** bench/methods' figure (timing, gradient evaluations, readbacks) plus FLOPs and memory. */
export interface BenchFigure extends Omit<MethodFigure, 'cpuMs'> {
  /** conv/linear GFLOP of one attribution (formula: flopsFormula in the JSON) */
  gflop: number;
  gflops: number;
  /** gflops / the run's ceiling (ceiling.gflops in the JSON: the FMA probe's best, same page) */
  ofCeiling: number;
  /** highest live pooled-buffer bytes during the timed calls (engine.poolStats().peakLiveBytes) */
  peakPoolBytes: number;
  /** live pooled bytes before the calls (the model's weights and anything else resident) */
  residentBytes: number;
  completenessError: number;
}

export interface Cell {
  engine: Engine;
  model: Model;
  image: Float32Array;
  target: number;
  method: string;
  steps: number;
  reps: number;
  flops: ModelFlops;
  ceilingGflops: number;
  /** IG's quadrature rule (default: explain()'s, trapezoid) */
  rule?: IntegrationRule;
}

export { median };

const round = (x: number, digits: number) => +x.toFixed(digits);

/** explain() for a cell (the method's options from bench/methods.ts, an explicit target class). */
export function cellCall(c: Cell): () => Promise<Explanation> {
  const options = METHODS[c.method]!.options(c.model);
  const rule = c.rule ? { rule: c.rule } : {};
  return () => explain(c.engine, c.model, c.image, { ...options, ...rule, steps: c.steps, target: c.target });
}

export async function measureCell(c: Cell): Promise<{ figure: BenchFigure; last: Explanation }> {
  const call = cellCall(c);
  const t0 = performance.now();
  await call();
  const firstCallMs = performance.now() - t0;
  const residentBytes = c.engine.poolStats().liveBytes;
  c.engine.pool.resetPeak();
  const readbacks0 = c.engine.stats.readbacks;
  const samplesMs: number[] = [];
  let last: Explanation | null = null;
  for (let r = 0; r < c.reps; r++) {
    const t = performance.now();
    last = await call();
    samplesMs.push(performance.now() - t);
  }
  const ms = median(samplesMs);
  const flop = attributionFlops(c.flops, last!);
  const gflops = flop / (ms * 1e6);
  return {
    last: last!,
    figure: {
      ...timingFigure(
        c.model.info.name,
        c.method,
        c.steps,
        firstCallMs,
        samplesMs,
        last!,
        (c.engine.stats.readbacks - readbacks0) / c.reps,
      ),
      gflop: round(flop / 1e9, 4),
      gflops: round(gflops, 3),
      ofCeiling: round(gflops / c.ceilingGflops, 3),
      peakPoolBytes: c.engine.poolStats().peakLiveBytes,
      residentBytes,
      completenessError: +last!.images[0]!.completenessError.toPrecision(3),
    },
  };
}

export interface CellProfile {
  model: string;
  method: string;
  steps: number;
  rule: string;
  /** wall time of the profiled call (one compute pass per dispatch: slower than an unprofiled call) */
  wallMs: number;
  report: ProfileReport;
}

/** One more call of a (warmed-up) cell with per-dispatch GPU timing; op times rounded to µs. */
export async function profileCell(c: Cell): Promise<CellProfile> {
  const call = cellCall(c);
  c.engine.startProfiling();
  const t0 = performance.now();
  try {
    await call();
  } catch (e) {
    await c.engine.stopProfiling();
    throw e;
  }
  const wallMs = round(performance.now() - t0, 1);
  let report = await c.engine.stopProfiling();
  if (report.supported) {
    report = {
      ...report,
      gpuMs: round(report.gpuMs, 3),
      ops: report.ops.map((o) => ({ ...o, gpuMs: round(o.gpuMs, 3) })),
    };
  }
  return { model: c.model.info.name, method: c.method, steps: c.steps, rule: c.rule ?? 'trapezoid', wallMs, report };
}
