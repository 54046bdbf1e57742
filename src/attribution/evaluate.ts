/** f and ∇f at a batch of path points: one recorded forward, the seed kernel, one backward. */
import { explainSeed } from '../ops/explain-seed.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';

export interface PointEvaluation {
  /** explained value per row [rows] */
  f: Tensor;
  /** ∇f per row, same shape as the points */
  grad: Tensor;
}

/** `points` rows are image-major: row b belongs to image ⌊b / pointsPerImage⌋. Caller disposes the result. */
export function evaluateGradients(ctx: ExplainContext, points: Tensor, pointsPerImage: number): PointEvaluation {
  const tape = ctx.model.forward(points, { record: true });
  const { seed, f } = explainSeed(tape.output, ctx.targets, pointsPerImage, ctx.output);
  const { dx } = tape.backward(seed);
  seed.dispose();
  tape.dispose();
  ctx.stats.gradientEvaluations += points.shape[0]!;
  return { f, grad: dx };
}

/** f only (no backward). */
export function evaluateValues(ctx: ExplainContext, points: Tensor, pointsPerImage: number): Tensor {
  const logits = ctx.model.logits(points);
  const { seed, f } = explainSeed(logits, ctx.targets, pointsPerImage, ctx.output);
  seed.dispose();
  logits.dispose();
  ctx.stats.forwardEvaluations += points.shape[0]!;
  return f;
}
