/**
 * IG2 (Zhuo & Ge, TPAMI 2024), batched across images × references, all on the GPU
 * (METHODS.md "IG2", float64 reference test/reference/methods/ig2.ts).
 *
 * Rows are (image i, reference r) pairs p = i·R + r. Each step evaluates the batch [z; z] (2P
 * rows) through the subject's evaluate() with IG2's `distance` key (seam.ts): ∇f at rows < P, the
 * representation distance and its descent direction at rows ≥ P (a model does both in one forward
 * and one backward, model.ts; a function through its callbacks, functions.ts).
 *
 * Options (`methodOptions`):
 *  - references: Float32Array of R inputs [R, ...inputShape] shared by all images (required), or, with
 *    referencesPerImage: R, N·R images (image i's R references at rows i·R … i·R + R − 1; e.g. the
 *    "relevant references" of ig2-references.ts, picked per image);
 *  - stepSize η (default 1.0: the authors' 256 on 0–255 images, rescaled to [0, 1] inputs);
 *  - clip [lo, hi] (default: the subject's declared input range, [0, 1] when undeclared; null = unbounded);
 *  - earlyStop { patience, relTol? = 1e-4 } (default off): stop once `patience` steps fail to lower
 *    the best distance by the relative relTol; the path is cut back to its best point (GradCF).
 * The stop is decided on the GPU (per-pair flags; stopped paths stay put), so no readback.
 * Returns fStart = mean_r f(GradCF_r) per image, so explain() reports Σ attr vs f(x) − fStart.
 */
import { checkPositiveInt, fail } from '../../../errors.js';
import { Tensor } from '../../../tensor/tensor.js';
import { sliceBatch } from '../../../tensor/batch.js';
import { inImageGroups } from '../../integrators.js';
import { disposeIg2Paths, ig2Finish, ig2Step, startIg2Paths, type Ig2Settings } from '../../kernels/ig2-step.js';
import type { ExplainContext } from '../../context.js';
import { evaluationRequest } from '../../evaluate.js';
import { Ig2Pairs } from './seam.js';
import './model.js';
import { methodOptions, registerMethod, type MethodResult, type MethodSettings } from '../../registry.js';

export interface Ig2Options {
  references: Float32Array;
  referencesPerImage?: number;
  stepSize?: number;
  clip?: readonly [number, number] | null;
  earlyStop?: { patience: number; relTol?: number };
}

declare module '../../registry.js' {
  interface MethodRegistry {
    ig2: Ig2Options;
  }
}

/** IG2's methodOptions, checked at its door (before any GPU work); the checks against the input follow in `settings`. */
function parseOptions(raw: Readonly<Record<string, unknown>>): Ig2Options {
  const o = methodOptions<Ig2Options>('ig2', raw, [
    'references',
    'referencesPerImage',
    'stepSize',
    'clip',
    'earlyStop',
  ]);
  const refs: unknown = o.references;
  if (!(refs instanceof Float32Array))
    fail('ig2: methodOptions.references must be a Float32Array of R reference images [R, C, H, W]');
  if (o.referencesPerImage !== undefined) checkPositiveInt('ig2', 'referencesPerImage', o.referencesPerImage);
  const stepSize: unknown = o.stepSize ?? 1.0;
  if (typeof stepSize !== 'number' || !(stepSize > 0 && Number.isFinite(stepSize)))
    fail(`ig2: stepSize must be a positive number, got ${String(stepSize)}`);
  const clip: unknown = o.clip;
  if (clip !== undefined && clip !== null) {
    const ok =
      Array.isArray(clip) &&
      clip.length === 2 &&
      clip.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
      clip[0] < clip[1];
    if (!ok) fail(`ig2: clip must be [lo, hi] with finite lo < hi, or null, got ${JSON.stringify(clip)}`);
  }
  const es: unknown = o.earlyStop;
  if (es !== undefined) {
    if (typeof es !== 'object' || es === null) fail('ig2: earlyStop must be { patience, relTol? }');
    const { patience, relTol = 1e-4 } = es as { patience: number; relTol?: number };
    checkPositiveInt('ig2', 'earlyStop.patience', patience);
    if (typeof relTol !== 'number' || !(relTol >= 0 && relTol < 1))
      fail(`ig2: earlyStop.relTol must be in [0, 1), got ${String(relTol)}`);
  }
  return o;
}

/** The options checked against the input (whole reference images, R per image) and the subject's range. */
function settings(ctx: ExplainContext, o: Ig2Options & MethodSettings): Ig2Settings {
  const features = ctx.x.size / ctx.x.shape[0]!;
  const refs = o.references;
  if (refs.length === 0 || refs.length % features !== 0)
    fail(`ig2: references hold ${refs.length} values, not a whole number of images of ${features} features`);
  if (!refs.every(Number.isFinite)) fail('ig2: references contain NaN or Infinity');
  const images = refs.length / features;
  const perImage = o.referencesPerImage !== undefined;
  const r = o.referencesPerImage ?? images;
  const n = ctx.x.shape[0]!;
  if (perImage && images !== n * r) fail(`ig2: ${images} reference images are not ${r} per image for ${n} images`);
  const clip = o.clip === undefined ? (ctx.subject.inputRange ?? [0, 1]) : o.clip;
  const earlyStop = o.earlyStop ? { patience: o.earlyStop.patience, relTol: o.earlyStop.relTol ?? 1e-4 } : null;
  return { steps: o.steps, references: refs, r, perImage, stepSize: o.stepSize ?? 1.0, clip, earlyStop };
}

/** GradPaths and attribution for ctx's n images toward their references: per-image attribution and mean f(GradCF). */
async function explainGroup(ctx: ExplainContext, references: Tensor, s: Ig2Settings): Promise<MethodResult> {
  const pairs = ctx.x.shape[0]! * s.r;
  const ig2 = new Ig2Pairs(references, pairs, s.r);
  const request = { ...evaluationRequest(ctx, s.r), ig2 };
  const paths = startIg2Paths(ctx.x, s, references.shape[0]!);
  try {
    for (let j = 0; j <= s.steps; j++) {
      // The last point needs only f and the distance (early stop); no gradient.
      const withGradient = j < s.steps;
      const v = await ctx.subject.evaluate(paths.batch, {
        ...request,
        want: withGradient ? ['f', 'distance', 'grad'] : ['f', 'distance'],
      });
      const grad = 'grad' in v ? v.grad : undefined;
      ig2Step(paths, v.f, v.distance.values, v.distance.scale, j, grad);
      v.f.dispose();
      v.distance.values.dispose();
      if (grad) {
        grad.dispose();
        ctx.stats.gradientEvaluations += 2 * pairs;
      } else ctx.stats.forwardEvaluations += 2 * pairs;
      await ctx.checkpoint?.(j + 1, s.steps + 1);
    }
    return ig2Finish(paths);
  } finally {
    ig2.dispose();
    disposeIg2Paths(paths);
  }
}

export async function ig2(ctx: ExplainContext, o: Ig2Options & MethodSettings): Promise<MethodResult> {
  const s = settings(ctx, o);
  const features = ctx.x.size / ctx.x.shape[0]!;
  const refRows = s.references.length / features;
  const references = Tensor.from(ctx.engine, s.references, [refRows, ...ctx.x.shape.slice(1)], {
    label: 'ig2 references',
  });
  ctx.stats.forwardEvaluations += refRows;
  // Each image takes 2R rows per evaluation: groups of images bound by the memory budget, progress over the whole call.
  const perGroup = Math.max(1, Math.floor(ctx.maxRows / (2 * s.r)));
  try {
    return await inImageGroups(ctx, perGroup, async (sub, first) => {
      const n = sub.x.shape[0]!;
      const refs = s.perImage && n !== ctx.x.shape[0] ? sliceBatch(references, first * s.r, n * s.r) : references;
      try {
        return await explainGroup(sub, refs, s);
      } finally {
        if (refs !== references) refs.dispose();
      }
    });
  } finally {
    references.dispose();
  }
}

registerMethod('ig2', {
  options: parseOptions,
  run: ig2,
  defaultSteps: 201,
  check: 'approximate', // a fixed step η ends near the counterfactual, not at it
  start: 'mean f(counterfactual)',
  ownStart:
    "ig2: IG2's path runs from x toward counterfactuals of its references (methodOptions.references), not from a baseline; drop the baseline option",
  description: 'IG2 (Zhuo & Ge 2024): GradPath toward counterfactuals of given references, averaged over references',
});
