/** f and ∇f at a batch of path points, through the context's subject (a model or a function). */
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';
import type { EvaluationRequest, PointEvaluation } from './subject.js';

export type { PointEvaluation } from './subject.js';

/** The request of ctx's evaluations: its targets, output, recordings and signal. */
export function evaluationRequest(ctx: ExplainContext, pointsPerImage: number): EvaluationRequest {
  return {
    targets: ctx.targets,
    targetList: ctx.targetList,
    pointsPerImage,
    output: ctx.output,
    replays: ctx.replays,
    signal: ctx.signal,
  };
}

/** `points` rows are image-major: row b belongs to image ⌊b / pointsPerImage⌋. Caller disposes the result. */
export async function evaluateGradients(
  ctx: ExplainContext,
  points: Tensor,
  pointsPerImage: number,
): Promise<PointEvaluation> {
  const ev = await ctx.subject.evaluate(points, { ...evaluationRequest(ctx, pointsPerImage), want: ['f', 'grad'] });
  ctx.stats.gradientEvaluations += points.shape[0]!;
  return ev;
}

/** f only (no backward). */
export async function evaluateValues(ctx: ExplainContext, points: Tensor, pointsPerImage: number): Promise<Tensor> {
  const { f } = await ctx.subject.evaluate(points, { ...evaluationRequest(ctx, pointsPerImage), want: ['f'] });
  ctx.stats.forwardEvaluations += points.shape[0]!;
  return f;
}
