/**
 * IG2's key on the seam (subject.ts): `distance`, asked of the batch [z; z] of 2P rows for the P
 * (image, reference) pairs of `request.ig2`. Rows ≥ P carry the representation distance to their
 * pair's reference; with `grad` also wanted, grad holds ∇f at rows < P and the distance's descent
 * direction at rows ≥ P (its length does not matter: IG2 normalises it). A model answers in one
 * forward and one backward (model.ts), a function through its ig2 callback (functions.ts).
 */
import type { Tensor } from '../../../tensor/tensor.js';

/** [2P]: the distance at rows ≥ P, in units of 1/scale */
export interface Ig2Distance {
  values: Tensor;
  scale: number;
}

declare module '../../subject.js' {
  interface Evaluation {
    /** IG2's representation distance (request.ig2 names the pairs) */
    distance: Ig2Distance;
  }
  interface EvaluationRequest {
    /** the (image, reference) pairs of an IG2 search, for the `distance` key */
    ig2?: Ig2Pairs;
  }
}

/** One IG2 search's pairs. A subject keeps what it needs for the whole search on it (`keep`), released by dispose(). */
export class Ig2Pairs {
  private readonly kept = new Map<object, { value: unknown; release: () => void }>();
  /**
   * @param references reference inputs [refRows, ...inputShape]; pair p uses row p mod refRows
   * @param referencesPerImage pairs per image (rows < P of image i are i·R … i·R + R − 1)
   */
  constructor(
    readonly references: Tensor,
    readonly pairs: number,
    readonly referencesPerImage: number,
  ) {}

  /** What `owner` keeps for this search: made on its first evaluation, released with the search. */
  keep<T>(owner: object, make: () => T, release: (value: T) => void): T {
    let k = this.kept.get(owner);
    if (!k) {
      const value = make();
      this.kept.set(owner, (k = { value, release: () => release(value) }));
    }
    return k.value as T;
  }

  dispose(): void {
    for (const k of this.kept.values()) k.release();
    this.kept.clear();
  }
}
