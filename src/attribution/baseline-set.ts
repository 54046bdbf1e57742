/**
 * Baselines as a distribution (explain()'s `baseline: { set, weights?, draws?, seed? }`): K
 * baselines, given as data [K, ...inputShape] or made by generators (named baselines, noise,
 * blurs of the input), averaged with weights; or `draws` of them drawn by weight, seeded, so the
 * same seed draws the same baselines (Expected Gradients' sampling of the data distribution).
 */
import type { Engine } from '../gpu/engine.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor, assertFinite } from '../tensor/tensor.js';
import { sliceBatch } from '../tensor/batch.js';
import { seededRandom } from '../nn/init.js';
import { makeBaseline, type BaselineSpec, type BlurFn, type PixelMap } from './baselines.js';

/** K baselines: values [K, ...inputShape], a list of baselines, K noise images, or blurs of the input at these σ. */
export type BaselineSetSource =
  | Float32Array
  | Tensor
  | { data: Float32Array; shape: readonly number[] }
  | readonly BaselineSpec[]
  | { uniform: number }
  | { blur: readonly number[] };

export interface BaselineSet {
  set: BaselineSetSource;
  /** one per baseline, non-negative (normalised to sum 1; default equal) */
  weights?: readonly number[];
  /** draw this many baselines by weight (with replacement) instead of averaging over all of them */
  draws?: number;
  /** seed of the draws and of noise baselines (default: explain()'s seed) */
  seed?: number;
}

export const isBaselineSet = (spec: unknown): spec is BaselineSet =>
  typeof spec === 'object' && spec !== null && !ArrayBuffer.isView(spec) && 'set' in spec && !(spec instanceof Tensor);

/** The set's members (as baselines one image each) and their weights, checked before any GPU work. */
export function checkBaselineSet(
  spec: BaselineSet,
  inputShape: readonly number[],
  seed: number,
): { members: SetMember[]; weights: Float64Array } {
  const unknown = Object.keys(spec).find((k) => !['set', 'weights', 'draws', 'seed'].includes(k));
  if (unknown !== undefined) fail(`baseline: unknown key '${unknown}' of a baseline set (set, weights, draws, seed)`);
  const members = setMembers(spec.set, inputShape);
  const k = members.length;
  const raw = spec.weights ?? new Array<number>(k).fill(1);
  if (!Array.isArray(raw) || raw.length !== k) fail(`baseline: ${String(raw?.length)} weights for ${k} baselines`);
  if (raw.some((w) => typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w)))
    fail('baseline: weights must be finite and non-negative');
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) fail('baseline: the weights sum to 0');
  const weights = Float64Array.from(raw, (w) => w / total);
  if (spec.draws === undefined) return { members, weights };
  const draws = spec.draws;
  if (!Number.isInteger(draws) || draws < 1) fail(`baseline: draws must be a positive integer, got ${String(draws)}`);
  const picks = drawBaselines(weights, draws, spec.seed ?? seed);
  return { members: Array.from(picks, (j) => members[j]!), weights: new Float64Array(draws).fill(1 / draws) };
}

/** `draws` indices into K baselines, each drawn by weight with a seeded generator: the same seed, the same draws. */
export function drawBaselines(weights: Float64Array, draws: number, seed: number): Uint32Array {
  const random = seededRandom(seed);
  return Uint32Array.from({ length: draws }, () => {
    let u = random();
    for (let j = 0; j < weights.length - 1; j++) if ((u -= weights[j]!) < 0) return j;
    return weights.length - 1;
  });
}

/** A member: a baseline, or a row of the caller's Tensor, sliced when the call runs. */
export type SetMember = BaselineSpec | (() => Tensor);

function setMembers(set: BaselineSetSource, inputShape: readonly number[]): SetMember[] {
  const per = inputShape.reduce((a, b) => a * b, 1);
  if (Array.isArray(set)) return set.length > 0 ? [...(set as BaselineSpec[])] : fail('baseline: the set is empty');
  if (set instanceof Tensor || set instanceof Float32Array || 'data' in set) {
    const size = set instanceof Float32Array ? set.length : set instanceof Tensor ? set.size : set.data.length;
    const shape = set instanceof Float32Array ? [size / per, ...inputShape] : set.shape;
    if (
      size === 0 ||
      size % per !== 0 ||
      shape.length !== inputShape.length + 1 ||
      shape.slice(1).some((d, i) => d !== inputShape[i])
    )
      fail(`baseline: the set has shape ${shapeStr([...shape])}, expected [K, ${inputShape.join(', ')}]`);
    if (!(set instanceof Tensor)) assertFinite(set instanceof Float32Array ? set : set.data, 'baseline set');
    const k = size / per;
    if (set instanceof Tensor) return Array.from({ length: k }, (_, j) => () => sliceBatch(set, j, 1));
    const data = set instanceof Float32Array ? set : set.data;
    return Array.from({ length: k }, (_, j) => data.subarray(j * per, (j + 1) * per));
  }
  if ('uniform' in set) {
    if (!Number.isInteger(set.uniform) || set.uniform < 1) fail('baseline: { uniform: K } needs a positive integer K');
    return new Array<BaselineSpec>(set.uniform).fill('uniform');
  }
  if ('blur' in set && Array.isArray(set.blur) && set.blur.length > 0) return set.blur.map((blur) => ({ blur }));
  return fail(
    'baseline: set must be values [K, ...inputShape], a list of baselines, { uniform: K } or { blur: [σ, ...] }',
  );
}

/** Each member as a baseline per input ([N, ...] each); noise member j is seeded seed + j. */
export function makeBaselineSet(
  engine: Engine,
  members: readonly SetMember[],
  x: Tensor,
  seed: number,
  blur?: BlurFn,
  toInput?: PixelMap,
): Tensor[] {
  const made: Tensor[] = [];
  try {
    for (const [j, m] of members.entries()) {
      const spec = typeof m === 'function' ? m() : m;
      made.push(makeBaseline(engine, spec, x, seed + j, blur, toInput));
      if (spec !== m) (spec as Tensor).dispose(); // a slice: the baseline made of it holds its own reference
    }
    return made;
  } catch (e) {
    made.forEach((t) => t.dispose());
    throw e;
  }
}
