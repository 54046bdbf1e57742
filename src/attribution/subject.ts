/**
 * The seam between methods and what they explain. A method never sees a model: it asks its
 * subject for f and ∇f at a batch of GPU path points, for f alone, and (IG2) for steps along the
 * representation distance. A pathlight `Model`, a function on the GPU (`gpuFunction`) and a
 * function on the CPU (`cpuFunction`) all implement it.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainedOutput } from './explain-seed.js';
import type { ReplayCache } from '../tensor/replay-cache.js';

/** What one evaluation is for: rows are image-major, row b belongs to image ⌊b / pointsPerImage⌋. */
export interface EvaluationRequest {
  /** [N] class indices as float32 on the GPU */
  targets: Tensor;
  /** the same indices on the CPU when the caller gave them (null for 'auto', decided on the GPU) */
  targetList: readonly number[] | null;
  pointsPerImage: number;
  output: ExplainedOutput;
  /** the call's recordings: a subject may record its fixed-shape work once and replay it (a Model's does) */
  replays?: ReplayCache;
  /** explain()'s signal: a pending evaluation ends (rejects) when it aborts */
  signal?: AbortSignal;
}

export interface PointEvaluation {
  /** explained value per row [rows] */
  f: Tensor;
  /** ∇f per row, same shape as the points */
  grad: Tensor;
}

/**
 * One IG2 search over P (image, reference) pairs. The batch [z; z] has 2P rows: rows < P carry
 * f and ∇f, rows ≥ P the representation distance to the pair's reference and the direction IG2
 * moves in (−∇ of the distance; its length does not matter, IG2 normalises it).
 */
export interface Ig2Search {
  step(batch: Tensor, withGradient: boolean): Promise<Ig2StepValues>;
  dispose(): void;
}

export interface Ig2StepValues {
  /** [2P]: f at rows < P */
  f: Tensor;
  /** [2P]: the distance at rows ≥ P, in units of 1/distanceScale */
  distance: Tensor;
  distanceScale: number;
  /** [2P, ...input]: ∇f at rows < P, the descent direction at rows ≥ P (when asked) */
  grad?: Tensor;
}

export interface Ig2Request {
  /** reference inputs [refRows, ...inputShape]; pair p uses reference row p mod refRows */
  references: Tensor;
  pairs: number;
  targets: Tensor;
  targetList: readonly number[] | null;
  /** pairs per image (rows < P of image i are i·R … i·R + R − 1) */
  referencesPerImage: number;
  output: ExplainedOutput;
  signal?: AbortSignal;
}

export interface Explainable {
  readonly name: string;
  /** one input row: [C, H, W] for images, [D] for vectors, [T, D] for sequences */
  readonly inputShape: readonly number[];
  /** number of classes (targets are checked against it), or null when targets pass through unchecked */
  readonly numClasses: number | null;
  /** path points one evaluation may take under a GPU memory budget (0: one row does not fit; explain refuses) */
  rowsForBudget(budgetBytes: number): number;
  /** about the GPU bytes one row takes, named when a row does not fit the budget */
  readonly bytesPerRow?: number;
  gradients(points: Tensor, request: EvaluationRequest): Promise<PointEvaluation>;
  values(points: Tensor, request: EvaluationRequest): Promise<Tensor>;
  /** top-1 class per row of x as float32 [N] ('auto' targets), or null when there are no classes */
  topClasses(x: Tensor): Promise<Tensor | null>;
  /** the range of inputs (default [0, 1]); bounded paths (IG2's clip) stay in it */
  readonly inputRange?: readonly [number, number];
  /** a model's declared input map, [0, 1] pixels → input: named baselines are images through it */
  pixelsToInput?(pixels: Float32Array): Float32Array;
  /** IG2 support (a model's representation node, or a function's distance callback) */
  ig2Search?(request: Ig2Request): Promise<Ig2Search>;
}

export function isExplainable(what: unknown): what is Explainable {
  return typeof what === 'object' && what !== null && typeof (what as Explainable).gradients === 'function' && Array.isArray((what as Explainable).inputShape);
}
