/**
 * Seeded perturbations of the Quantus-style metrics, drawn on the CPU once per call so that the
 * GPU and a float64 reference can be given the very same arrays: standard normals (ROAD's noise),
 * uniform noise (max/avg-sensitivity), random pixel subsets (faithfulness correlation) and
 * square patches (infidelity).
 */
import { fail } from '../errors.js';
import { seededRandom } from '../nn/init.js';

/** n standard normals (Box–Muller on mulberry32). */
export function standardNormals(n: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

/** n values uniform in [lo, hi) (Quantus `uniform_noise`: U(−lower_bound, lower_bound) by default). */
export function uniformNoise(n: number, lo: number, hi: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

/** `runs` subsets of `size` distinct pixels out of `pixels` (partial Fisher–Yates each), as [runs, size]. */
export function randomSubsets(pixels: number, size: number, runs: number, seed: number): Int32Array {
  if (!Number.isInteger(size) || size < 1 || size > pixels)
    fail(`randomSubsets: subset size ${size} must be an integer in [1, ${pixels}]`);
  const rand = seededRandom(seed);
  const out = new Int32Array(runs * size);
  const pool = new Int32Array(pixels);
  for (let r = 0; r < runs; r++) {
    for (let p = 0; p < pixels; p++) pool[p] = p;
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(rand() * (pixels - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      out[r * size + i] = pool[i]!;
    }
  }
  return out;
}

/**
 * One 0/1 pixel mask per square patch of side `patch` tiling an H×W image from the top left
 * (Quantus Infidelity's patches; edge patches are cut at the border) → [patches, H·W].
 */
export function patchMasks(h: number, w: number, patch: number): Float32Array {
  if (!Number.isInteger(patch) || patch < 1 || patch > Math.min(h, w))
    fail(`patchMasks: patch size ${patch} must be an integer in [1, ${Math.min(h, w)}]`);
  const rows = Math.ceil(h / patch);
  const cols = Math.ceil(w / patch);
  const masks = new Float32Array(rows * cols * h * w);
  for (let pr = 0; pr < rows; pr++)
    for (let pc = 0; pc < cols; pc++)
      for (let r = pr * patch; r < Math.min(h, (pr + 1) * patch); r++)
        for (let c = pc * patch; c < Math.min(w, (pc + 1) * patch); c++)
          masks[(pr * cols + pc) * h * w + r * w + c] = 1;
  return masks;
}
