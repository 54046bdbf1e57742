/**
 * explain(): validate, set up the GPU context (inputs, baselines, targets), run a method (wrapped
 * in SmoothGrad when asked), and read back once: the attribution, plus one packed diagnostics
 * buffer (targets, f(x), f(start), dropped Δf). Nothing is read back inside a path loop.
 */
import type { Engine } from '../gpu/engine.js';
import { fail, PathlightError, shapeStr, checkPositiveInt } from '../gpu/errors.js';
import { batchShapeStr, type Model } from '../nn/model.js';
import { Tensor, assertFinite } from '../tensor/tensor.js';
import { argmaxRows, type ExplainedOutput } from '../ops/explain-seed.js';
import { straightPathPoints } from '../ops/path-points.js';
import { accumulateGradients } from '../ops/accumulate-gradients.js';
import { square } from '../ops/arithmetic.js';
import { gaussianBlurUniform } from '../ops/gaussian-blur.js';
import { seededRandom } from '../nn/init.js';
import { makeBaseline, type BaselineSpec, type BlurFn } from './baselines.js';
import { rowsForBudget, type ExplainContext } from './context.js';
import { evaluateValues } from './evaluate.js';
import { getMethod, type MethodOptions, type MethodResult } from './methods.js';
import { INTEGRATION_RULES, type IntegrationRule } from './quadrature.js';

export interface SmoothGradOptions {
  /** noisy copies (default 25, PAIR's default) */
  samples?: number;
  /** σ = noiseLevel · (max(x) − min(x)) (default 0.15) */
  noiseLevel?: number;
  /** average squared maps (PAIR's magnitude=True, the default) or signed maps (Captum) */
  magnitude?: boolean;
}

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
  /** [N, C, H, W] like the input */
  shape: number[];
  attribution: Float32Array;
  images: ImageExplanation[];
  /** model rows sent through forward+backward */
  gradientEvaluations: number;
  forwardEvaluations: number;
  /** does the method promise completeness? */
  complete: boolean;
  timeMs: number;
}

export type InputSpec = Float32Array | Tensor;

const DEFAULT_BUDGET = 64 << 20;

export async function explain(engine: Engine, model: Model, input: InputSpec, options: ExplainOptions): Promise<Explanation> {
  const t0 = performance.now();
  const method = getMethod(options.method);
  const steps = options.steps ?? method.defaultSteps;
  checkPositiveInt(options.method, 'steps', steps);
  const rule = options.rule ?? 'trapezoid';
  if (!INTEGRATION_RULES.includes(rule)) fail(`unknown rule '${rule}' (use ${INTEGRATION_RULES.join(', ')})`);
  const output = options.output ?? 'logit';
  if (output !== 'logit' && output !== 'prob') fail(`output must be 'logit' or 'prob', got '${String(output)}'`);
  const seed = options.seed ?? 0;
  const budget = options.memoryBudgetBytes ?? DEFAULT_BUDGET;
  if (!(budget > 0)) fail(`memoryBudgetBytes must be positive, got ${budget}`);

  const x = uploadInput(engine, model, input);
  const n = x.shape[0]!;
  const owned: Tensor[] = [x];
  try {
    const baseline = makeBaseline(engine, options.baseline ?? 'black', x, seed + 1, options.blur ?? gaussianBlurUniform);
    owned.push(baseline);
    const targets = resolveTargets(engine, model, x, options.target ?? 'auto', owned);
    const ctx: ExplainContext = { engine, model, x, baseline, targets, output, maxRows: rowsForBudget(model, budget), stats: { gradientEvaluations: 0, forwardEvaluations: 0 } };
    const methodOptions: MethodOptions = { ...(options.methodOptions ?? {}), steps, rule, seed };

    const sg = options.smoothgrad === true ? {} : options.smoothgrad || null;
    const result = sg ? smoothGrad(ctx, (c) => method.run(c, methodOptions), sg, seed, await inputValues(input)) : method.run(ctx, methodOptions);
    owned.push(result.attribution);
    if (result.dropped) owned.push(result.dropped);
    if (result.fStart) owned.push(result.fStart);

    // f(x) and f(x') for every image: rows 2i = x', 2i + 1 = x.
    const ends = straightPathPoints(x, baseline, [0, 1]);
    const fEnds = evaluateValues(ctx, ends, 2);
    ends.dispose();
    owned.push(fEnds);
    const diagnostics = packDiagnostics(engine, [targets, fEnds, result.fStart ?? null, result.dropped ?? null], n);
    owned.push(diagnostics);

    const attribution = await result.attribution.download();
    const diag = await diagnostics.download();
    return summarise(options.method, steps, x.shape, attribution, diag, !!result.fStart, ctx, method.complete && !sg, t0);
  } finally {
    for (const t of owned) if (!t.disposed) t.dispose();
  }
}

function uploadInput(engine: Engine, model: Model, input: InputSpec): Tensor {
  const row = model.info.inputShape;
  const per = row.reduce((a, b) => a * b, 1);
  if (input instanceof Tensor) {
    const single = input.rank === row.length;
    const ok = (single || input.rank === row.length + 1) && row.every((d, i) => input.shape[i + (single ? 0 : 1)] === d);
    if (!ok) fail(`input has shape ${shapeStr(input.shape)}, expected ${batchShapeStr(row)} for model ${model.info.name}`);
    return input.reshape(single ? [1, ...row] : input.shape);
  }
  if (!(input instanceof Float32Array)) fail('input must be a Float32Array or a Tensor');
  if (input.length === 0 || input.length % per !== 0) fail(`input has ${input.length} values, not a whole number of ${row.join('×')} inputs for model ${model.info.name}`);
  assertFinite(input, 'input');
  return Tensor.from(engine, input, [input.length / per, ...row], { label: 'input' });
}

function resolveTargets(engine: Engine, model: Model, x: Tensor, target: number | readonly number[] | 'auto', owned: Tensor[]): Tensor {
  const n = x.shape[0]!;
  const k = model.info.numClasses;
  let t: Tensor;
  if (target === 'auto') {
    const logits = model.logits(x);
    t = argmaxRows(logits);
    logits.dispose();
  } else {
    const list = typeof target === 'number' ? new Array<number>(n).fill(target) : [...target];
    if (list.length !== n) fail(`target: ${list.length} class indices for ${n} images`);
    list.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= k) fail(`target class ${v} for image ${i} is out of range: model ${model.info.name} has classes 0..${k - 1}`);
    });
    t = Tensor.from(engine, list, [n], { label: 'targets' });
  }
  owned.push(t);
  return t;
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
  const n = shape[0]!;
  const per = attribution.length / n;
  const images: ImageExplanation[] = [];
  for (let i = 0; i < n; i++) {
    const fBase = diag[n + 2 * i]!;
    const fx = diag[n + 2 * i + 1]!;
    if (!Number.isFinite(fx)) throw new PathlightError(`f(x) of image ${i} is ${fx}: the input or the model produces non-finite values`);
    const fStart = hasStart ? diag[3 * n + i]! : fBase;
    let sum = 0;
    for (let j = i * per; j < (i + 1) * per; j++) sum += attribution[j]!;
    const gap = fx - fStart;
    images.push({
      target: diag[i]!,
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

/** The input on the CPU (SmoothGrad's noise scale needs min/max); a Tensor input costs one readback up front. */
async function inputValues(input: InputSpec): Promise<Float32Array> {
  return input instanceof Tensor ? input.download() : input;
}

/**
 * SmoothGrad (Smilkov et al. 2017) around any method: n noisy copies of every image run as one
 * batch of N·n images through the method, then averaged (squared first when `magnitude`).
 */
function smoothGrad(ctx: ExplainContext, run: (c: ExplainContext) => MethodResult, o: SmoothGradOptions, seed: number, xs: Float32Array): MethodResult {
  const samples = o.samples ?? 25;
  checkPositiveInt('smoothgrad', 'samples', samples);
  const level = o.noiseLevel ?? 0.15;
  if (!(level >= 0)) fail(`smoothgrad: noiseLevel must be >= 0, got ${level}`);
  const magnitude = o.magnitude ?? true;
  const n = ctx.x.shape[0]!;
  const per = ctx.x.size / n;
  const noisy = new Float32Array(n * samples * per);
  const rand = seededRandom(seed + 7);
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = i * per; j < (i + 1) * per; j++) {
      lo = Math.min(lo, xs[j]!);
      hi = Math.max(hi, xs[j]!);
    }
    const sigma = level * (hi - lo);
    for (let s = 0; s < samples; s++) {
      const row = (i * samples + s) * per;
      for (let j = 0; j < per; j++) noisy[row + j] = xs[i * per + j]! + sigma * gaussian(rand);
    }
  }
  const ones = new Array<number>(samples).fill(1);
  // row i·samples + s = t_i: a straight 'path' from t to itself, sampled `samples` times
  const repeat = (t: Tensor) => {
    const rows = t.reshape([n, t.size / n]);
    const out = straightPathPoints(rows, rows, ones);
    rows.dispose();
    return out;
  };
  const inner: ExplainContext = {
    ...ctx,
    x: Tensor.from(ctx.engine, noisy, [n * samples, ...ctx.x.shape.slice(1)], { label: 'smoothgrad inputs' }),
    baseline: reshapeOwned(repeat(ctx.baseline), [n * samples, ...ctx.x.shape.slice(1)]),
    targets: reshapeOwned(repeat(ctx.targets), [n * samples]),
  };
  try {
    const r = run(inner);
    const maps = magnitude ? square(r.attribution) : r.attribution;
    const attribution = Tensor.zeros(ctx.engine, ctx.x.shape, 'attribution');
    accumulateGradients(attribution, maps, new Array<number>(samples).fill(1 / samples));
    for (const t of new Set([maps, r.attribution, r.dropped, r.fStart])) t?.dispose();
    return { attribution };
  } finally {
    for (const t of [inner.x, inner.baseline, inner.targets]) t.dispose();
  }
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

/** A view with another shape that takes over `t`'s reference. */
function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const view = t.reshape(shape);
  t.dispose();
  return view;
}
