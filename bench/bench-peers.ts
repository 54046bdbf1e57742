/**
 * The peers of `npm run bench`, in the benchmark's page beside pathlight:
 * - TF.js (webgpu, wasm, cpu backends): the same folded network and the same IG (quadrature
 *   points, weights and points per gradient call) for each model and step count, with the
 *   attribution agreement check per backend;
 * - onnxruntime-web (webgpu, wasm execution providers): batch-64 forward on the same `.onnx` bytes
 *   as pathlight's `predict`, with the output agreement check per provider.
 * A peer that fails (a backend that does not start, a provider this adapter cannot run) gives a
 * row with its error message instead of figures: that target is void, the others still run.
 */
import type { Engine } from '../src/gpu/engine.js';
import { quadrature, rowsForBudget } from '../src/attribution/index.js';
import type { ModelSpec } from '../src/models/fuse.js';
import { onnxPredictor } from '../src/models/predict.js';
import { imageInputShape, type Model } from '../src/nn/model.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cellCall, median, type Cell } from './bench-measure.js';
import { attributionFlops, modelFlops } from './flops.js';
import {
  initTf,
  tfIntegratedGradients,
  tfLogits,
  tfNumTensors,
  type TfBackend,
  type TfBackendInfo,
} from './tfjs-peer.js';
import { tfModelFromSpec, type TfNet } from './tfjs-net.js';
import { ortInfo, ortSession, ORT_PROVIDERS } from './ort-peer.js';

const round = (x: number, digits: number) => +x.toFixed(digits);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * The peer comparison's rule: right Riemann (α_k = k/m, k = 1..m, weight 1/m), IG as Sundararajan
 * et al. define it. explain()'s default trapezoid rule also evaluates α = 0, where a black
 * baseline makes every max-pool window a tie (each channel is its constant bias) and the two
 * libraries route the gradient to different (equally valid) elements: ~1e-2 relative L2 at 64
 * steps from that one point, which says nothing about the two implementations.
 */
export const PEER_RULE = 'right';

/** Two implementations of the same IG agree when their attributions differ by at most this relative L2. */
export const AGREEMENT_REL_L2 = 1e-4;

export interface Timed<T> {
  firstMs: number;
  ms: number;
  samplesMs: number[];
  last: T;
}

/** Median of `reps` calls after a warm-up call; returns the last call's result. */
export async function timeCalls<T>(reps: number, call: () => Promise<T>): Promise<Timed<T>> {
  const t0 = performance.now();
  let last = await call();
  const firstMs = performance.now() - t0;
  const samplesMs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    last = await call();
    samplesMs.push(performance.now() - t);
  }
  return {
    firstMs: round(firstMs, 1),
    ms: round(median(samplesMs), 2),
    samplesMs: samplesMs.map((x) => round(x, 2)),
    last,
  };
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num) / Math.sqrt(den || 1);
}

/** GFLOP/s of `gflop` in `ms`; its fraction of the ceiling is filled in once the run's ceiling is known. */
export interface Throughput {
  gflops: number;
  ofCeiling: number;
}
const throughput = (gflop: number, ms: number): Throughput => ({ gflops: round(gflop / (ms / 1e3), 3), ofCeiling: 0 });

export interface TfRow {
  model: string;
  method: string;
  steps: number;
  backend: TfBackend;
  points: number;
  chunk: number;
  reps: number;
  /** conv/linear GFLOP of one IG call (bench/flops.ts), the same for both */
  gflop: number;
  pathlightFirstCallMs: number;
  pathlightMs: number;
  pathlightSamplesMs: number[];
  pathlight: Throughput;
  /** the peer's figures; absent (with `error`) when the backend failed: the target is void */
  tfFirstCallMs?: number;
  tfMs?: number;
  tfSamplesMs?: number[];
  tf?: Throughput;
  /** tfMs / pathlightMs: > 1 means pathlight is faster */
  ratio?: number;
  /** ‖a_pathlight − a_tf‖₂ / ‖a_tf‖₂ */
  relL2?: number;
  /** max |logit_pathlight − logit_tf| at the input (the two networks are the same function) */
  logitsMaxAbsDiff?: number;
  /** relL2 ≤ AGREEMENT_REL_L2 */
  agrees?: boolean;
  error?: string;
}

/** The two networks are the same function: compare their logits at the input. */
async function tfLogitsMaxAbsDiff(model: Model, net: TfNet, image: Float32Array): Promise<number> {
  const x = Tensor.from(model.engine, image, [1, ...model.info.inputShape]);
  const logits = model.logits(x);
  const ours = await logits.download();
  for (const t of [x, logits]) t.dispose();
  const theirs = await tfLogits(net, image, imageInputShape(model.info, 'the TF.js peer'));
  return Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i]!)));
}

/**
 * IG of `cell` at each step count, in pathlight and in each TF.js backend (one network per
 * backend, built from `spec`); `budget` sizes the points per gradient call as explain() does.
 */
export async function tfPeerRows(
  cell: Omit<Cell, 'steps'>,
  spec: ModelSpec,
  o: { steps: number[]; backends: TfBackend[]; reps: number; budget: number; log: (s: string) => void },
): Promise<{ rows: TfRow[]; backends: TfBackendInfo[] }> {
  const { model, image, target } = cell;
  const name = model.info.name;
  const bases = [];
  for (const steps of o.steps) {
    const q = quadrature(PEER_RULE, steps);
    const chunk = Math.min(q.alphas.length, rowsForBudget(model, o.budget));
    const ours = await timeCalls(o.reps, cellCall({ ...cell, steps, rule: PEER_RULE }));
    const gflop = attributionFlops(cell.flops, ours.last) / 1e9;
    bases.push({
      steps,
      q,
      ours,
      row: {
        model: name,
        method: `ig (${PEER_RULE} Riemann, black baseline)`,
        steps,
        points: q.alphas.length,
        chunk,
        reps: o.reps,
        gflop: round(gflop, 4),
        pathlightFirstCallMs: ours.firstMs,
        pathlightMs: ours.ms,
        pathlightSamplesMs: ours.samplesMs,
        pathlight: throughput(gflop, ours.ms),
      },
    });
  }
  const rows: TfRow[] = [];
  const backends: TfBackendInfo[] = [];
  for (const backend of o.backends) {
    let net: TfNet | null = null;
    try {
      const info = await initTf(backend);
      const wasm = info.threads
        ? `, ${info.wasmFile}, ${info.threads} threads (multithread ${info.multithread}), SIMD ${info.simd}`
        : '';
      o.log(`TF.js ${backend}: ${info.library}${wasm}`);
      backends.push(info);
      net = tfModelFromSpec(spec);
      const logitsDiff = await tfLogitsMaxAbsDiff(model, net, image);
      for (const b of bases) {
        const opts = {
          image,
          baseline: new Float32Array(image.length),
          inputShape: imageInputShape(model.info, 'the TF.js peer'),
          target,
          alphas: b.q.alphas,
          weights: b.q.weights,
          chunk: b.row.chunk,
        };
        const tensors0 = tfNumTensors();
        const tf = await timeCalls(o.reps, () => tfIntegratedGradients(net!, opts));
        if (tfNumTensors() !== tensors0) throw new Error(`TF.js peer leaks tensors (${tensors0} → ${tfNumTensors()})`);
        const rel = relL2(b.ours.last.attribution, tf.last);
        const r: TfRow = {
          ...b.row,
          backend,
          tfFirstCallMs: tf.firstMs,
          tfMs: tf.ms,
          tfSamplesMs: tf.samplesMs,
          tf: throughput(b.row.gflop, tf.ms),
          ratio: round(tf.ms / b.ours.ms, 3),
          relL2: +rel.toPrecision(3),
          logitsMaxAbsDiff: +logitsDiff.toPrecision(3),
          agrees: rel <= AGREEMENT_REL_L2,
        };
        rows.push(r);
        o.log(
          `${name.padEnd(9)} IG-${r.steps} TF.js ${backend.padEnd(6)} ${r.tfMs!.toFixed(1)} ms vs pathlight ${r.pathlightMs.toFixed(1)} ms: tf/pathlight ${r.ratio!.toFixed(2)}; relative L2 ${r.relL2!.toExponential(2)}${r.agrees ? '' : ' (DISAGREES)'}`,
        );
      }
    } catch (e) {
      o.log(`${name.padEnd(9)} TF.js ${backend}: void (${message(e)})`);
      // the steps this backend did not reach are void too
      for (const b of bases.filter((b) => !rows.some((r) => r.backend === backend && r.steps === b.steps)))
        rows.push({ ...b.row, backend, error: message(e) });
    } finally {
      net?.dispose();
    }
  }
  return { rows, backends };
}

export interface OrtRow {
  target: string;
  /** where the `.onnx` bytes came from */
  source: string;
  batch: number;
  reps: number;
  /** conv/linear GFLOP of the batch's forward (bench/flops.ts on pathlight's import) */
  gflop?: number;
  pathlightFirstCallMs?: number;
  pathlightMs?: number;
  pathlightSamplesMs?: number[];
  pathlight?: Throughput;
  providers: {
    provider: string;
    firstCallMs?: number;
    ms?: number;
    samplesMs?: number[];
    ort?: Throughput;
    /** ortMs / pathlightMs: > 1 means pathlight's predict is faster */
    ratio?: number;
    /** max |y_pathlight − y_ort| / max |y_ort| over the batch's outputs */
    maxRelDiff?: number;
    agrees?: boolean;
    error?: string;
  }[];
  /** the whole target is void (no model file, or pathlight could not run it) */
  error?: string;
}

/** Outputs agree when they differ by at most this, relative to the largest output. */
export const ORT_AGREEMENT = 1e-4;

/** A batch of `batch` rows of `shape`, deterministic, in [−1, 1). */
function batchInput(batch: number, shape: readonly number[]): { shape: number[]; data: Float32Array } {
  const n = batch * shape.reduce((a, b) => a * b, 1);
  return { shape: [batch, ...shape], data: Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 1000) / 500 - 1) };
}

/** Batch forward of `bytes` in pathlight's predict and in each onnxruntime-web provider. */
export async function ortRow(
  engine: Engine,
  target: string,
  source: string,
  bytes: Uint8Array | string,
  o: { batch: number; reps: number; log: (s: string) => void },
): Promise<OrtRow> {
  const row: OrtRow = { target, source, batch: o.batch, reps: o.reps, providers: [] };
  if (typeof bytes === 'string') {
    o.log(`ORT ${target}: void (${bytes})`);
    return { ...row, error: bytes, providers: ORT_PROVIDERS.map((provider) => ({ provider, error: bytes })) };
  }
  const predictor = onnxPredictor(engine, bytes, { name: target });
  let ours: Timed<{ data: Float32Array }>;
  let x: { shape: number[]; data: Float32Array };
  try {
    x = batchInput(o.batch, predictor.inputShape.slice(1));
    ours = await timeCalls(o.reps, () => predictor.predict(x));
    const gflop = (o.batch * modelFlops(predictor.model!).forward) / 1e9;
    Object.assign(row, {
      gflop: round(gflop, 4),
      pathlightFirstCallMs: ours.firstMs,
      pathlightMs: ours.ms,
      pathlightSamplesMs: ours.samplesMs,
      pathlight: throughput(gflop, ours.ms),
    });
  } catch (e) {
    o.log(`ORT ${target}: void, pathlight's predict failed (${message(e)})`);
    return { ...row, error: `pathlight predict: ${message(e)}` };
  } finally {
    predictor.dispose();
  }
  o.log(`ORT ${target}: ${ortInfo().library}; pathlight predict ×${o.batch} ${ours.ms.toFixed(1)} ms`);
  for (const provider of ORT_PROVIDERS) {
    try {
      const session = await ortSession(bytes, provider);
      try {
        const t = await timeCalls(o.reps, () => session.run(x.data, x.shape));
        const scale = Math.max(...Array.from(t.last, Math.abs)) || 1;
        const diff = Math.max(...Array.from(t.last, (v, i) => Math.abs(v - ours.last.data[i]!))) / scale;
        const p = {
          provider,
          firstCallMs: t.firstMs,
          ms: t.ms,
          samplesMs: t.samplesMs,
          ort: throughput(row.gflop!, t.ms),
          ratio: round(t.ms / ours.ms, 3),
          maxRelDiff: +diff.toPrecision(3),
          agrees: diff <= ORT_AGREEMENT,
        };
        row.providers.push(p);
        o.log(
          `ORT ${target}: ${provider.padEnd(6)} ${p.ms.toFixed(1)} ms, ort/pathlight ${p.ratio.toFixed(2)}; max relative difference ${p.maxRelDiff.toExponential(2)}${p.agrees ? '' : ' (DISAGREES)'}`,
        );
      } finally {
        await session.release();
      }
    } catch (e) {
      o.log(`ORT ${target}: ${provider} void (${message(e)})`);
      row.providers.push({ provider, error: message(e) });
    }
  }
  return row;
}

/** Every GFLOP/s of the peer rows as a fraction of the run's ceiling. */
export function peerFractions(rows: { tf: TfRow[]; ort: OrtRow[] }, ceilingGflops: number): void {
  const set = (t: Throughput | undefined) => {
    if (t) t.ofCeiling = round(t.gflops / ceilingGflops, 3);
  };
  for (const r of rows.tf) [r.pathlight, r.tf].forEach(set);
  for (const r of rows.ort) [r.pathlight, ...r.providers.map((p) => p.ort)].forEach(set);
}
