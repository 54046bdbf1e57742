/**
 * explain(): validate every option once (`settings`), set up the GPU context (inputs, baselines,
 * targets), run the method (wrapped in SmoothGrad when asked, smoothgrad.ts), and read back once:
 * the attribution, plus one packed diagnostics buffer (targets, f(x), f(start), dropped Δf).
 * Nothing is read back inside a path loop.
 */
import type { Engine } from '../gpu/engine.js';
import { ReplayCache } from '../tensor/replay-cache.js';
import { fail, shapeStr, checkPositiveInt } from '../errors.js';
import { Model } from '../nn/model.js';
import { Tensor, assertFinite, sizeOf } from '../tensor/tensor.js';
import type { ExplainedOutput } from './kernels/explain-seed.js';
import { straightPathPoints } from './kernels/path-points.js';
import { gaussianBlurUniform } from '../ops/gaussian-blur.js';
import type { BaselineSpec, BlurFn } from './baselines.js';
import { checkBaselineSet, isBaselineSet, makeBaselineSet, type BaselineSet } from './baseline-set.js';
import { fanOut, foldBaselines, type BaselineSensitivity } from './fan-out.js';
import { checkTargets, topTargets, type TargetsSpec } from './targets.js';
import { checkAborted, type ExplainContext } from './context.js';
import { evaluateValues } from './evaluate.js';
import { inImageGroups } from './integrators.js';
import {
  getMethod,
  methodCheck,
  type AttributionCheck,
  type MethodInfo,
  type MethodName,
  type MethodRegistry,
} from './registry.js';
import { modelSubject } from './model-subject.js';
import { INTEGRATION_RULES, type IntegrationRule } from './quadrature.js';
import './methods/core.js';
import { prepareTap, tapSettings } from './layer/tap.js';
import { smoothGradSettings, withSmoothGrad, type SmoothGradOptions } from './methods/smoothgrad.js';
import { asExplainable, type Explainable, type LegacyExplainable } from './subject.js';

export type { SmoothGradOptions } from './methods/smoothgrad.js';

/**
 * explain()'s options; `method` names a registered method (MethodRegistry), `methodOptions` are
 * that method's own. A name known only at run time is a `string` (explain() checks it).
 */
export interface ExplainOptions<M extends string = MethodName> {
  method: M;
  /** path steps (per method default when omitted) */
  steps?: number;
  /** IG integration rule (default 'trapezoid', whose weights sum to exactly 1) */
  rule?: IntegrationRule;
  /** one baseline per input, or a weighted set of them (attributions averaged over it, baseline-set.ts) */
  baseline?: BaselineSpec | BaselineSet;
  /** class index (one for all images or one per image), or 'auto' = top-1 of f(x) (default) */
  target?: number | readonly number[] | 'auto';
  /** several classes per image in one call (T > 1 gives [N, T, ...]): targets.ts */
  targets?: TargetsSpec;
  /** explain the target logit (default) or its softmax probability */
  output?: ExplainedOutput;
  /** wrap the method in SmoothGrad */
  smoothgrad?: SmoothGradOptions | boolean;
  /** GPU memory for path points in flight (default 64 MiB); bounds peak memory for any step count */
  memoryBudgetBytes?: number;
  seed?: number;
  /** the method's own options (Guided IG's fraction and maxDist, Blur IG's maxSigma, IG2's references...), checked by it */
  methodOptions?: M extends MethodName ? MethodRegistry[M] : Record<string, unknown>;
  /** Gaussian blur for the 'blur' baseline (default: the GPU Gaussian-blur op) */
  blur?: BlurFn;
  /** fail when f(x), f(start) or an attribution is non-finite (default true; reads back nothing more) */
  checkFinite?: boolean;
  /** cancels the call between chunks: it rejects with a PathlightError named 'AbortError', buffers freed */
  signal?: AbortSignal;
  /** path points done of total, called as the GPU finishes each chunk or step; a throw (or a rejection) rejects explain() */
  onProgress?: (done: number, total: number) => unknown;
  /** attribute to this layer of the model (Model.layers()): the attribution has the layer's shape (layer/tap.ts) */
  layer?: string;
  /** neuron-ig: explain this unit of a layer in place of a class */
  neuron?: { layer: string; index: readonly number[] };
}

/** A literal method name must be registered (a misspelt one does not compile); a run-time `string` is checked by explain(). */
export type KnownMethod<M extends string> = string extends M
  ? unknown
  : M extends MethodName
    ? unknown
    : { method: MethodName };

/** Every ExplainOptions key: explain() refuses others (a misspelt key is not silently ignored). */
const OPTION_KEYS: { [K in keyof Required<ExplainOptions>]: true } = {
  method: true,
  steps: true,
  rule: true,
  baseline: true,
  target: true,
  targets: true,
  output: true,
  smoothgrad: true,
  memoryBudgetBytes: true,
  seed: true,
  methodOptions: true,
  blur: true,
  checkFinite: true,
  signal: true,
  onProgress: true,
  layer: true,
  neuron: true,
};

export interface ImageExplanation {
  /** the explained class (−1: a function without classes explained its own f) */
  target: number;
  /** f(x) */
  fx: number;
  /** f at the start of the path: the baseline, or IG2's mean counterfactual */
  fStart: number;
  /** Σ attribution */
  sum: number;
  /** |Σ attr − (f(x) − f(start))| / |f(x) − f(start)| (absolute when the denominator is 0), whatever the check */
  completenessError: number;
  /** the method's check (see AttributionCheck) */
  check: AttributionCheck;
  /** completenessError where the check is 'complete' (an error) or 'approximate' (a gap, not an error); null for 'none' */
  gap: number | null;
  /** Δf of steps skipped for a zero gradient (IDGI) */
  droppedDelta: number;
  /** with a baseline set: how the attribution spreads over its baselines */
  baselineSensitivity?: BaselineSensitivity;
  /** with `targets`: each target's explanation (the fields above are the first's) */
  targets?: ImageExplanation[];
}

export interface Explanation {
  method: string;
  steps: number;
  /** [N, ...inputShape] like the input ([N, ...layerShape] for a layer); [N, T, ...] for T > 1 `targets` */
  shape: number[];
  attribution: Float32Array;
  images: ImageExplanation[];
  /** rows (path points × inputs) sent through f and ∇f */
  gradientEvaluations: number;
  forwardEvaluations: number;
  /** does the method promise completeness? (check === 'complete') */
  complete: boolean;
  check: AttributionCheck;
  /** what fStart is f of: 'f(baseline)', 'mean f(counterfactual)' (IG2), 'f(blur(x, maxSigma))' (Blur IG) */
  start: string;
  timeMs: number;
}

/** A flat Float32Array (a whole number of inputs), or values with a shape (a Tensor, a parsed .npy) checked by shape. */
export type InputSpec = Float32Array | Tensor | { data: Float32Array; shape: readonly number[] };

const DEFAULT_BUDGET = 64 << 20;
/** Most path steps explain() takes: the CPU-side weights and positions stay under 3 MB. */
export const MAX_STEPS = 100_000;

/** What explain() explains: a pathlight Model (or loadModel's / modelFromOnnx's { model, notes }), or a function from gpuFunction() / cpuFunction(). */
export type ExplainSubject = Model | { model: Model; notes: readonly string[] } | Explainable | LegacyExplainable;

export async function explain<M extends string>(
  engine: Engine,
  what: ExplainSubject,
  input: InputSpec,
  options: ExplainOptions<M> & KnownMethod<M>,
): Promise<Explanation> {
  const t0 = performance.now();
  if (typeof options !== 'object' || options === null) fail('explain: options are required, at least { method }');
  const o = options as ExplainOptions<string>; // its method name checked by getMethod
  if (typeof what === 'object' && what !== null && 'model' in what && 'notes' in what) what = what.model; // a loader's { model, notes }
  const subject =
    what instanceof Model
      ? modelSubject(what)
      : (asExplainable(what) ??
        fail(
          `explain: explain a Model, a gpuFunction(...) or a cpuFunction(...)${typeof what === 'object' && what !== null && 'model' in what ? " (a loader's result: pass its .model)" : ''}`,
        ));
  for (const [t, name] of [
    [what, `model ${subject.name}`],
    [input, 'the input Tensor'],
    [options.baseline, 'the baseline Tensor'],
  ] as const) {
    if ((t instanceof Model || t instanceof Tensor) && t.engine !== engine)
      fail(
        `explain: ${name} lives on another engine than the one given (made by another createEngine()); load or make it with this engine`,
      );
  }
  const model = what instanceof Model ? what : null;
  const s = settings(subject, o, input, model); // a refused call compiles nothing
  if (s.perImage && 'top' in s.perImage && !model)
    fail("targets: { top } ranks a Model's logits; give this subject the class indices");
  if (model && !engine.isDryRun && !prepared(model, o))
    await prepareExplain(engine, model, { ...o, onProgress: undefined });
  return run(engine, s.subject, input, o, s, t0, model ?? undefined);
}

/** The call itself, its options validated (`s`): inputs, baselines and targets on the GPU, the method, one readback. */
async function run(
  engine: Engine,
  subject: Explainable,
  input: InputSpec,
  options: ExplainOptions<string>,
  s: Settings,
  t0: number,
  model?: Model,
): Promise<Explanation> {
  const x =
    input instanceof Tensor
      ? input.reshape(s.shape)
      : Tensor.from(engine, input instanceof Float32Array ? input : input.data, s.shape, { label: 'input' });
  const progress = checkpoints(engine, options.signal, options.onProgress);
  const owned: Tensor[] = [x];
  const own = <T extends Tensor | undefined>(t: T): T => (t && owned.push(t), t);
  const replays = new ReplayCache(engine);
  try {
    // several targets (T) and baselines (K) per image: rows (i·T + t)·K + k (fan-out.ts)
    const perImage =
      s.perImage && 'top' in s.perImage
        ? await topTargets(x, s.perImage.top, (rows) => model!.logits(rows)) // a Model: explain() checked
        : s.perImage;
    const members = s.set?.members ?? [(options.baseline as BaselineSpec | undefined) ?? 'black'];
    const made = makeBaselineSet(
      engine,
      members,
      x,
      s.seed + 1,
      options.blur ?? gaussianBlurUniform,
      subject.pixelsToInput,
    );
    const auto = () => resolveTargets(engine, subject, x);
    const { rows, t, k } = await fanOut(x, made, perImage ?? s.targets?.map((c) => [c]) ?? null, auto);
    owned.push(...rows.owned);
    const ctx: ExplainContext = {
      engine,
      subject,
      ...rows.context,
      output: s.output,
      maxRows: s.maxRows,
      stats: { gradientEvaluations: 0, forwardEvaluations: 0 },
      checkpoint: progress.checkpoint,
      replays,
      signal: options.signal,
    };
    const result = await s.method.run(ctx, s.methodOptions);
    [result.attribution, result.dropped, result.fStart].forEach(own);
    // f(x) and f(x') for every image (rows 2i = x', 2i + 1 = x), in groups of images that fit the row budget
    const ends = await inImageGroups(ctx, Math.max(1, Math.floor(ctx.maxRows / 2)), async (sub) => {
      const points = straightPathPoints(sub.x, sub.baseline, [0, 1]);
      try {
        return { attribution: await evaluateValues(sub, points, 2) };
      } finally {
        points.dispose();
      }
    });
    const fEnds = own(ends.attribution);
    const diagnostics = own(
      packDiagnostics(engine, [ctx.targets, fEnds, result.fStart ?? null, result.dropped ?? null], ctx.x.shape[0]!),
    );
    const attribution = await result.attribution.download();
    const diag = await diagnostics.download();
    await progress.settled();
    const folded =
      k > 1
        ? foldDiagnostics(attribution, diag, !!result.fStart, s.set!.weights)
        : { attribution, diag, sensitivity: [] };
    const row = result.attribution.shape.slice(1); // the input's shape, or a layer's
    const shape = t > 1 ? [s.shape[0]!, t, ...row] : [s.shape[0]!, ...row];
    const r = summarise(
      options.method,
      s.methodOptions.steps,
      [s.shape[0]! * t, ...row],
      folded.attribution,
      folded.diag,
      !!result.fStart || k > 1,
      ctx,
      s.method,
      t0,
      s.checkFinite,
    );
    r.images.forEach((im, j) => folded.sensitivity[j] && (im.baselineSensitivity = folded.sensitivity[j]));
    if (k > 1 && !s.method.start) r.start = 'Σ w f(baseline)';
    if (!perImage) return r;
    const images = Array.from({ length: s.shape[0]! }, (_, i) => ({
      ...r.images[i * t]!,
      targets: r.images.slice(i * t, (i + 1) * t),
    }));
    return { ...r, shape, images };
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
    replays.dispose();
    engine.trim(s.budget); // free pooled memory above the budget goes back to the device
  }
}

/** What a model has compiled for: method and the options that choose kernels (not sizes: those are uniforms). */
const preparedFor = new WeakMap<Model, Set<string>>();
const kernelChoice = (o: ExplainOptions<string>) =>
  JSON.stringify([
    o.method,
    o.output ?? 'logit',
    typeof o.baseline === 'string' ? o.baseline : !!o.baseline,
    !!o.smoothgrad,
    o.rule ?? 'trapezoid',
    o.layer ?? o.neuron?.layer ?? null,
  ]);
function prepared(model: Model, options: ExplainOptions<string>): boolean {
  return preparedFor.get(model)?.has(kernelChoice(options)) ?? false;
}

/**
 * Compile every pipeline `explain(engine, model, ·, options)` needs, asynchronously and all started
 * together, reporting `onProgress(done, total)` ("compiling kernels k/n"). explain() does this by
 * itself on its first call of a kind; a page calls it to compile ahead. Pipelines do not bake batch
 * sizes or step counts, so any later batch or step count compiles nothing.
 */
export async function prepareExplain<M extends string>(
  engine: Engine,
  model: Model,
  options: ExplainOptions<M> & KnownMethod<M>,
): Promise<{ pipelines: number }> {
  const set = preparedFor.get(model) ?? new Set<string>();
  const { onProgress, ...rest } = options as ExplainOptions<string>;
  if (set.has(kernelChoice(rest))) return { pipelines: 0 };
  const [subject, sample] = [modelSubject(model), new Float32Array(sizeOf(model.info.inputShape))];
  preparedFor.set(model, set.add(kernelChoice(rest)));
  prepareTap(model, rest); // outside the dry run: it uploads weights
  return engine.prepare(() => {
    const s = settings(subject, rest, sample, model);
    return run(engine, s.subject, sample, rest, s, performance.now(), model);
  }, onProgress);
}

type Settings = ReturnType<typeof settings>;

/** explain()'s options, each validated here once, before any GPU work: what the run and the method read. */
function settings(subject: Explainable, options: ExplainOptions<string>, input: InputSpec, model: Model | null) {
  const unknown = Object.keys(options).find((k) => !Object.hasOwn(OPTION_KEYS, k));
  if (unknown !== undefined)
    fail(
      `explain: unknown option '${unknown}' (known: ${Object.keys(OPTION_KEYS).join(', ')}; a method's own options go in methodOptions)`,
    );
  const tapped = tapSettings(subject, model, options, getMethod(options.method)); // a layer's or a neuron's
  const base = tapped?.method ?? getMethod(options.method);
  subject = tapped?.subject ?? subject;
  const steps = options.steps ?? base.defaultSteps;
  checkPositiveInt(options.method, 'steps', steps);
  if (steps > MAX_STEPS) fail(`${options.method}: steps ${steps} is above the maximum ${MAX_STEPS}`);
  if (base.ownStart && options.baseline !== undefined) fail(base.ownStart);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
    fail('onProgress must be a function (done, total)');
  checkAborted(options.signal);
  const rule = options.rule ?? 'trapezoid';
  if (!INTEGRATION_RULES.includes(rule)) fail(`unknown rule '${rule}' (use ${INTEGRATION_RULES.join(', ')})`);
  const output = options.output ?? 'logit';
  if (output !== 'logit' && output !== 'prob') fail(`output must be 'logit' or 'prob', got '${String(output)}'`);
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) fail(`seed must be a finite number, got ${String(seed)}`);
  const budget = options.memoryBudgetBytes ?? DEFAULT_BUDGET;
  if (typeof budget !== 'number' || !(budget > 0 && Number.isFinite(budget)))
    fail(`memoryBudgetBytes must be a positive finite number, got ${String(budget)}`);
  const maxRows = subject.rowsForBudget(budget);
  if (!(maxRows >= 1))
    fail(
      `explain: one row of ${subject.name} ${shapeStr(subject.inputShape)} takes about ${subject.bytesPerRow ?? '?'} bytes of GPU memory, above memoryBudgetBytes ${budget}; raise memoryBudgetBytes`,
    );
  const list = targetList(subject, options.target ?? 'auto');
  if (options.targets !== undefined && options.target !== undefined) fail('explain: give target or targets, not both');
  const sg = smoothGradSettings(options.smoothgrad);
  const shape = inputShape(subject, input);
  const n = shape[0]!;
  if (list && list.length !== 1 && list.length !== n) fail(`target: ${list.length} class indices for ${n} inputs`);
  const targets = list && (list.length === n ? list : new Array<number>(n).fill(list[0]!)); // one per input, or null: 'auto'
  const perImage = options.targets === undefined ? null : checkTargets(subject, options.targets, n);
  const set = isBaselineSet(options.baseline) ? checkBaselineSet(options.baseline, subject.inputShape, seed + 1) : null;
  if (sg && (perImage || set))
    fail('smoothgrad: targets and baseline sets are for path methods; give target and baseline');
  if (tapped && (perImage || set))
    fail(`${options.method}: targets and baseline sets are for input attribution; give a layer's target and baseline`);
  const method = sg ? withSmoothGrad(base, sg, 'data' in input ? input.data : input) : base; // SmoothGrad wraps the method when asked
  const checkFinite = options.checkFinite ?? true;
  if (typeof checkFinite !== 'boolean') fail(`checkFinite must be true or false, got ${String(checkFinite)}`);
  const raw = (options.methodOptions ?? {}) as Readonly<Record<string, unknown>>;
  const own = base.options ? base.options(raw) : { ...raw }; // the method checks its own options
  return {
    subject,
    method,
    methodOptions: { ...(own as object), steps, rule, seed },
    shape,
    targets,
    perImage,
    set,
    output,
    seed,
    budget,
    maxRows,
    checkFinite,
  };
}

/**
 * The input's shape [N, ...inputShape]: a Tensor or { data, shape } of that shape (or one input's
 * shape), or a flat Float32Array (finite) whose length is a whole multiple of one input's size.
 */
function inputShape(subject: Explainable, input: InputSpec): number[] {
  const shape = subject.inputShape;
  const per = sizeOf(shape);
  if (
    input instanceof Tensor ||
    (typeof input === 'object' && input !== null && 'shape' in input && !(input instanceof Float32Array))
  ) {
    const given = Array.isArray(input.shape) ? input.shape : fail('input: shape must be an array of dimensions');
    const batched = given.length === shape.length + 1 && shape.every((d, i) => given[i + 1] === d) && given[0]! > 0;
    const single = given.length === shape.length && shape.every((d, i) => given[i] === d);
    if (!batched && !single)
      fail(
        `input has shape ${shapeStr(given)}, expected ${shapeStr(['N' as unknown as number, ...shape])} for ${subject.name}`,
      );
    if (!(input instanceof Tensor)) {
      if (!(input.data instanceof Float32Array) || input.data.length !== sizeOf(given))
        fail(`input: data must be a Float32Array of ${sizeOf(given)} values for shape ${shapeStr(given)}`);
      assertFinite(input.data, 'input');
    }
    return single ? [1, ...shape] : [...given];
  }
  if (!(input instanceof Float32Array)) fail('input must be a Float32Array, a Tensor or { data, shape }');
  if (input.length === 0 || input.length % per !== 0)
    fail(
      `input has ${input.length} values, not a whole number of inputs of shape ${shapeStr(shape)} (${per} values) for ${subject.name}`,
    );
  assertFinite(input, 'input');
  return [input.length / per, ...shape];
}

/** Explicit targets as a list (one for all inputs, or one per input), checked against the classes; null for 'auto'. */
function targetList(subject: Explainable, target: number | readonly number[] | 'auto'): number[] | null {
  if (target === 'auto') return null;
  const list =
    typeof target === 'number'
      ? [target]
      : Array.isArray(target)
        ? [...(target as readonly number[])]
        : fail(`target must be a class index, a list of them or 'auto', got ${String(target)}`);
  const k = subject.numClasses;
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (k !== null && v >= k))
      fail(
        `target class ${String(v)} for input ${i} is out of range: ${subject.name} has ${k === null ? 'non-negative class indices' : `classes 0..${k - 1}`}`,
      );
  });
  return list;
}

/** [N] 'auto' targets on the GPU: the top-1 (decided on the GPU; 0 for a subject without classes). */
async function resolveTargets(engine: Engine, subject: Explainable, x: Tensor): Promise<Tensor> {
  return (await subject.topClasses(x)) ?? Tensor.zeros(engine, [x.shape[0]!], 'targets');
}

/** The diagnostics of rows (i·T + t)·K + k folded over k with the set's weights (f at the start: Σ w f(baseline_k)). */
function foldDiagnostics(attribution: Float32Array, diag: Float32Array, hasStart: boolean, weights: Float64Array) {
  const rows = diag.length / 5;
  const at = (row: number) => diag.subarray(row * rows, (row + 1) * rows);
  const [fBase, fx] = [0, 1].map((j) => Float32Array.from({ length: rows }, (_, r) => diag[rows + 2 * r + j]!));
  const f = foldBaselines(attribution, [fBase!, fx!, hasStart ? at(3) : fBase!, at(4)], weights);
  const m = rows / weights.length;
  const out = new Float32Array(5 * m);
  for (let r = 0; r < m; r++) {
    out[r] = diag[r * weights.length]!; // the target, the same for every baseline
    out[m + 2 * r] = f.rowValues[0]![r]!;
    out[m + 2 * r + 1] = f.rowValues[1]![r]!;
  }
  out.set(f.rowValues[2]!, 3 * m);
  out.set(f.rowValues[3]!, 4 * m);
  return { attribution: f.attribution, diag: out, sensitivity: f.sensitivity };
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

/** Calls between chunks: submit, let the host run, report what the GPU finished (one chunk stays in flight), stop if aborted. */
function checkpoints(
  engine: Engine,
  signal: AbortSignal | undefined,
  onProgress: ExplainOptions<string>['onProgress'],
) {
  let inFlight: Promise<unknown> = Promise.resolve();
  const checkpoint = async (done: number, total: number) => {
    checkAborted(signal);
    if (!engine.isDryRun) {
      const previous = inFlight;
      const finished = engine.done();
      // reported in call order: the pacer may resolve a short submission's wait before a longer one's
      inFlight = previous
        .then(() => finished)
        .then(
          () => onProgress?.(done, total),
          () => {},
        ); // a lost device is reported by the readback
      // a callback's error rejects explain (at the next checkpoint or at settled()), never unhandled meanwhile
      inFlight.catch(() => {});
      await previous;
    }
    await yieldToHost();
    checkAborted(signal);
  };
  return { checkpoint, settled: () => inFlight };
}

const yieldToHost = () =>
  new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/** The check of image i in words, for summaries and figure titles: "completeness error 0.012 %", "gap 191.584 % to f(x) − mean f(counterfactual) (approximate)", "no completeness check (grad)". */
export function describeCheck(
  r: Pick<Explanation, 'method' | 'start'>,
  image: Pick<ImageExplanation, 'check' | 'gap'>,
): string {
  const pct = `${(100 * image.gap!).toFixed(3)} %`;
  if (image.check === 'complete') return `completeness error ${pct} (Σ attr vs f(x) − ${r.start})`;
  if (image.check === 'approximate')
    return `gap ${pct} to f(x) − ${r.start} (approximate: not promised by ${r.method})`;
  return `no completeness check (${r.method} promises none)`;
}

function summarise(
  methodName: string,
  steps: number,
  shape: readonly number[],
  attribution: Float32Array,
  diag: Float32Array,
  hasStart: boolean,
  ctx: ExplainContext,
  method: MethodInfo<unknown>,
  t0: number,
  checkFinite: boolean,
): Explanation {
  const check = methodCheck(method);
  const noTarget = ctx.targetList === null && ctx.subject.numClasses === null;
  const n = shape[0]!;
  const per = attribution.length / n;
  const images: ImageExplanation[] = [];
  for (let i = 0; i < n; i++) {
    const fBase = diag[n + 2 * i]!;
    const fx = diag[n + 2 * i + 1]!;
    const fStart = hasStart ? diag[3 * n + i]! : fBase;
    let sum = 0;
    for (let j = i * per; j < (i + 1) * per; j++) sum += attribution[j]!;
    if (checkFinite) {
      // a NaN or an overflow anywhere in the network reaches f (activations propagate NaN); Σ is non-finite iff a value is
      const bad = !Number.isFinite(fx)
        ? `f(x) is ${fx}`
        : !Number.isFinite(fStart)
          ? `f(${hasStart ? 'start' : 'baseline'}) is ${fStart}`
          : !Number.isFinite(sum)
            ? 'the attribution has non-finite values'
            : null;
      if (bad)
        fail(
          `explain: input ${i}: ${bad}: ${ctx.subject.name} overflows float32 or produces NaN on it (checkFinite: false skips this check)`,
        );
    }
    const gap = Math.abs(fx - fStart);
    const completenessError = Math.abs(sum - (fx - fStart)) / (gap > 1e-12 ? gap : 1);
    images.push({
      target: noTarget ? -1 : diag[i]!,
      fx,
      fStart,
      sum,
      completenessError,
      check,
      gap: check === 'none' ? null : completenessError,
      droppedDelta: diag[4 * n + i]!,
    });
  }
  return {
    method: methodName,
    steps,
    shape: [...shape],
    attribution,
    images,
    ...ctx.stats,
    complete: check === 'complete',
    check,
    start: method.start ?? 'f(baseline)',
    timeMs: performance.now() - t0,
  };
}
