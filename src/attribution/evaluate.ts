/** f and ∇f at a batch of path points, through the context's subject (a model or a function). */
import type { Tensor } from '../tensor/tensor.js';
import { concatBatch, sliceBatch } from '../tensor/batch.js';
import type { ExplainContext } from './context.js';
import type { EvaluationRequest, PointEvaluation } from './subject.js';

export type { PointEvaluation } from './subject.js';

function request(ctx: ExplainContext, pointsPerImage: number, targets = ctx.targets, targetList = ctx.targetList): EvaluationRequest {
  return { targets, targetList, pointsPerImage, output: ctx.output };
}

/** `points` rows are image-major: row b belongs to image ⌊b / pointsPerImage⌋. Caller disposes the result. */
export async function evaluateGradients(ctx: ExplainContext, points: Tensor, pointsPerImage: number): Promise<PointEvaluation> {
  const ev = await ctx.subject.gradients(points, request(ctx, pointsPerImage));
  ctx.stats.gradientEvaluations += points.shape[0]!;
  return ev;
}

/** f only (no backward), in groups of images that fit the row budget (explain()'s f(x), f(x') of every image). */
export async function evaluateValues(ctx: ExplainContext, points: Tensor, pointsPerImage: number): Promise<Tensor> {
  ctx.stats.forwardEvaluations += points.shape[0]!;
  const images = points.shape[0]! / pointsPerImage;
  const group = Math.max(1, Math.floor(ctx.maxRows / pointsPerImage));
  if (images <= group) return ctx.subject.values(points, request(ctx, pointsPerImage));
  const parts: Tensor[] = [];
  try {
    for (let i0 = 0; i0 < images; i0 += group) {
      const k = Math.min(group, images - i0);
      const rows = sliceBatch(points, i0 * pointsPerImage, k * pointsPerImage);
      const targets = sliceBatch(ctx.targets, i0, k);
      try {
        parts.push(await ctx.subject.values(rows, request(ctx, pointsPerImage, targets, ctx.targetList?.slice(i0, i0 + k) ?? null)));
      } finally {
        rows.dispose();
        targets.dispose();
      }
    }
    return concatBatch(parts);
  } finally {
    for (const t of parts) t.dispose();
  }
}
