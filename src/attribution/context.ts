/**
 * What every path method works on: N inputs, their baselines and targets, all on the GPU, the
 * subject that evaluates f and ∇f (a model or a function, see subject.ts), and a row budget that
 * bounds how many path points go through it at once (so peak memory depends on the budget, never
 * on the number of steps).
 */
import type { Engine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainedOutput } from './kernels/explain-seed.js';
import type { Explainable } from './subject.js';
import type { ReplayCache } from '../tensor/replay-cache.js';

export interface ExplainContext {
  engine: Engine;
  subject: Explainable;
  /** [N, ...inputShape] */
  x: Tensor;
  /** [N, ...inputShape] */
  baseline: Tensor;
  /** [N] class indices as float32, on the GPU ('auto' targets are never read back mid-run) */
  targets: Tensor;
  /** the same on the CPU when the caller gave them; null for 'auto' */
  targetList: readonly number[] | null;
  output: ExplainedOutput;
  /** how many rows (path points × inputs) one evaluation may process */
  maxRows: number;
  /** counts rows sent through forward+backward */
  stats: { gradientEvaluations: number; forwardEvaluations: number };
  /**
   * Awaited between chunks and steps with `done` of `total` path points: submits the recorded work,
   * lets the host run (timers, repaints), reports progress as the GPU finishes, throws when aborted.
   */
  checkpoint?: (done: number, total: number) => Promise<void>;
  /** recordings of the call's fixed-shape evaluations, replayed for every chunk and step (disposed by explain) */
  replays?: ReplayCache;
  /** per row, the index that seeded sampling is keyed by (sampleKey): an image's several targets share their random numbers */
  sampleKeys?: readonly number[];
  /** explain()'s signal: subjects end a pending evaluation with it (a function's call, functions.ts) */
  signal?: AbortSignal;
}

export const abortError = () =>
  Object.assign(new PathlightError('explain: aborted by its signal'), { name: 'AbortError' });

export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}
