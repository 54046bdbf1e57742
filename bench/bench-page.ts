/**
 * The page of `npm run bench` (bench/bench.mjs serves it, cross-origin isolated, to headless
 * Chromium and calls `window.runBench(argv)`): the adapter's ceiling (bench/ceiling.ts), then per
 * zoo model (bundled trained weights fetched from the server when the file exists, else seeded
 * random init) every method's timing cell, one profiled IG call, and the TF.js peers' IG on the
 * same network and input (bench/bench-peers.ts); then onnxruntime-web's batch forward beside
 * pathlight's predict, and the ceiling again. Every GFLOP/s figure is reported as a fraction of the
 * better ceiling run. Returns the JSON and the ms-vs-steps SVG.
 */
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { explain, rowsForBudget } from '../src/attribution/index.js';
import { defaultWeightsFile } from '../src/models/load.js';
import { fuseModel, modelFromSpec, type ModelSpec } from '../src/models/fuse.js';
import { readSafetensors } from '../src/models/safetensors.js';
import { ZOO, zooSpec, type ZooName } from '../src/models/zoo.js';
import { ceilingLine, CEILING_WHAT, measureCeiling, type Ceiling } from './ceiling.js';
import { gradientCosts, idgiOverheads, METHODS, syntheticImages, type MethodFigure } from './methods.js';
import { parseBenchArgs, type BenchPlan } from './bench-grid.js';
import { measureCell, profileCell, type BenchFigure, type Cell, type CellProfile } from './bench-measure.js';
import { FLOPS_FORMULA, modelFlops } from './flops.js';
import { AGREEMENT_REL_L2, ORT_AGREEMENT, ortRow, peerFractions, PEER_RULE, tfPeerRows } from './bench-peers.js';
import type { OrtRow, TfRow } from './bench-peers.js';
import type { TfBackend, TfBackendInfo } from './tfjs-peer.js';
import { ortInfo } from './ort-peer.js';
import { specToOnnx } from './spec-onnx.js';
import { svgLinePlot, type Chart } from './svg-plot.js';

declare global {
  interface Window {
    runBench?: (argv: string[]) => Promise<{ json: unknown; svg: string }>;
  }
}

/** explain()'s default memory budget: the TF.js peers use the same chunk of path points per gradient call. */
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

interface Out {
  models: unknown[];
  figures: BenchFigure[];
  profiles: CellProfile[];
  tf: TfRow[];
  tfBackends: TfBackendInfo[];
  ort: OrtRow[];
}

async function runModel(engine: Engine, name: ZooName, plan: BenchPlan, ceilingGflops: number, out: Out) {
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
    const base = { engine, model, image, target, flops, ceilingGflops };
    const cell = (method: string, steps: number, reps: number): Cell => ({ ...base, method, steps, reps });
    const row = plan.rows.find((r) => r.model === name);
    for (const method of row?.methods ?? []) {
      for (const steps of METHODS[method]!.stepless ? [1] : row!.steps) {
        const { figure: f } = await measureCell(cell(method, steps, row!.reps));
        out.figures.push(f);
        log(
          `${name.padEnd(9)} ${method.padEnd(15)} ${String(steps).padStart(4)} steps ${f.ms.toFixed(1).padStart(9)} ms ${f.gradEvalsPerSec.toFixed(0).padStart(6)} grad/s ${f.gflops.toFixed(2).padStart(6)} GFLOP/s (${(100 * f.ofCeiling).toFixed(0)}% of ceiling)  peak ${(f.peakPoolBytes / 2 ** 20).toFixed(1)} MiB  first ${f.firstCallMs.toFixed(0)} ms`,
        );
      }
    }
    const peer = plan.peerModels.includes(name) && plan.tfBackends.length > 0;
    if (peer) {
      const { rows, backends } = await tfPeerRows({ ...base, method: 'ig', reps: plan.peerReps }, spec, {
        steps: plan.peerSteps,
        backends: plan.tfBackends as TfBackend[],
        reps: plan.peerReps,
        budget: BUDGET,
        log,
      });
      out.tf.push(...rows);
      for (const b of backends) if (!out.tfBackends.some((k) => k.backend === b.backend)) out.tfBackends.push(b);
    }
    if (plan.profile) {
      // a warmed-up IG cell: the peers' first, else this model's largest IG cell
      const warm = peer || !row?.methods.includes('ig') ? null : Math.max(...row.steps);
      const p = await profileCell(
        warm === null ? { ...cell('ig', plan.peerSteps[0]!, 1), rule: PEER_RULE } : cell('ig', warm, 1),
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

/** Where bench/bench.mjs serves torchvision's resnet18 at 64² when scripts/torchvision-export.py has written it. */
const TORCHVISION_RESNET18 = '/torchvision/64/resnet18.onnx';

/** The `.onnx` bytes of an ORT target, or why there are none. */
async function ortBytes(target: string): Promise<{ source: string; bytes: Uint8Array | string }> {
  if (target === 'resnet') {
    const { spec, weights } = await loadSpec('resnet');
    return { source: `bench/spec-onnx.ts from the folded ResNet-S (${weights})`, bytes: specToOnnx(spec) };
  }
  const source = 'out/torchvision/64/resnet18.onnx (scripts/torchvision-export.py)';
  const res = await fetch(TORCHVISION_RESNET18);
  if (!res.ok)
    return {
      source,
      bytes:
        'no out/torchvision/64/resnet18.onnx: scripts/torchvision-export.py writes it and needs PyTorch, torchvision and onnx (npm run verify:torchvision says how)',
    };
  return { source, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const ORT_BATCH = 64;

window.runBench = async (argv: string[]) => {
  const plan = parseBenchArgs(argv);
  const t0 = performance.now();
  const engine = await createEngine();
  try {
    log(`adapter: ${JSON.stringify(engine.adapter)}; timestamp-query: ${engine.hasTimestamps}`);
    log(`cross-origin isolated: ${self.crossOriginIsolated}; hardwareConcurrency ${navigator.hardwareConcurrency}`);
    // the adapter's ceiling: the better of two runs (start and end), which a shared CPU can slow down
    const ceilings: Ceiling[] = [await measureCeiling(engine, 'chromium')];
    log(ceilingLine(ceilings[0]!));
    const out: Out = { models: [], figures: [], profiles: [], tf: [], tfBackends: [], ort: [] };
    const names = [...new Set([...plan.rows.map((r) => r.model), ...plan.peerModels])] as ZooName[];
    for (const name of names) await runModel(engine, name, plan, ceilings[0]!.gflops, out);
    for (const target of plan.ort) {
      const { source, bytes } = await ortBytes(target);
      out.ort.push(await ortRow(engine, target, source, bytes, { batch: ORT_BATCH, reps: plan.ortReps, log }));
    }
    ceilings.push(await measureCeiling(engine, 'chromium'));
    log(`again: ${ceilingLine(ceilings[1]!)}`);
    const ceiling = Math.max(...ceilings.map((c) => c.gflops));
    for (const f of out.figures) f.ofCeiling = round(f.gflops / ceiling, 3);
    peerFractions(out, ceiling);
    const date = new Date().toISOString();
    const json = {
      runtime: 'chrome',
      userAgent: navigator.userAgent,
      crossOriginIsolated: self.crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
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
      ceiling: {
        runtime: 'chromium',
        what: `${CEILING_WHAT}; measured in this page before and after the grid, gflops = the better run; every ofCeiling = that figure's GFLOP/s / this`,
        gflops: ceiling,
        runs: ceilings,
      },
      flopsFormula: FLOPS_FORMULA,
      plan,
      models: out.models,
      figures: out.figures,
      idgiOverhead: idgiOverheads(out.figures as unknown as MethodFigure[]),
      gradientCosts: gradientCosts(out.figures as unknown as MethodFigure[]),
      profiles: out.profiles,
      profilesNote: `one profiled IG call per model after its timed calls: the TF.js peers' first cell (IG-${plan.peerSteps[0]}, ${PEER_RULE} rule) where the model has one, else its largest IG cell of the grid; profiling puts every dispatch in its own compute pass, so wallMs is above the unprofiled ms`,
      peer: {
        what: `TF.js (webgpu, wasm, cpu backends; NHWC): the same folded network and IG (same quadrature points/weights, same points per gradient call), tf.grad of the target logit, in this page; ratio = tfMs / pathlightMs (> 1: pathlight faster); agrees = relL2 ≤ ${AGREEMENT_REL_L2}; a row with error instead of tfMs is void`,
        backends: out.tfBackends,
        rows: out.tf,
      },
      ort: {
        what: `onnxruntime-web (webgpu and wasm execution providers) beside pathlight's predict (onnxPredictor) on the same .onnx bytes, batch ${ORT_BATCH}, output read back in both; ratio = ortMs / pathlightMs (> 1: pathlight faster); agrees = maxRelDiff ≤ ${ORT_AGREEMENT}; a provider or target with error is void`,
        ...(plan.ort.length ? ortInfo() : {}),
        rows: out.ort,
      },
      totalMs: round(performance.now() - t0, 0),
    };
    const caption = `${[engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description].filter(Boolean).join(' ')} · headless Chromium · median of ${plan.rows[0]?.reps ?? 5} calls · ${date.slice(0, 10)} · stepless methods (grad, smoothgrad-grad) not plotted`;
    return { json, svg: stepsPlot(out.figures, caption) };
  } finally {
    engine.dispose();
  }
};
