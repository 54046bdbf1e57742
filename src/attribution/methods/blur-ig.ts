/**
 * Blur IG (Xu et al. 2020, PAIR's blur_ig.py) and IDGI on its path. The path has no user
 * baseline: it starts at the maximally blurred image blur(x, σ_m) and ends at x (σ_0 = 0), so both
 * methods return fStart = f(blur(x, σ_m)) for the completeness diagnostics.
 */
import { gaussianBlur, gaussianBlurWithDifference, MAX_BLUR_SIGMA } from '../../ops/gaussian-blur.js';
import { fail, shapeStr } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ExplainContext } from '../context.js';
import { evaluateValues } from '../evaluate.js';
import { idgiIntegrator, integratePath, weightedGradientIntegrator, type Integrator } from '../integrators.js';
import { methodOptions, registerMethod, type MethodResult } from '../registry.js';
import type { SampledPath } from '../paths.js';

export interface BlurPathOptions {
  /** default 50, at most MAX_BLUR_SIGMA */
  maxSigma: number;
  /** default 0.01: forward-difference step of ∂blur/∂σ */
  gradStep: number;
  /** σ_i = √(i·maxSigma/m) instead of i·maxSigma/m (PAIR's sqrt option) */
  sqrt: boolean;
}

declare module '../registry.js' {
  interface MethodRegistry {
    blurig: Partial<BlurPathOptions>;
    'blurig-idgi': Partial<BlurPathOptions>;
  }
}

/** σ_0 = 0 … σ_m = maxSigma (or its square root). */
export function blurSigmas(maxSigma: number, steps: number, sqrt: boolean): Float64Array {
  return Float64Array.from({ length: steps + 1 }, (_, i) =>
    sqrt ? Math.sqrt((i * maxSigma) / steps) : (i * maxSigma) / steps,
  );
}

/** Blur IG's methodOptions, checked at its door with the defaults filled in. */
function blurOptions(method: string, raw: Readonly<Record<string, unknown>>): BlurPathOptions {
  const o = methodOptions<Partial<BlurPathOptions>>(method, raw, ['maxSigma', 'gradStep', 'sqrt']);
  const maxSigma = o.maxSigma ?? 50;
  const gradStep = o.gradStep ?? 0.01;
  const sqrt = o.sqrt ?? false;
  if (typeof maxSigma !== 'number' || !(maxSigma > 0 && maxSigma <= MAX_BLUR_SIGMA))
    fail(`${method}: maxSigma must be a number in (0, ${MAX_BLUR_SIGMA}], got ${String(maxSigma)}`);
  if (typeof gradStep !== 'number' || !(gradStep > 0 && Number.isFinite(gradStep)))
    fail(`${method}: gradStep must be a positive number, got ${String(gradStep)}`);
  if (typeof sqrt !== 'boolean') fail(`${method}: sqrt must be true or false, got ${String(sqrt)}`);
  return { maxSigma, gradStep, sqrt };
}

/**
 * Blur IG's Riemann sum as a path of m points x_i = blur(x, σ_i), i = m−1 … 0 (start → input),
 * each with direction Δσ_i · (blur(x, σ_i + h) − x_i)/h; weight −1 is PAIR's final negation
 * (PAIR walks σ upward, away from the input).
 */
export function blurIgPath(sigmas: Float64Array, gradStep: number): SampledPath {
  const m = sigmas.length - 1;
  return {
    length: m,
    weights: new Float64Array(m).fill(-1),
    points: (ctx, first, count) => {
      const index = Array.from({ length: count }, (_, k) => m - 1 - (first + k));
      const chunkSigmas = index.map((i) => sigmas[i]!);
      const scales = index.map((i) => (sigmas[i + 1]! - sigmas[i]!) / gradStep);
      const r = gaussianBlurWithDifference(ctx.x, chunkSigmas, gradStep, scales);
      return { points: r.blurred, direction: r.difference };
    },
  };
}

/** The m + 1 points blur(x, σ_m) … blur(x, σ_0) = x, start → input (for IDGI). */
export function blurPath(sigmas: Float64Array): SampledPath {
  const m = sigmas.length - 1;
  return {
    length: m + 1,
    weights: new Float64Array(m + 1),
    points: (ctx, first, count) => ({
      points: gaussianBlur(
        ctx.x,
        Array.from({ length: count }, (_, k) => sigmas[m - first - k]!),
      ),
    }),
  };
}

/** f(blur(x, σ_max)) per image [N]: where the blur path starts. */
async function blurStartValues(ctx: ExplainContext, maxSigma: number): Promise<Tensor> {
  const start = gaussianBlur(ctx.x, [maxSigma]);
  try {
    return await evaluateValues(ctx, start, 1);
  } finally {
    start.dispose();
  }
}

/** Blur IG's two forms: the path from the sigmas and gradient step, and its integrator. */
function registerBlurMethod(
  name: string,
  path: (sigmas: Float64Array, gradStep: number) => SampledPath,
  integrator: () => Integrator,
  description: string,
): void {
  registerMethod(name, {
    options: (raw) => blurOptions(name, raw),
    run: async (ctx, o): Promise<MethodResult> => {
      if (ctx.x.rank !== 4)
        fail(
          `${name} blurs over height and width: it needs image inputs [N, C, H, W], got ${shapeStr(ctx.x.shape)} (${ctx.subject.name})`,
        );
      const sigmas = blurSigmas(o.maxSigma, o.steps, o.sqrt);
      const result = await integratePath(ctx, path(sigmas, o.gradStep), integrator());
      return { ...result, fStart: await blurStartValues(ctx, sigmas[o.steps]!) };
    },
    defaultSteps: 100,
    check: 'complete',
    start: 'f(blur(x, maxSigma))',
    ownStart: `${name}: Blur IG's path starts at the blurred image blur(x, maxSigma), not at a baseline; drop the baseline option (methodOptions.maxSigma sets the start)`,
    description,
  });
}

registerBlurMethod(
  'blurig',
  blurIgPath,
  weightedGradientIntegrator,
  'Blur IG (Xu et al. 2020): from blur(x, σ_max) to x along Gaussian blurs (options maxSigma, gradStep, sqrt)',
);
registerBlurMethod(
  'blurig-idgi',
  blurPath,
  idgiIntegrator,
  'IDGI (Yang et al. 2023) on the Blur IG path, from blur(x, σ_max) to x (options maxSigma, sqrt)',
);
