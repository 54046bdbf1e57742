/**
 * The page of `npm run bench` (bench/bench.mjs serves it to headless Chromium and calls
 * `window.runBench(argv)`): the device's matmul-probe peak, then per zoo model (bundled trained
 * weights fetched from the server when the file exists, else seeded random init) every method's
 * timing cell, one profiled IG call, and the TF.js peer's IG on the same network and input.
 * Returns the JSON and the ms-vs-steps SVG.
 */
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { explain, quadrature, rowsForBudget } from '../src/attribution/index.js';
import { defaultWeightsFile } from '../src/models/load.js';
import { fuseModel, modelFromSpec, type ModelSpec } from '../src/models/fuse.js';
import { readSafetensors } from '../src/models/safetensors.js';
import { ZOO, zooSpec, type ZooName } from '../src/models/zoo.js';
import { imageInputShape, type Model } from '../src/nn/model.js';
import { Tensor } from '../src/tensor/tensor.js';
import { probePeak } from './kernels.js';
import { idgiOverheads, METHODS, syntheticImages, type MethodFigure } from './methods.js';
import { parseBenchArgs, type BenchPlan } from './bench-grid.js';
import {
  cellCall,
  measureCell,
  median,
  profileCell,
  type BenchFigure,
  type Cell,
  type CellProfile,
} from './bench-measure.js';
import { FLOPS_FORMULA, modelFlops } from './flops.js';
import { initTfWebgpu, tfIntegratedGradients, tfLogits, tfNumTensors } from './tfjs-peer.js';
import { tfModelFromSpec, type TfNet } from './tfjs-net.js';
import { svgLinePlot, type Chart } from './svg-plot.js';

declare global {
  interface Window {
    runBench?: (argv: string[]) => Promise<{ json: unknown; svg: string }>;
  }
}

/** explain()'s default memory budget: the TF.js peer uses the same chunk of path points per gradient call. */
const BUDGET = 64 << 20;
const log = (s: string) => console.log(s);
const round = (x: number, digits: number) => +x.toFixed(digits);

/** The model's folded spec: trained weights from /models/ when the server has the file, else seeded random init. */
async function loadSpec(name: ZooName): Promise<{ spec: ModelSpec; weights: string }> {
  const file = defaultWeightsFile(name);
  const res = await fetch(`/models/${file}`);
  if (res.ok) {
    const { tensors } = readSafetensors(new Uint8Array(await res.arrayBuffer()));
    return {
      spec: fuseModel(zooSpec(name, tensors)),
      weights: `trained: assets/models/${file} (${ZOO[name].dataset})`,
    };
  }
  return {
    spec: fuseModel(zooSpec(name, undefined, 1)),
    weights: `random: seeded PyTorch-style init (seed 1; no assets/models/${file})`,
  };
}

/**
 * The peer comparison's rule: right Riemann (α_k = k/m, k = 1..m, weight 1/m), IG as Sundararajan
 * et al. define it. explain()'s default trapezoid rule also evaluates α = 0, where a black
 * baseline makes every max-pool window a tie (each channel is its constant bias) and the two
 * libraries route the gradient to different (equally valid) elements: ~1e-2 relative L2 at 64
 * steps from that one point, which says nothing about the two implementations.
 */
const PEER_RULE = 'right';

interface PeerRow {
  model: string;
  method: string;
  steps: number;
  points: number;
  chunk: number;
  reps: number;
  pathlightFirstCallMs: number;
  pathlightMs: number;
  pathlightSamplesMs: number[];
  tfFirstCallMs: number;
  tfMs: number;
  tfSamplesMs: number[];
  /** tf_ms / pathlight_ms: > 1 means pathlight is faster */
  ratio: number;
  /** ‖a_pathlight − a_tf‖₂ / ‖a_tf‖₂ */
  relL2: number;
  /** max |logit_pathlight − logit_tf| at the input (the two networks are the same function) */
  logitsMaxAbsDiff: number;
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

/** Median of `reps` calls after a warm-up call; returns the last call's result. */
async function timeCalls<T>(
  reps: number,
  call: () => Promise<T>,
): Promise<{ firstMs: number; ms: number; samplesMs: number[]; last: T }> {
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

async function tfPeer(cell: Cell, spec: ModelSpec, reps: number): Promise<PeerRow> {
  const { model, image, target, steps } = cell;
  const q = quadrature(PEER_RULE, steps);
  const chunk = Math.min(q.alphas.length, rowsForBudget(model, BUDGET));
  const ours = await timeCalls(reps, cellCall({ ...cell, rule: PEER_RULE }));
  const net = tfModelFromSpec(spec);
  try {
    const logitsDiff = await tfLogitsMaxAbsDiff(model, net, image);
    const opts = {
      image,
      baseline: new Float32Array(image.length),
      inputShape: imageInputShape(model.info, 'the TF.js peer'),
      target,
      alphas: q.alphas,
      weights: q.weights,
      chunk,
    };
    const tensors0 = tfNumTensors();
    const tf = await timeCalls(reps, () => tfIntegratedGradients(net, opts));
    if (tfNumTensors() !== tensors0) throw new Error(`TF.js peer leaks tensors (${tensors0} → ${tfNumTensors()})`);
    return {
      model: model.info.name,
      method: `ig (${PEER_RULE} Riemann, black baseline)`,
      steps,
      points: q.alphas.length,
      chunk,
      reps,
      pathlightFirstCallMs: ours.firstMs,
      pathlightMs: ours.ms,
      pathlightSamplesMs: ours.samplesMs,
      tfFirstCallMs: tf.firstMs,
      tfMs: tf.ms,
      tfSamplesMs: tf.samplesMs,
      ratio: round(tf.ms / ours.ms, 3),
      relL2: +relL2(ours.last.attribution, tf.last).toPrecision(3),
      logitsMaxAbsDiff: +logitsDiff.toPrecision(3),
    };
  } finally {
    net.dispose();
  }
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

function stepsPlot(figures: BenchFigure[], caption: string): string {
  const charts: Chart[] = [];
  for (const name of [...new Set(figures.map((f) => f.model))]) {
    const mine = figures.filter((f) => f.model === name && !METHODS[f.method]!.stepless);
    const series = [...new Set(mine.map((f) => f.method))].map((method) => ({
      label: method,
      points: mine.filter((f) => f.method === method).map((f) => [f.steps, f.ms] as [number, number]),
    }));
    if (series.some((s) => s.points.length >= 2))
      charts.push({ title: `${name}: ms per attribution vs steps`, xLabel: 'steps', yLabel: 'ms (median)', series });
  }
  return svgLinePlot(charts, caption);
}

async function runModel(
  engine: Engine,
  name: ZooName,
  plan: BenchPlan,
  peakGflops: number,
  out: { models: unknown[]; figures: BenchFigure[]; profiles: CellProfile[]; peer: PeerRow[] },
): Promise<void> {
  const { spec, weights } = await loadSpec(name);
  const model = modelFromSpec(engine, spec);
  try {
    const image = syntheticImages(model, 1, 1);
    const target = (await explain(engine, model, image, { method: 'grad' })).images[0]!.target;
    const flops = modelFlops(model);
    out.models.push({
      model: name,
      weights,
      inputShape: model.info.inputShape,
      target,
      flopsPerRow: { forward: flops.forward, inputGradient: flops.inputGradient },
      rowsPerChunk: rowsForBudget(model, BUDGET),
    });
    log(`== ${name}: ${weights}; ${(flops.forward / 1e6).toFixed(2)} MFLOP forward per row; target class ${target}`);
    const cell = (method: string, steps: number, reps: number): Cell => ({
      engine,
      model,
      image,
      target,
      method,
      steps,
      reps,
      flops,
      peakGflops,
    });
    const row = plan.rows.find((r) => r.model === name);
    for (const method of row?.methods ?? []) {
      for (const steps of METHODS[method]!.stepless ? [1] : row!.steps) {
        const { figure: f } = await measureCell(cell(method, steps, row!.reps));
        out.figures.push(f);
        log(
          `${name.padEnd(9)} ${method.padEnd(15)} ${String(steps).padStart(4)} steps ${f.ms.toFixed(1).padStart(9)} ms ${f.gradEvalsPerSec.toFixed(0).padStart(6)} grad/s ${f.gflops.toFixed(2).padStart(6)} GFLOP/s (${(100 * f.ofPeak).toFixed(0)}% of probe)  peak ${(f.peakPoolBytes / 2 ** 20).toFixed(1)} MiB  first ${f.firstCallMs.toFixed(0)} ms`,
        );
      }
    }
    if (plan.peerModels.includes(name)) {
      const r = await tfPeer(cell('ig', plan.peerSteps, plan.peerReps), spec, plan.peerReps);
      out.peer.push(r);
      log(
        `${name.padEnd(9)} IG-${r.steps} (${PEER_RULE}) TF.js ${r.tfMs.toFixed(1)} ms vs pathlight ${r.pathlightMs.toFixed(1)} ms: tf/pathlight ${r.ratio.toFixed(2)}; relative L2 ${r.relL2.toExponential(2)}; logits differ by ≤ ${r.logitsMaxAbsDiff.toExponential(1)}`,
      );
    }
    if (plan.profile) {
      // a warmed-up IG cell: the peer's, else this model's largest IG cell
      const warm = plan.peerModels.includes(name) || !row?.methods.includes('ig') ? null : Math.max(...row.steps);
      const p = await profileCell(
        warm === null ? { ...cell('ig', plan.peerSteps, 1), rule: PEER_RULE } : cell('ig', warm, 1),
      );
      out.profiles.push(p);
      const top = p.report.supported
        ? p.report.ops
            .slice(0, 4)
            .map((o) => `${o.op} ${o.gpuMs.toFixed(1)} ms ×${o.dispatches}`)
            .join(', ')
        : p.report.reason;
      log(
        `${name.padEnd(9)} profiled IG-${p.steps} (${p.rule}): wall ${p.wallMs.toFixed(0)} ms, ${p.report.supported ? `GPU ${p.report.gpuMs.toFixed(1)} ms in ${p.report.dispatches} dispatches: ${top}` : top}`,
      );
    }
  } finally {
    model.dispose();
  }
}

window.runBench = async (argv: string[]) => {
  const plan = parseBenchArgs(argv);
  const t0 = performance.now();
  const engine = await createEngine();
  try {
    log(`adapter: ${JSON.stringify(engine.adapter)}; timestamp-query: ${engine.hasTimestamps}`);
    // the device's peak: the better of two probe runs (start and end), which a shared CPU can slow down
    const probes = [await probePeak(engine, 5)];
    log(`matmul probe ${probes[0]!.shape}: ${probes[0]!.gflops.toFixed(2)} GFLOP/s`);
    const peakGflops = () => Math.max(...probes.map((p) => p.gflops));
    const tf = plan.peerModels.length > 0 ? await initTfWebgpu() : null;
    if (tf) log(`TF.js ${tf.core} on backend ${tf.backend} (tfjs-backend-webgpu ${tf.webgpu})`);
    const out = {
      models: [] as unknown[],
      figures: [] as BenchFigure[],
      profiles: [] as CellProfile[],
      peer: [] as PeerRow[],
    };
    const names = [...new Set([...plan.rows.map((r) => r.model), ...plan.peerModels])] as ZooName[];
    for (const name of names) await runModel(engine, name, plan, peakGflops(), out);
    probes.push(await probePeak(engine, 5));
    log(`matmul probe again: ${probes[1]!.gflops.toFixed(2)} GFLOP/s`);
    const peak = peakGflops();
    for (const f of out.figures) f.ofPeak = round(f.gflops / peak, 3);
    const date = new Date().toISOString();
    const json = {
      runtime: 'chrome',
      userAgent: navigator.userAgent,
      date,
      adapter: engine.adapter,
      timestampQuery: {
        available: engine.hasTimestamps,
        note: engine.hasTimestamps
          ? 'profiles[] hold per-op GPU time of one IG call per model (one compute pass per dispatch, timestampWrites at its begin and end)'
          : 'the adapter does not offer timestamp-query: no per-kernel GPU times (profiles[] say so)',
      },
      note: 'wall time on a shared 2-core machine running SwiftShader (CPU Vulkan) in headless Chromium; figures swing up to ~2× between runs when other jobs share the CPU',
      input:
        'one deterministic synthetic image per model (bench/methods.ts syntheticImages, seed 1), black baseline, explicit target = top-1 class of f(x)',
      peak: {
        what: 'register-blocked tiled matmul probe (bench/probe-matmul.wgsl), same page and device, run before and after the grid; gflops = the better run (ofPeak = figure gflops / this)',
        gflops: peak,
        runs: probes,
      },
      flopsFormula: FLOPS_FORMULA,
      plan,
      models: out.models,
      figures: out.figures,
      idgiOverhead: idgiOverheads(out.figures as unknown as MethodFigure[]),
      profiles: out.profiles,
      profilesNote: `one profiled IG call per model after its timed calls: the TF.js peer's cell (IG-${plan.peerSteps}, ${PEER_RULE} rule) where the model has one, else its largest IG cell of the grid; profiling puts every dispatch in its own compute pass, so wallMs is above the unprofiled ms`,
      peer: tf
        ? {
            library: `@tensorflow/tfjs-core ${tf.core} + @tensorflow/tfjs-backend-webgpu ${tf.webgpu} (backend '${tf.backend}', NHWC)`,
            what: 'the same folded network and IG (same quadrature points/weights, same points per gradient call), tf.grad of the target logit; ratio = tfMs / pathlightMs',
            rows: out.peer,
          }
        : null,
      totalMs: round(performance.now() - t0, 0),
    };
    const caption = `${[engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description].filter(Boolean).join(' ')} · headless Chromium · median of ${plan.rows[0]?.reps ?? 5} calls · ${date.slice(0, 10)} · stepless methods (grad, smoothgrad-grad) not plotted`;
    return { json, svg: stepsPlot(out.figures, caption) };
  } finally {
    engine.dispose();
  }
};
