/**
 * ROAD's noisy linear imputation on the GPU (Rong et al. 2022, arXiv 2202.00449; Quantus @ 85bc29d,
 * quantus/functions/perturb_func.py `noisy_linear_imputation`): each removed pixel is the weighted
 * mean of its in-image 8-neighbours (1/6 edge, 1/12 diagonal), removed ones included, plus σ·noise.
 * Quantus solves that sparse system with a direct solver; here one workgroup per (image, channel)
 * plane runs a fixed number of Jacobi-preconditioned conjugate-gradient steps. 128 steps reach the
 * float64 direct solve to ~1e-6 on 28² and 32² planes even with 99 % removed (measured in float32
 * arithmetic, test/metrics-road.test.ts checks 1e-4); a converged plane stays put (no 0/0).
 */
import source from '../../shaders/metrics/noisy_linear_imputation.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Conjugate-gradient steps per plane (default). */
export const IMPUTATION_ITERATIONS = 128;

export interface ImputationOptions {
  /** σ of the added noise (ROAD and Quantus: 0.01) */
  sigma: number;
  iterations?: number;
}

/**
 * image [1, C, H, W]; removed [K, H·W] (1 = impute, 0 = keep); noise [K, C, H, W] standard normals
 * → [K, C, H, W]: image k with its removed pixels imputed (all channels), plus σ·noise there.
 */
export function noisyLinearImputation(image: Tensor, removed: Tensor, noise: Tensor, opts: ImputationOptions): Tensor {
  const op = 'noisyLinearImputation';
  const [n, c, h, w] = image.shape as [number, number, number, number];
  if (image.rank !== 4 || n !== 1) fail(`${op}: image must be [1, C, H, W], got ${shapeStr(image.shape)}`);
  const k = removed.shape[0]!;
  if (removed.rank !== 2 || removed.shape[1] !== h * w)
    fail(`${op}: removed must be [K, ${h * w}] (one mask per image), got ${shapeStr(removed.shape)}`);
  if (noise.shape.join() !== [k, c, h, w].join())
    fail(`${op}: noise ${shapeStr(noise.shape)} must be [${k}, ${c}, ${h}, ${w}]`);
  const iterations = opts.iterations ?? IMPUTATION_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 0)
    fail(`${op}: iterations must be an integer ≥ 0, got ${iterations}`);
  if (!(opts.sigma >= 0 && Number.isFinite(opts.sigma)))
    fail(`${op}: sigma must be a finite number ≥ 0, got ${opts.sigma}`);
  const planes = k * c;
  const engine = image.engine;
  const images = Tensor.empty(engine, [k, c, h, w], 'imputed images');
  const work = Tensor.empty(engine, [3, planes, h * w], 'imputation work');
  const sizes = new ArrayBuffer(24);
  new Uint32Array(sizes, 0, 5).set([planes, c, h, w, iterations]);
  new Float32Array(sizes, 20, 1)[0] = opts.sigma;
  engine.run({
    op: 'noisy_linear_imputation',
    source,
    bindings: { x: image, removed, noise, images, work, sizes },
    grid: engine.grid1d(planes, 1),
  });
  work.dispose();
  return images;
}
