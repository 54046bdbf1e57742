/**
 * Several targets per image (explain()'s `targets`): the same classes for every image, a list per
 * image (equal counts), or the top k of a model's logits. Checked before any GPU work; `top` is
 * decided from the logits read back once, before the method runs.
 */
import { fail } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Explainable } from './subject.js';

/** [7, 2, 5]: these for every image; [[7, 2], [1, 3]]: per image, the same count each; { top: 3 }: a model's top 3. */
export type TargetsSpec = readonly number[] | readonly (readonly number[])[] | { top: number };

/** The targets per image ([N][T]), or { top } to be resolved on the logits. */
export function checkTargets(subject: Explainable, spec: TargetsSpec, n: number): number[][] | { top: number } {
  const k = subject.numClasses;
  if (!Array.isArray(spec)) {
    const top = (spec as { top?: unknown }).top;
    if (typeof top !== 'number' || !Number.isInteger(top) || top < 1)
      fail(`targets: { top } must be a positive integer, got ${String(top)}`);
    if (k === null) fail(`targets: { top: ${top} } needs classes; ${subject.name} has none (give the class indices)`);
    if (top > k) fail(`targets: top ${top} of ${subject.name}'s ${k} classes`);
    return { top };
  }
  if (spec.length === 0) fail('targets: give at least one class');
  const perImage = Array.isArray(spec[0]);
  const lists = perImage ? (spec as readonly (readonly number[])[]).map((l) => [...l]) : [[...(spec as number[])]];
  if (perImage && lists.length !== n) fail(`targets: ${lists.length} lists of classes for ${n} inputs`);
  if (lists.some((l) => !Array.isArray(l) || l.length !== lists[0]!.length || l.length === 0))
    fail('targets: every image needs the same number of classes (at least one)');
  for (const [i, l] of lists.entries())
    for (const v of l)
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (k !== null && v >= k))
        fail(
          `targets: class ${String(v)} for input ${i} is out of range: ${subject.name} has ${k === null ? 'non-negative class indices' : `classes 0..${k - 1}`}`,
        );
  return perImage ? lists : Array.from({ length: n }, () => [...lists[0]!]);
}

/** The top k classes per image, highest first, from the model's logits (read back once). */
export async function topTargets(x: Tensor, top: number, logits: (x: Tensor) => Tensor): Promise<number[][]> {
  const t = logits(x);
  const scores = await t.download();
  t.dispose();
  const k = scores.length / x.shape[0]!;
  return Array.from({ length: x.shape[0]! }, (_, i) =>
    Array.from(scores.subarray(i * k, (i + 1) * k), (v, c) => [v, c] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, top)
      .map(([, c]) => c),
  );
}
