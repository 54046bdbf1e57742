/**
 * Which images an evaluation scores: a half-open index range of a dataset split (`--range 0:200`),
 * and the k-th of n disjoint contiguous slices of it (`--shard k/n`, k counted from 0 so that a
 * Kubernetes JOB_COMPLETION_INDEX or a 0-based Slurm array index can be passed as it is).
 */
import { PathlightError } from '../../errors.js';

export interface IndexRange {
  /** first index */
  start: number;
  /** one past the last index */
  end: number;
}

export interface Shard {
  k: number;
  n: number;
}

const INTEGER = /^(0|[1-9]\d*)$/;

/** `a:b` (a < b), or `N` for 0:N. */
export function parseRange(text: string, flag = '--range'): IndexRange {
  const parts = text.split(':');
  if (parts.length > 2 || !parts.every((p) => INTEGER.test(p)))
    throw new PathlightError(`${flag} ${text}: expected start:end (e.g. 0:200), non-negative integers`);
  const [start, end] = parts.length === 2 ? parts.map(Number) : [0, Number(parts[0])];
  if (!(end! > start!)) throw new PathlightError(`${flag} ${text}: the end must be greater than the start`);
  return { start: start!, end: end! };
}

/** `k/n` with 0 ≤ k < n. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 1) || !(k < n))
    throw new PathlightError(`--shard ${text}: expected k/n with 0 ≤ k < n (k counts from 0), e.g. 0/4`);
  return { k, n };
}

/** The k-th of n contiguous slices of `range`, sizes differing by at most one; refuses an empty slice. */
export function shardSlice(range: IndexRange, shard: Shard): IndexRange {
  const size = range.end - range.start;
  if (shard.n > size)
    throw new PathlightError(`--shard ${shard.k}/${shard.n}: ${shard.n} shards of ${size} image(s) leave some empty`);
  const at = (k: number) => range.start + Math.floor((k * size) / shard.n);
  return { start: at(shard.k), end: at(shard.k + 1) };
}

export const rangeIndices = (r: IndexRange): number[] => Array.from({ length: r.end - r.start }, (_, i) => r.start + i);

/** Whether two half-open ranges share an index. */
export const overlaps = (a: IndexRange, b: IndexRange): boolean => a.start < b.end && b.start < a.end;
