/**
 * What every path method works on: N images, their baselines and targets, all on the GPU, and a
 * row budget that bounds how many path points go through the model at once (so peak memory
 * depends on the budget, never on the number of steps).
 */
import type { Engine } from '../gpu/engine.js';
import type { Model } from '../nn/model.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainedOutput } from '../ops/explain-seed.js';

export interface ExplainContext {
  engine: Engine;
  model: Model;
  /** [N, C, H, W] */
  x: Tensor;
  /** [N, C, H, W] */
  baseline: Tensor;
  /** [N] class indices as float32, on the GPU ('auto' targets are never read back mid-run) */
  targets: Tensor;
  output: ExplainedOutput;
  /** how many model rows (path points × images) one forward+backward may process */
  maxRows: number;
  /** counts rows sent through forward+backward */
  stats: { gradientEvaluations: number; forwardEvaluations: number };
}

export function imageCount(ctx: ExplainContext): number {
  return ctx.x.shape[0]!;
}

/** Points per image per chunk: as many as the row budget allows, at least `min`. */
export function pointsPerChunk(ctx: ExplainContext, wanted: number, min = 1): number {
  return Math.max(min, Math.min(wanted, Math.floor(ctx.maxRows / imageCount(ctx))));
}

/**
 * Rows per forward+backward that fit a memory budget: a recorded tape keeps every activation, and
 * backward holds about two more of the largest at once, plus points, gradients and seeds.
 */
export function rowsForBudget(model: Model, budgetBytes: number): number {
  const sizes = model.nodeShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const perRow = 4 * (sizes.reduce((a, b) => a + b, 0) + 2 * Math.max(...sizes) + 3 * sizes[0]!);
  return Math.max(1, Math.min(model.maxBatchPerPass(), Math.floor(budgetBytes / perRow)));
}
