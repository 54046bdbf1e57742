/**
 * IG2's "relevant references" (Zhuo & Ge 2024; METHODS.md): images of the explicand's next most
 * likely classes. From a pool of candidate images, for each explicand and each of its `count` most
 * likely classes other than its target, the pool image the model finds most typical of that class
 * (highest softmax probability among pool images predicted as that class). When no pool image is
 * predicted as a class, the free pool image with the highest probability of it stands in. One batched forward of explicands + pool and one readback, before any path work;
 * the result feeds `explain(…, { method: 'ig2', methodOptions: { references, referencesPerImage } })`.
 */
import type { Engine } from '../../../gpu/engine.js';
import { fail } from '../../../errors.js';
import type { Model } from '../../../nn/model.js';
import { softmax } from '../../../ops/softmax.js';
import { concatBatch } from '../../../tensor/batch.js';
import { Tensor } from '../../../tensor/tensor.js';

export interface RelevantReferenceOptions {
  /** references per explicand (R) */
  count: number;
  /** each explicand's target class (default: its top-1 class) */
  targets?: readonly number[];
}

export interface RelevantReferences {
  /** N·R images [N·R, C, H, W]: explicand i's references at rows i·R … i·R + R − 1 */
  references: Float32Array;
  referencesPerImage: number;
  /** per explicand: the classes referenced and the pool index chosen for each */
  picks: { target: number; classes: number[]; poolIndices: number[] }[];
}

function argmax(v: Float32Array, start: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (v[start + k]! > v[start + best]!) best = k;
  return best;
}

function sameImage(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export async function pickRelevantReferences(
  engine: Engine,
  model: Model,
  images: Float32Array,
  pool: Float32Array,
  opts: RelevantReferenceOptions,
): Promise<RelevantReferences> {
  const op = 'pickRelevantReferences';
  const features = model.info.inputShape.reduce((a, b) => a * b, 1);
  const classes = model.info.numClasses;
  const { count } = opts;
  if (!Number.isInteger(count) || count < 1 || count >= classes)
    fail(`${op}: count must be an integer in [1, ${classes - 1}], got ${count}`);
  for (const [what, a] of [
    ['images', images],
    ['pool', pool],
  ] as const) {
    if (a.length === 0 || a.length % features !== 0)
      fail(`${op}: ${what} hold ${a.length} values, not whole images of shape [${model.info.inputShape.join(', ')}]`);
    if (!a.every(Number.isFinite)) fail(`${op}: ${what} contain NaN or Infinity`);
  }
  const n = images.length / features;
  const m = pool.length / features;
  if (opts.targets && opts.targets.length !== n) fail(`${op}: ${opts.targets.length} targets for ${n} images`);

  // one forward of [images; pool] and one readback of the softmax rows
  const xs = Tensor.from(engine, images, [n, ...model.info.inputShape], { label: `${op} images` });
  const ps = Tensor.from(engine, pool, [m, ...model.info.inputShape], { label: `${op} pool` });
  const both = concatBatch([xs, ps]);
  const logits = model.logits(both);
  const probs = softmax(logits);
  for (const t of [xs, ps, both, logits]) t.dispose();
  const p = await probs.download();
  probs.dispose();

  const poolClass = Array.from({ length: m }, (_, j) => argmax(p, (n + j) * classes, classes));
  const prob = (row: number, c: number) => p[row * classes + c]!;
  const references = new Float32Array(n * count * features);
  const picks: RelevantReferences['picks'] = [];
  for (let i = 0; i < n; i++) {
    const target = opts.targets?.[i] ?? argmax(p, i * classes, classes);
    if (!Number.isInteger(target) || target < 0 || target >= classes)
      fail(`${op}: target ${target} of image ${i} is not a class index in [0, ${classes})`);
    const x = images.subarray(i * features, (i + 1) * features);
    const others = [...Array(classes).keys()].filter((c) => c !== target).sort((a, b) => prob(i, b) - prob(i, a));
    const chosenClasses: number[] = [];
    const chosen: number[] = [];
    const candidates = [...Array(m).keys()].filter(
      (j) => !sameImage(pool.subarray(j * features, (j + 1) * features), x),
    );
    for (const c of others) {
      if (chosen.length === count) break;
      const free = candidates.filter((j) => !chosen.includes(j));
      const typical = free.filter((j) => poolClass[j] === c);
      const pickFrom = typical.length > 0 ? typical : free;
      if (pickFrom.length === 0) continue;
      const best = pickFrom.reduce((a, b) => (prob(n + b, c) > prob(n + a, c) ? b : a));
      chosenClasses.push(c);
      chosen.push(best);
    }
    if (chosen.length < count)
      fail(
        `${op}: the pool of ${m} images holds only ${chosen.length} usable references for image ${i} (predicted class ${target}), ${count} needed`,
      );
    chosen.forEach((j, r) =>
      references.set(pool.subarray(j * features, (j + 1) * features), (i * count + r) * features),
    );
    picks.push({ target, classes: chosenClasses, poolIndices: chosen });
  }
  return { references, referencesPerImage: count, picks };
}
