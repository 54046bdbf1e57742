/** Shared by the ROAD tests: the imputation kernel against the float64 direct solve. */
import type { Engine } from '../../src/gpu/engine.js';
import { noisyLinearImputation, standardNormals } from '../../src/metrics/index.js';
import { rankPixels } from '../../src/metrics/pixel-order.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { noisyLinearImputation as refImputation } from '../reference/metrics/road.js';
import { maxAbsDiff } from './assert.js';
import { Rng } from './random.js';

/** A smooth saliency (a blob off-centre): MoRF removes one disc, LeRF everything around it. */
export function blobSaliency(h: number, w: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: h * w }, (_, p) => {
    const r = Math.floor(p / w) - 0.4 * h;
    const c = (p % w) - 0.55 * w;
    return -Math.hypot(r, c) + 0.01 * rng.next();
  });
}

/**
 * Worst |GPU − float64 direct solve| over images that remove, at each level, the blob's MoRF and
 * LeRF sets, plus a scattered half and a scattered 99 %.
 */
export async function imputationError(
  engine: Engine,
  [c, h, w]: readonly [number, number, number],
  levels: readonly number[],
): Promise<number> {
  const rng = new Rng(h);
  const hw = h * w;
  const x = Float32Array.from(rng.uniform(c * hw, 0, 1));
  const order = Array.from(rankPixels(blobSaliency(h, w, rng)));
  const random = Array.from(rankPixels(rng.uniform(hw)));
  // [pixel order, level] per image: the blob's MoRF and LeRF, and a scattered order at 50 % and 99 %
  const sets: number[][] = [];
  for (const pct of levels) {
    const count = Math.floor((hw * pct) / 100);
    sets.push(order.slice(0, count), [...order].reverse().slice(0, count));
  }
  sets.push(random.slice(0, hw / 2), random.slice(0, Math.floor(hw * 0.99)));
  const k = sets.length;
  const removed = new Float32Array(k * hw);
  sets.forEach((s, i) => s.forEach((p) => (removed[i * hw + p] = 1)));
  const noise = standardNormals(k * c * hw, 5);
  const sigma = 0.01;

  const image = Tensor.from(engine, x, [1, c, h, w]);
  const masks = Tensor.from(engine, removed, [k, hw]);
  const normals = Tensor.from(engine, noise, [k, c, h, w]);
  const out = noisyLinearImputation(image, masks, normals, { sigma });
  const got = await out.download();
  for (const t of [image, masks, normals, out]) t.dispose();

  let worst = 0;
  sets.forEach((s, i) => {
    const want = refImputation(x, [c, h, w], s, noise.subarray(i * c * hw, (i + 1) * c * hw), sigma);
    worst = Math.max(worst, maxAbsDiff(got.subarray(i * c * hw, (i + 1) * c * hw), want));
  });
  return worst;
}
