/**
 * IG2's candidate references: a fixed, seeded draw of `size` images from the training split, or
 * from the evaluated split outside the whole evaluated range (not only this shard's slice), so the
 * pool is the same for every shard and never holds an evaluated image.
 */
import { PathlightError } from '../../errors.js';
import type { Split } from '../../data/datasets.js';
import { imageSeed, uniformRng } from '../../metrics/seeds.js';
import type { IndexRange } from './slices.js';

export interface ReferencePoolSpec {
  split: Split;
  size: number;
  seed: number;
  /** the drawn indices of `split`, in draw order */
  indices: number[];
}

/** A stream index no image uses, so the pool's draw is not image 0's. */
const POOL_STREAM = 0xffffffff;

/**
 * `size` distinct indices of a split of `splitSize` images (a partial Fisher–Yates shuffle seeded by
 * `seed`), avoiding `exclude` when the pool comes from the evaluated split.
 */
export function drawReferencePool(
  split: Split,
  splitSize: number,
  size: number,
  seed: number,
  exclude: IndexRange | null,
): ReferencePoolSpec {
  const allowed = (i: number) => !exclude || i < exclude.start || i >= exclude.end;
  const candidates = Array.from({ length: splitSize }, (_, i) => i).filter(allowed);
  if (size < 1 || size > candidates.length)
    throw new PathlightError(
      `IG2's reference pool: ${size} image(s) asked for, ${candidates.length} available in the ${split} split outside the evaluated range`,
    );
  const rand = uniformRng(imageSeed(seed, POOL_STREAM));
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (candidates.length - i));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  return { split, size, seed, indices: candidates.slice(0, size) };
}
