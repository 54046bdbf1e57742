/**
 * explain(): validate every option once (`settings`), set up the GPU context (inputs, baselines,
 * targets), run the method (wrapped in SmoothGrad when asked, smoothgrad.ts), and read back once:
 * the attribution, plus one packed diagnostics buffer (targets, f(x), f(start), dropped Δf).
 * Nothing is read back inside a path loop.
 */
import type { Engine } from '../gpu/engine.js';
import { fail, PathlightError, shapeStr, checkPositiveInt } from '../errors.js';
import { Model } from '../nn/model.js';
import { Tensor, assertFinite, sizeOf } from '../tensor/tensor.js';
import type { ExplainedOutput } from './explain-seed.js';
import { straightPathPoints } from './path-points.js';
import { gaussianBlurUniform } from '../ops/gaussian-blur.js';
import { makeBaseline, type BaselineSpec, type BlurFn } from './baselines.js';
import type { ExplainContext } from './context.js';
import { evaluateValues } from './evaluate.js';
import { getMethod } from './methods.js';
import { modelSubject } from './model-subject.js';
import { INTEGRATION_RULES, type IntegrationRule } from './quadrature.js';
import { smoothGradSettings, withSmoothGrad, type SmoothGradOptions } from './smoothgrad.js';
import { isExplainable, type Explainable } from './subject.js';

export type { SmoothGradOptions } from './smoothgrad.js';

export interface ExplainOptions {
  method: string;
  /** path steps (per method default when omitted) */
  steps?: number;
  /** IG integration rule (default 'trapezoid', whose weights sum to exactly 1) */
  rule?: IntegrationRule;
  baseline?: BaselineSpec;
  /** class index (one for all images or one per image), or 'auto' = top-1 of f(x) (default) */
  target?: number | readonly number[] | 'auto';
  /** explain the target logit (default) or its softmax probability */
  output?: ExplainedOutput;
  /** wrap the method in SmoothGrad */
  smoothgrad?: SmoothGradOptions | boolean;
  /** GPU memory for path points in flight (default 64 MiB); bounds peak memory for any step count */
  memoryBudgetBytes?: number;
  seed?: number;
  /** method-specific options (Guided IG's fraction and maxDist, Blur IG's maxSigma, IG2's references...) */
  methodOptions?: Record<string, unknown>;
  /** Gaussian blur for the 'blur' baseline (default: the GPU Gaussian-blur op) */
  blur?: BlurFn;
}

export interface ImageExplanation {
  /** the explained class (−1: a function without classes explained its own f) */
  target: number;
  /** f(x) */
  fx: number;
  /** f at the start of the path: the baseline, or IG2's mean counterfactual */
  fStart: number;
  /** Σ attribution */
  sum: number;
  /** |Σ attr − (f(x) − f(start))| / |f(x) − f(start)| (absolute when the denominator is 0) */
  completenessError: number;
  /** Δf of steps skipped for a zero gradient (IDGI) */
  droppedDelta: number;
}

export interface Explanation {
  method: string;
  steps: number;
  /** [N, ...inputShape] like the input */
  shape: number[];
  attribution: Float32Array;
  images: ImageExplanation[];
  /** rows (path points × inputs) sent through f and ∇f */
  gradientEvaluations: number;
  forwardEvaluations: number;
  /** does the method promise completeness? */
  complete: boolean;
  timeMs: number;
}

export type InputSpec = Float32Array | Tensor;

const DEFAULT_BUDGET = 64 << 20;

/** What explain() explains: a pathlight Model, or a function from gpuFunction() / cpuFunction(). */
export type ExplainSubject = Model | Explainable;

export async function explain(engine: Engine, what: ExplainSubject, input: InputSpec, options: ExplainOptions): Promise<Explanation> {
  const t0 = performance.now();
  if (typeof options !== 'object' || options === null) fail('explain: options are required, at least { method }');
  if (what instanceof Model && !engine.preparing && !prepared(what, options)) await prepareExplain(engine, what, options);
  const subject = what instanceof Model ? modelSubject(what) : isExplainable(what) ? what : fail('explain: explain a Model, a gpuFunction(...) or a cpuFunction(...)');
  const s = settings(subject, options, input);
  const x = input instanceof Tensor ? input.reshape(s.shape) : Tensor.from(engine, input, s.shape, { label: 'input' });
  const n = s.shape[0]!;
  const owned: Tensor[] = [x];
  const own = <T extends Tensor | undefined>(t: T): T => (t && owned.push(t), t);
  try {
    const baseline = own(makeBaseline(engine, options.baseline ?? 'black', x, s.seed + 1, options.blur ?? gaussianBlurUniform));
    const targets = own(await resolveTargets(engine, subject, x, s.targets));
    const ctx: ExplainContext = { engine, subject, x, baseline, targets, targetList: s.targets, output: s.output, maxRows: subject.rowsForBudget(s.budget), stats: { gradientEvaluations: 0, forwardEvaluations: 0 } };
    const result = await s.method.run(ctx, s.methodOptions);
    [result.attribution, result.dropped, result.fStart].forEach(own);
    // f(x) and f(x') for every image: rows 2i = x', 2i + 1 = x.
    const fEnds = own(await evaluateValues(ctx, own(straightPathPoints(x, baseline, [0, 1])), 2));
    const diagnostics = own(packDiagnostics(engine, [targets, fEnds, result.fStart ?? null, result.dropped ?? null], n));
    const attribution = await result.attribution.download();
    const diag = await diagnostics.download();
    return summarise(options.method, s.methodOptions.steps, s.shape, attribution, diag, !!result.fStart, ctx, s.method.complete, t0);
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
    engine.trim(s.budget); // free pooled memory above the budget goes back to the device
  }
}

/** What a model has compiled for: method and the options that choose kernels (not sizes: those are uniforms). */
const preparedFor = new WeakMap<Model, Set<string>>();
const kernelChoice = (o: ExplainOptions) =>
  JSON.stringify([o.method, o.output ?? 'logit', typeof o.baseline === 'string' ? o.baseline : !!o.baseline, !!o.smoothgrad, o.rule ?? 'trapezoid']);
function prepared(model: Model, options: ExplainOptions): boolean {
  return preparedFor.get(model)?.has(kernelChoice(options)) ?? false;
}

/**
 * Compile every pipeline `explain(engine, model, ·, options)` needs, asynchronously and all started
 * together, reporting `onProgress(done, total)` ("compiling kernels k/n"). explain() does this by
 * itself on its first call of a kind; a page calls it to compile ahead. Pipelines do not bake batch
 * sizes or step counts, so any later batch or step count compiles nothing.
 */
export async function prepareExplain(engine: Engine, model: Model, options: ExplainOptions & { onProgress?: (done: number, total: number) => void }): Promise<{ pipelines: number }> {
  const set = preparedFor.get(model) ?? new Set<string>();
  if (set.has(kernelChoice(options))) return { pipelines: 0 };
  preparedFor.set(model, set.add(kernelChoice(options)));
  const { onProgress, ...rest } = options;
  const sample = new Float32Array(sizeOf(model.info.inputShape));
  return engine.prepare(() => explain(engine, model, sample, rest), onProgress);
}

/** explain()'s options, each validated here once, before any GPU work: what the run and the method read. */
function settings(subject: Explainable, options: ExplainOptions, input: InputSpec) {
  const base = getMethod(options.method);
  const steps = options.steps ?? base.defaultSteps;
  checkPositiveInt(options.method, 'steps', steps);
  const rule = options.rule ?? 'trapezoid';
  if (!INTEGRATION_RULES.includes(rule)) fail(`unknown rule '${rule}' (use ${INTEGRATION_RULES.join(', ')})`);
  const output = options.output ?? 'logit';
  if (output !== 'logit' && output !== 'prob') fail(`output must be 'logit' or 'prob', got '${String(output)}'`);
  const seed = options.seed ?? 0;
  const budget = options.memoryBudgetBytes ?? DEFAULT_BUDGET;
  if (!(budget > 0)) fail(`memoryBudgetBytes must be positive, got ${budget}`);
  const list = targetList(subject, options.target ?? 'auto');
  const sg = smoothGradSettings(options.smoothgrad);
  const shape = inputShape(subject, input);
  const n = shape[0]!;
  if (list && list.length !== 1 && list.length !== n) fail(`target: ${list.length} class indices for ${n} inputs`);
  const targets = list && (list.length === n ? list : new Array<number>(n).fill(list[0]!)); // one per input, or null: 'auto'
  const method = sg ? withSmoothGrad(base, sg, input) : base; // SmoothGrad wraps the method when asked
  return { method, methodOptions: { ...(options.methodOptions ?? {}), steps, rule, seed }, shape, targets, output, seed, budget };
}

/**
 * The input's shape [N, ...inputShape]: a Tensor of that shape (or one input's shape), or a flat
 * Float32Array (finite) whose length is a whole multiple of one input's size.
 */
function inputShape(subject: Explainable, input: InputSpec): number[] {
  const shape = subject.inputShape;
  const per = sizeOf(shape);
  if (input instanceof Tensor) {
    const batched = input.rank === shape.length + 1 && shape.every((d, i) => input.shape[i + 1] === d) && input.shape[0]! > 0;
    const single = input.rank === shape.length && shape.every((d, i) => input.shape[i] === d);
    if (!batched && !single) fail(`input has shape ${shapeStr(input.shape)}, expected ${shapeStr(['N' as unknown as number, ...shape])} for ${subject.name}`);
    return single ? [1, ...shape] : [...input.shape];
  }
  if (!(input instanceof Float32Array)) fail('input must be a Float32Array or a Tensor');
  if (input.length === 0 || input.length % per !== 0) fail(`input has ${input.length} values, not a whole number of inputs of shape ${shapeStr(shape)} (${per} values) for ${subject.name}`);
  assertFinite(input, 'input');
  return [input.length / per, ...shape];
}

/** Explicit targets as a list (one for all inputs, or one per input), checked against the classes; null for 'auto'. */
function targetList(subject: Explainable, target: number | readonly number[] | 'auto'): number[] | null {
  if (target === 'auto') return null;
  const list = typeof target === 'number' ? [target] : Array.isArray(target) ? [...(target as readonly number[])] : fail(`target must be a class index, a list of them or 'auto', got ${String(target)}`);
  const k = subject.numClasses;
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (k !== null && v >= k)) {
      fail(`target class ${String(v)} for input ${i} is out of range: ${subject.name} has ${k === null ? 'non-negative class indices' : `classes 0..${k - 1}`}`);
    }
  });
  return list;
}

/** [N] targets on the GPU: the given ones, or 'auto' = top-1 (decided on the GPU; 0 for a subject without classes). */
async function resolveTargets(engine: Engine, subject: Explainable, x: Tensor, list: readonly number[] | null): Promise<Tensor> {
  if (list) return Tensor.from(engine, list, [list.length], { label: 'targets' });
  return (await subject.topClasses(x)) ?? Tensor.zeros(engine, [x.shape[0]!], 'targets');
}

/** One [4, N] buffer (targets, f at path ends, f at the method's own start, dropped): a single readback. */
function packDiagnostics(engine: Engine, parts: (Tensor | null)[], n: number): Tensor {
  const out = Tensor.zeros(engine, [parts.length + 1, n], 'diagnostics');
  const [targets, fEnds, fStart, dropped] = parts;
  engine.copy(targets!.buffer, 0, out.buffer, 0, 4 * n);
  engine.copy(fEnds!.buffer, 0, out.buffer, 4 * n, 8 * n); // interleaved x'_i, x_i
  if (fStart) engine.copy(fStart.buffer, 0, out.buffer, 12 * n, 4 * n);
  if (dropped) engine.copy(dropped.buffer, 0, out.buffer, 16 * n, 4 * n);
  return out;
}

function summarise(methodName: string, steps: number, shape: readonly number[], attribution: Float32Array, diag: Float32Array, hasStart: boolean, ctx: ExplainContext, complete: boolean, t0: number): Explanation {
  const noTarget = ctx.targetList === null && ctx.subject.numClasses === null;
  const n = shape[0]!;
  const per = attribution.length / n;
  const images: ImageExplanation[] = [];
  for (let i = 0; i < n; i++) {
    const fBase = diag[n + 2 * i]!;
    const fx = diag[n + 2 * i + 1]!;
    if (!Number.isFinite(fx)) throw new PathlightError(`f(x) of input ${i} is ${fx}: the input or ${ctx.subject.name} produces non-finite values`);
    const fStart = hasStart ? diag[3 * n + i]! : fBase;
    let sum = 0;
    for (let j = i * per; j < (i + 1) * per; j++) sum += attribution[j]!;
    const gap = fx - fStart;
    images.push({
      target: noTarget ? -1 : diag[i]!,
      fx,
      fStart,
      sum,
      completenessError: Math.abs(sum - gap) / (Math.abs(gap) > 1e-12 ? Math.abs(gap) : 1),
      droppedDelta: diag[4 * n + i]!,
    });
  }
  return {
    method: methodName,
    steps,
    shape: [...shape],
    attribution,
    images,
    gradientEvaluations: ctx.stats.gradientEvaluations,
    forwardEvaluations: ctx.stats.forwardEvaluations,
    complete,
    timeMs: performance.now() - t0,
  };
}
