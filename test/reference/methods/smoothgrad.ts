/**
 * SmoothGrad around any attribution method: the mean of method(x + ε), ε ~ N(0, σ²) per feature.
 * σ is either relative, noiseLevel·(max(x) − min(x)) (PAIR), or absolute, noiseStd (Captum).
 * magnitude = true averages squared maps (PAIR's default; Captum's 'smoothgrad_sq').
 * No default is baked in: pass one of the two presets below or explicit options.
 */
export interface NormalSource {
  /** n independent N(0, std²) draws (test/harness/random.ts's Rng fits). */
  normal(n: number, std?: number): Float64Array;
}

export type SmoothGradNoise = { noiseLevel: number } | { noiseStd: number };

export type SmoothGradOptions = SmoothGradNoise & {
  samples: number;
  magnitude: boolean;
  /** Seeded source, so results are reproducible and the GPU side can replay the draws. */
  rng: NormalSource;
};

export const SMOOTHGRAD_PAIR = { samples: 25, noiseLevel: 0.15, magnitude: true } as const;
export const SMOOTHGRAD_CAPTUM = { samples: 5, noiseStd: 1, magnitude: false } as const;

export interface SmoothGradResult {
  attribution: Float64Array;
  sigma: number;
  samples: number;
  /** The ε drawn for each sample, in order. */
  noises: Float64Array[];
}

export function noiseSigma(x: Float64Array, noise: SmoothGradNoise): number {
  if ('noiseStd' in noise) return noise.noiseStd;
  let min = Infinity;
  let max = -Infinity;
  for (const v of x) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return noise.noiseLevel * (max - min);
}

export function smoothGrad(
  method: (x: Float64Array) => Float64Array,
  x: Float64Array,
  opts: SmoothGradOptions,
): SmoothGradResult {
  if (!Number.isInteger(opts.samples) || opts.samples < 1)
    throw new Error(`smoothGrad: samples must be ≥ 1, got ${opts.samples}`);
  const sigma = noiseSigma(x, opts);
  const total = new Float64Array(x.length);
  const noises: Float64Array[] = [];
  for (let s = 0; s < opts.samples; s++) {
    const noise = opts.rng.normal(x.length, sigma);
    noises.push(noise);
    const a = method(x.map((v, i) => v + noise[i]!));
    for (let i = 0; i < total.length; i++) total[i]! += opts.magnitude ? a[i]! * a[i]! : a[i]!;
  }
  return { attribution: total.map((v) => v / opts.samples), sigma, samples: opts.samples, noises };
}
