/**
 * Path-method throughput: ms per attribution of one image through `explain()`, gradient
 * evaluations per second, and IDGI's overhead over its base path at equal steps, per zoo model
 * (random weights: timing does not depend on them), method and step count. Runs unchanged in Node
 * (methods-node.ts) and in a page (methods-page.ts). Each (model, method) starts on a fresh engine:
 * its first call is the cold start (`coldMs`: pipeline compiles, buffer pool, one attribution);
 * each cell then has one warm-up call (`firstCallMs`) and the median of `reps` timed calls.
 */
import type { Engine } from '../src/gpu/engine.js';
import { PathlightError } from '../src/errors.js';
import { explain, type ExplainOptions } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import { isZooName, ZOO_NAMES } from '../src/models/zoo.js';
import type { Model } from '../src/nn/model.js';
import { modelSubject } from '../src/attribution/model-subject.js';
import { runIdgiInterleaved, type IdgiSummary } from './methods-ab.js';

/** Benchmark method names → explain() options; grad and SmoothGrad ignore `steps` (timed once, steps 1). */
export const METHODS: Readonly<
  Record<string, { stepless?: boolean; options: (model: Model) => Omit<ExplainOptions, 'steps'> }>
> = {
  grad: { stepless: true, options: () => ({ method: 'grad' }) },
  ig: { options: () => ({ method: 'ig' }) },
  // IG with one path point per chunk: `steps` batch-1 forward + backward passes in sequence, the floor
  // of Guided IG, whose steps are sequential for one image (#24 compares it per gradient evaluation)
  'ig-b1': { options: (model) => ({ method: 'ig', memoryBudgetBytes: modelSubject(model).bytesPerRow }) },
  idgi: { options: () => ({ method: 'idgi' }) },
  gig: { options: () => ({ method: 'gig' }) },
  'gig-idgi': { options: () => ({ method: 'gig-idgi' }) },
  blurig: { options: () => ({ method: 'blurig' }) },
  'blurig-idgi': { options: () => ({ method: 'blurig-idgi' }) },
  ig2: { options: (model) => ({ method: 'ig2', methodOptions: { references: syntheticImages(model, 2, 11) } }) },
  'smoothgrad-grad': { stepless: true, options: () => ({ method: 'grad', smoothgrad: { samples: 8 } }) },
};

export const ALL_STEPS = [32, 64, 128, 256];

/** Interleaved IDGI / base rounds per cell: 7 gives the median's order-statistic interval [min, max] 98 % coverage. */
export const AB_REPS = 7;

/** [idgi variant, its base method]: overhead = ms(variant) / ms(base) − 1 at equal model and steps. */
export const IDGI_PAIRS: [string, string][] = [
  ['idgi', 'ig'],
  ['gig-idgi', 'gig'],
  ['blurig-idgi', 'blurig'],
];

export interface GridRow {
  model: string;
  methods: string[];
  steps: number[];
  reps: number;
}

/**
 * The default grid, sized for ~5–8 minutes of Node + Chrome on SwiftShader (2 shared cores, where
 * LeNet IG-32 takes ~0.6 s and ResNet IG-64 ~10 s per call): LeNet every method at 32, 64 and
 * 128 steps, IG / IDGI also at 256, ResNet IG / IDGI at 32 and 64. The full grid:
 * `--models lenet,vgg,resnet,mobilenet --steps 32,64,128,256` (hours on SwiftShader).
 */
export const DEFAULT_GRID: GridRow[] = [
  { model: 'lenet', methods: Object.keys(METHODS), steps: [32, 64, 128], reps: 1 },
  { model: 'lenet', methods: ['ig', 'idgi'], steps: [256], reps: 1 },
  { model: 'resnet', methods: ['ig', 'idgi'], steps: [32, 64], reps: 1 },
];

export interface GridArgs {
  models?: string[];
  methods?: string[];
  steps?: number[];
  reps?: number;
  /** interleaved IDGI / base rounds per cell (`--ab-reps`, at least 5) */
  abReps?: number;
  /** `--layer-ig [LAYER]`: the input IG vs layer IG pair on ResNet-S (LAYER_IG_PAIR), instead of the grid */
  layerIg?: string;
}

/**
 * Input IG vs layer IG on ResNet-S at a tappable value (the second residual block's output), at equal
 * steps, for issue #25's acceptance: layer IG costs ≤ 1.3× input IG and compiles no pipeline at the
 * second step count (its recorded forward/backward is replayed for any steps).
 */
export const LAYER_IG_PAIR = { model: 'resnet', layer: 'layer1.1.add', steps: [16, 64], rounds: 5 } as const;

export interface LayerIgFigure {
  model: string;
  layer: string;
  steps: number;
  /** medians over the interleaved rounds */
  inputMs: number;
  layerMs: number;
  /** median over rounds of layerMs / inputMs within the round (the pair ran back to back, order alternating) */
  ratio: number;
  roundRatios: number[];
  /** pipelines the warm-up call at this step count compiled: 0 after the first step count means none per step count */
  pipelines: { input: number; layer: number };
}

/**
 * `--models a,b --methods x,y --steps 32,64 --reps 3 --ab-reps 7`; anything given replaces the default grid's
 * entry. `--full`: every zoo model, every method, 32/64/128/256 steps (about an hour per runtime on
 * SwiftShader).
 */
export function parseGridArgs(argv: readonly string[]): GridArgs {
  const args: GridArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--full') {
      // the whole grid of issue #4: every zoo model × method × 32–256 steps
      args.models ??= [...ZOO_NAMES];
      args.steps ??= ALL_STEPS;
      args.methods ??= Object.keys(METHODS);
      continue;
    }
    const value = argv[i + 1];
    if (flag === '--layer-ig') {
      const named = value !== undefined && !value.startsWith('--');
      args.layerIg = named ? value : LAYER_IG_PAIR.layer;
      if (named) i++;
      continue;
    }
    if (!flag.startsWith('--')) throw new PathlightError(`bench:methods: unexpected argument '${flag}'`);
    if (value === undefined || value.startsWith('--')) throw new PathlightError(`bench:methods: ${flag} needs a value`);
    const list = value.split(',').filter((s) => s.length > 0);
    const ints = () =>
      list.map((s) => {
        const n = Number(s);
        if (!Number.isInteger(n) || n < 1)
          throw new PathlightError(`bench:methods: ${flag} takes positive integers, got '${s}'`);
        return n;
      });
    if (flag === '--models') args.models = list;
    else if (flag === '--methods') args.methods = list;
    else if (flag === '--steps') args.steps = ints();
    else if (flag === '--reps') args.reps = ints()[0]!;
    else if (flag === '--ab-reps') {
      args.abReps = ints()[0]!;
      if (args.abReps < 5)
        throw new PathlightError(`bench:methods: --ab-reps needs at least 5 rounds, got ${args.abReps}`);
    } else if (flag !== '--runtimes')
      throw new PathlightError(
        `bench:methods: unknown option ${flag} (use --models, --methods, --steps, --reps, --ab-reps, --runtimes, --layer-ig)`,
      );
    i++;
  }
  return args;
}

/** The grid to run: the default, or the cross product of what was asked (defaults filling the gaps); none for `--layer-ig` alone. */
export function resolveGrid(args: GridArgs): GridRow[] {
  if (args.layerIg !== undefined && !args.models && !args.methods) return [];
  for (const m of args.models ?? [])
    if (!isZooName(m)) throw new PathlightError(`bench:methods: unknown model '${m}' (zoo: ${ZOO_NAMES.join(', ')})`);
  for (const m of args.methods ?? [])
    if (!(m in METHODS))
      throw new PathlightError(`bench:methods: unknown method '${m}' (use ${Object.keys(METHODS).join(', ')})`);
  if (!args.models && !args.methods && !args.steps)
    return DEFAULT_GRID.map((row) => ({ ...row, reps: args.reps ?? row.reps }));
  const models = args.models ?? [...new Set(DEFAULT_GRID.map((r) => r.model))];
  return models.map((model) => {
    const fallback = DEFAULT_GRID.find((r) => r.model === model);
    return {
      model,
      methods: args.methods ?? fallback?.methods ?? Object.keys(METHODS),
      steps: args.steps ?? fallback?.steps ?? ALL_STEPS,
      reps: args.reps ?? fallback?.reps ?? 1,
    };
  });
}

export interface MethodFigure {
  model: string;
  method: string;
  /** 1 for the stepless methods (grad, SmoothGrad) */
  steps: number;
  /** the warm-up call: pipeline compilation + buffer pool + one attribution */
  firstCallMs: number;
  /** first call of this method on a fresh engine (the first step count of each model × method only) */
  coldMs?: number;
  /** pipelines that cold call compiled */
  coldPipelines?: number;
  /** median wall time per attribution of one image (explain() call incl. its single readback) */
  ms: number;
  /** every timed sample, in order */
  samplesMs: number[];
  gradientEvaluations: number;
  forwardEvaluations: number;
  gradEvalsPerSec: number;
  /** readbacks per explain() call (2: attribution + diagnostics; SmoothGrad of a Tensor input adds one) */
  readbacksPerCall: number;
  /** process CPU ms per call (Node only): SwiftShader runs in this process */
  cpuMs?: number;
}

export interface IdgiOverhead {
  model: string;
  steps: number;
  idgi: string;
  base: string;
  /** 100 · (ms(idgi) / ms(base) − 1) */
  percent: number;
}

export interface MethodBench {
  adapter: Engine['adapter'];
  weights: string;
  note: string;
  grid: GridRow[];
  figures: MethodFigure[];
  /** from the separate medians of the figures */
  idgiOverhead: IdgiOverhead[];
  /** Guided IG, Blur IG and IG2 per gradient evaluation against IG (and Guided IG against batch-1 IG) */
  gradientCosts: GradientCost[];
  /** interleaved A/B/A/B rounds per cell, median with its 95 % interval (methods-ab.ts): the figure to quote */
  idgiInterleaved: IdgiSummary;
  /** `--layer-ig`: input IG vs layer IG, per step count */
  layerIg?: LayerIgFigure[];
}

export interface MethodBenchOptions {
  grid?: GridRow[];
  log?: (line: string) => void;
  /** process CPU time in ms, where the runtime can tell (Node: process.cpuUsage) */
  cpuTime?: () => number;
  /** interleaved IDGI / base rounds per cell (default AB_REPS) */
  abReps?: number;
  /** run the input IG vs layer IG pair at this layer (LAYER_IG_PAIR), at `steps` (default its 16 and 64) */
  layerIg?: { layer: string; steps?: number[]; rounds?: number };
}

/** Deterministic images in [0, 1) for the model's input shape (seeded LCG). */
export function syntheticImages(model: Model, count: number, seed: number): Float32Array {
  const out = new Float32Array(count * model.info.inputShape.reduce((a, b) => a * b, 1));
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
const round = (x: number, digits: number) => +x.toFixed(digits);

/** The timing part of a figure: median of the timed calls, gradient evaluations per second. */
export function timingFigure(
  model: string,
  method: string,
  steps: number,
  firstCallMs: number,
  samplesMs: readonly number[],
  last: { gradientEvaluations: number; forwardEvaluations: number },
  readbacksPerCall: number,
): MethodFigure {
  const ms = median(samplesMs);
  return {
    model,
    method,
    steps,
    firstCallMs: round(firstCallMs, 1),
    ms: round(ms, 2),
    samplesMs: samplesMs.map((x) => round(x, 2)),
    gradientEvaluations: last.gradientEvaluations,
    forwardEvaluations: last.forwardEvaluations,
    gradEvalsPerSec: round(last.gradientEvaluations / (ms / 1000), 1),
    readbacksPerCall,
  };
}

export async function runMethodBench(
  newEngine: () => Promise<Engine>,
  opts: MethodBenchOptions = {},
): Promise<MethodBench> {
  const grid = opts.grid ?? DEFAULT_GRID;
  const log = opts.log ?? (() => {});
  let adapter: Engine['adapter'] | null = null;
  const figures: MethodFigure[] = [];
  for (const row of grid) {
    for (const method of row.methods) {
      // a fresh engine per model × method: its first call is a cold start
      const engine = await newEngine();
      if (!adapter) log(`adapter: ${JSON.stringify((adapter = engine.adapter))}`);
      const model = createZooModel(engine, row.model, { foldBatchNorm: true });
      const image = syntheticImages(model, 1, 1);
      try {
        const spec = METHODS[method]!;
        const options = spec.options(model);
        let cold = true;
        for (const steps of spec.stepless ? [1] : row.steps) {
          const call = () => explain(engine, model, image, { ...options, steps });
          const pipelines0 = engine.stats.pipelines;
          const tFirst = performance.now();
          await call();
          const firstCallMs = performance.now() - tFirst;
          const coldPipelines = engine.stats.pipelines - pipelines0;
          const samplesMs: number[] = [];
          const readbacks0 = engine.stats.readbacks;
          const cpu0 = opts.cpuTime?.();
          let last = null as Awaited<ReturnType<typeof call>> | null;
          for (let r = 0; r < row.reps; r++) {
            const t0 = performance.now();
            last = await call();
            samplesMs.push(performance.now() - t0);
          }
          const f: MethodFigure = timingFigure(
            row.model,
            method,
            steps,
            firstCallMs,
            samplesMs,
            last!,
            (engine.stats.readbacks - readbacks0) / row.reps,
          );
          if (cold) Object.assign(f, { coldMs: f.firstCallMs, coldPipelines });
          cold = false;
          if (opts.cpuTime && cpu0 !== undefined) f.cpuMs = round((opts.cpuTime() - cpu0) / row.reps, 1);
          figures.push(f);
          const cpu = f.cpuMs === undefined ? '' : ` | cpu ${f.cpuMs.toFixed(0).padStart(7)} ms`;
          const first =
            f.coldMs === undefined
              ? `first ${f.firstCallMs.toFixed(0).padStart(7)} ms`
              : `cold  ${f.coldMs.toFixed(0).padStart(7)} ms (${coldPipelines} pipelines)`;
          log(
            `${row.model.padEnd(9)} ${method.padEnd(15)} ${String(steps).padStart(4)} steps ${f.ms.toFixed(1).padStart(9)} ms ${f.gradEvalsPerSec.toFixed(0).padStart(7)} grad/s  ${first}${cpu}`,
          );
        }
      } finally {
        model.dispose();
        engine.dispose();
      }
    }
  }
  const abReps = opts.abReps ?? AB_REPS;
  const idgiInterleaved = await runIdgiInterleaved(
    newEngine,
    grid,
    IDGI_PAIRS,
    METHODS,
    (model) => syntheticImages(model, 1, 1),
    abReps,
    log,
  );
  if (idgiInterleaved.cells.length)
    log(`IDGI overhead, median over ${idgiInterleaved.cells.length} cells: ${idgiInterleaved.medianPercent} %`);
  let layerIg: LayerIgFigure[] | undefined;
  if (opts.layerIg) {
    const engine = await newEngine();
    adapter ??= engine.adapter;
    if (!grid.length) log(`adapter: ${JSON.stringify(adapter)}`);
    try {
      layerIg = await runLayerIgPair(engine, opts.layerIg, log);
    } finally {
      engine.dispose();
    }
  }
  return {
    ...(layerIg ? { layerIg } : {}),
    adapter: adapter!,
    weights: 'random (createZooModel, seed 1, BatchNorm folded): timing does not depend on the weight values',
    note: 'wall time per explain() call, median of the timed calls after one warm-up call; coldMs: the first call of a model × method on a fresh engine (pipeline compiles included); on a CPU adapter (SwiftShader) anything else running on the machine slows it, and single calls swing by tens of %; cpuMs (Node) is the steadier cross-check',
    grid,
    figures,
    idgiOverhead: idgiOverheads(figures),
    gradientCosts: gradientCosts(figures),
    idgiInterleaved,
  };
}

/** [method, the method it is measured against]: cost per gradient evaluation, ratio = method / reference. */
export const COST_PAIRS: [string, string][] = [
  ['gig', 'ig-b1'],
  ['gig', 'ig'],
  ['blurig', 'ig'],
  ['ig2', 'ig'],
];

export interface GradientCost {
  model: string;
  steps: number;
  method: string;
  reference: string;
  /** (ms / gradientEvaluations) of method over that of reference, same model and steps (> 1: dearer) */
  ratio: number;
}

/** Each COST_PAIRS method's wall time per gradient evaluation over its reference's, per model and step count. */
export function gradientCosts(figures: readonly MethodFigure[]): GradientCost[] {
  const perGradient = (f: MethodFigure) => f.ms / f.gradientEvaluations;
  const out: GradientCost[] = [];
  for (const [method, reference] of COST_PAIRS)
    for (const f of figures.filter((g) => g.method === method)) {
      const ref = figures.find((g) => g.model === f.model && g.steps === f.steps && g.method === reference);
      if (ref)
        out.push({
          model: f.model,
          steps: f.steps,
          method,
          reference,
          ratio: round(perGradient(f) / perGradient(ref), 3),
        });
    }
  return out;
}

export function idgiOverheads(figures: readonly MethodFigure[]): IdgiOverhead[] {
  const out: IdgiOverhead[] = [];
  for (const f of figures) {
    const pair = IDGI_PAIRS.find(([idgi]) => idgi === f.method);
    if (!pair) continue;
    const base = figures.find((g) => g.model === f.model && g.steps === f.steps && g.method === pair[1]);
    if (base)
      out.push({
        model: f.model,
        steps: f.steps,
        idgi: f.method,
        base: base.method,
        percent: round(100 * (f.ms / base.ms - 1), 1),
      });
  }
  return out;
}

/**
 * Input IG and layer IG of one image on one engine, at each step count: a warm-up call of each (its
 * compiled pipelines counted), then `rounds` rounds of both back to back, the order alternating so
 * drift on a loaded machine falls on both alike.
 */
async function runLayerIgPair(
  engine: Engine,
  pair: { layer: string; steps?: number[]; rounds?: number },
  log: (line: string) => void,
): Promise<LayerIgFigure[]> {
  const { model: name } = LAYER_IG_PAIR;
  const { layer, steps: stepList = [...LAYER_IG_PAIR.steps], rounds = LAYER_IG_PAIR.rounds } = pair;
  const model = createZooModel(engine, name, { foldBatchNorm: true });
  try {
    const found = model.layers().find((l) => l.name === layer);
    if (!found?.tappable)
      throw new PathlightError(
        `bench:methods --layer-ig: ${name} has no tappable layer '${layer}' (pathlight layers --model ${name})`,
      );
    const image = syntheticImages(model, 1, 1);
    const out: LayerIgFigure[] = [];
    for (const steps of stepList) {
      const input = () => explain(engine, model, image, { method: 'ig', steps });
      const onLayer = () => explain(engine, model, image, { method: 'layer-ig', layer, steps });
      const compiled = async (call: () => Promise<unknown>) => {
        const p0 = engine.stats.pipelines;
        await call();
        return engine.stats.pipelines - p0;
      };
      const pipelines = { input: await compiled(input), layer: await compiled(onLayer) };
      const timed = async (call: () => Promise<unknown>) => {
        const t0 = performance.now();
        await call();
        return performance.now() - t0;
      };
      const inputMs: number[] = [];
      const layerMs: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const layerFirst = r % 2 === 1;
        if (layerFirst) layerMs.push(await timed(onLayer));
        inputMs.push(await timed(input));
        if (!layerFirst) layerMs.push(await timed(onLayer));
      }
      const roundRatios = layerMs.map((ms, r) => round(ms / inputMs[r]!, 3));
      const f: LayerIgFigure = {
        model: name,
        layer,
        steps,
        inputMs: round(median(inputMs), 2),
        layerMs: round(median(layerMs), 2),
        ratio: round(median(roundRatios), 3),
        roundRatios,
        pipelines,
      };
      out.push(f);
      log(
        `${name.padEnd(9)} ig vs layer-ig @ ${layer} ${String(steps).padStart(4)} steps ${f.inputMs.toFixed(1).padStart(9)} ms vs ${f.layerMs.toFixed(1).padStart(9)} ms: ×${f.ratio.toFixed(2)} (pipelines compiled ${pipelines.input} + ${pipelines.layer})`,
      );
    }
    return out;
  } finally {
    model.dispose();
  }
}
