/**
 * The seam between methods and what they explain. A method never sees a model: it asks its
 * subject to evaluate a batch of GPU path points for the outputs it names by key (f, ∇f, and
 * keys methods bring, such as IG2's representation distance). A pathlight `Model`, a function on the GPU (`gpuFunction`) and a
 * function on the CPU (`cpuFunction`) all implement it.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fail } from '../errors.js';
import type { ExplainedOutput } from './kernels/explain-seed.js';
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
 * What evaluate() answers, by key: f and ∇f from every subject; a method that needs more brings
 * its key by augmenting this interface (IG2's `distance`, methods/ig2/seam.ts). A model answers
 * every key asked in one forward and one backward.
 */
export interface Evaluation extends PointEvaluation {}
export type EvaluationKey = keyof Evaluation;

/** An evaluation request naming the outputs wanted: only f ['f'] runs no backward. */
export interface KeyedRequest<K extends EvaluationKey = EvaluationKey> extends EvaluationRequest {
  want: readonly K[];
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
  /** the outputs `request.want` names at the points (the caller disposes them); a key the subject cannot answer is refused, naming it */
  evaluate<K extends EvaluationKey>(points: Tensor, request: KeyedRequest<K>): Promise<Pick<Evaluation, K>>;
  /** @deprecated evaluate(points, { ...request, want: ['f', 'grad'] }) */
  gradients?(points: Tensor, request: EvaluationRequest): Promise<PointEvaluation>;
  /** @deprecated evaluate(points, { ...request, want: ['f'] }) */
  values?(points: Tensor, request: EvaluationRequest): Promise<Tensor>;
  /** top-1 class per row of x as float32 [N] ('auto' targets), or null when there are no classes */
  topClasses(x: Tensor): Promise<Tensor | null>;
  /** the range of inputs (default [0, 1]); bounded paths (IG2's clip) stay in it */
  readonly inputRange?: readonly [number, number];
  /** a model's declared input map, [0, 1] pixels → input: named baselines are images through it */
  pixelsToInput?(pixels: Float32Array): Float32Array;
}

/** Does the request want `key`? */
export const wants = (r: KeyedRequest, key: EvaluationKey): boolean => r.want.includes(key);

/** A subject's outputs as the keys it was asked for (it answered each of them). */
export const answered = <K extends EvaluationKey>(outputs: Partial<Evaluation>) => outputs as Pick<Evaluation, K>;

/** @deprecated an Explainable of the previous release: gradients() and values(), no evaluate() (explain() still takes it). */
export type LegacyExplainable = Omit<Explainable, 'evaluate'> & Required<Pick<Explainable, 'gradients' | 'values'>>;

/** A subject explain() takes: an Explainable, or a LegacyExplainable seen through evaluate() (f and grad only); null otherwise. */
export function asExplainable(what: unknown): Explainable | null {
  if (typeof what !== 'object' || what === null || !Array.isArray((what as Explainable).inputShape)) return null;
  const s = what as Explainable;
  if (typeof s.evaluate === 'function') return s;
  if (typeof s.gradients !== 'function' || typeof s.values !== 'function') return null;
  const { gradients, values } = s as LegacyExplainable;
  const evaluate = async (points: Tensor, r: KeyedRequest) => {
    const other = r.want.find((k) => k !== 'f' && k !== 'grad');
    if (other !== undefined)
      fail(`${s.name}: cannot evaluate '${other}' (a subject with gradients() and values() answers f and grad)`);
    return r.want.includes('grad') ? gradients.call(s, points, r) : { f: await values.call(s, points, r) };
  };
  return Object.assign(Object.create(s) as Explainable, { evaluate });
}

/** @deprecated asExplainable(what) !== null */
export function isExplainable(what: unknown): what is Explainable {
  return asExplainable(what) !== null;
}

/** A subject with the deprecated gradients() and values() beside evaluate() (for one release). */
export function withLegacyMethods(s: Explainable): Explainable & Required<Pick<Explainable, 'gradients' | 'values'>> {
  s.gradients = (points, r) => s.evaluate(points, { ...r, want: ['f', 'grad'] });
  s.values = async (points, r) => (await s.evaluate(points, { ...r, want: ['f'] })).f;
  return s as Explainable & Required<Pick<Explainable, 'gradients' | 'values'>>;
}
