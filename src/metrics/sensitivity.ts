/**
 * Max- and avg-sensitivity (Yeh et al. 2019; Quantus @ 85bc29d,
 * quantus/metrics/robustness/max_sensitivity.py and avg_sensitivity.py): for samples x̃ = x + u,
 * u uniform in [−bound, bound] per value, s = ‖a(x) − a(x̃)‖₂ / ‖a(x)‖₂ (Quantus: similarity
 * `difference`, Frobenius norms; its denominator is the unperturbed attribution, where older
 * releases divided by ‖x‖); max-sensitivity is the largest s, avg-sensitivity the mean. Quantus's
 * bound 0.2 is kept (inputs in [0, 1]); its 200 samples cost 200 explanations per image, so the
 * default here is 16 (`samples`, stated in docs/metrics.md). The explanations of every sample
 * are asked for in one batch (`explainBatch`, e.g. explain() of the attribution method, for the
 * same target and options as `attribution`); the norms are taken on the host.
 */
import { fail } from '../errors.js';
import { uniformNoise } from './perturbations.js';

/** images [K·D] → their attributions [K·D] (one batched explain() call). */
export type ExplainBatch = (images: Float32Array) => Promise<ArrayLike<number>>;

export interface SensitivityOptions {
  /** perturbed samples (Quantus: 200; default 16) */
  samples?: number;
  /** noise bound: u ~ U(−bound, bound) (Quantus lower_bound: 0.2) */
  bound?: number;
  /** seed of the noise (default 0); ignored when `noise` is given */
  seed?: number;
  /** the noise itself: [samples, D] */
  noise?: Float32Array;
}

export interface SensitivityResult {
  /** lower is better */
  maxSensitivity: number;
  avgSensitivity: number;
  /** ‖a(x) − a(x̃)‖ / ‖a(x)‖ per sample */
  sensitivities: Float64Array;
}

export async function sensitivity(
  explainBatch: ExplainBatch,
  x: Float32Array,
  attribution: ArrayLike<number>,
  opts: SensitivityOptions = {},
): Promise<SensitivityResult> {
  const op = 'sensitivity';
  const d = x.length;
  if (attribution.length !== d) fail(`${op}: attribution has ${attribution.length} values, x has ${d}`);
  const samples = opts.samples ?? (opts.noise ? opts.noise.length / d : 16);
  if (!Number.isInteger(samples) || samples < 1) fail(`${op}: samples must be an integer ≥ 1, got ${samples}`);
  const bound = opts.bound ?? 0.2;
  if (!(bound >= 0 && Number.isFinite(bound))) fail(`${op}: bound must be a finite number ≥ 0, got ${bound}`);
  const noise = opts.noise ?? uniformNoise(samples * d, -bound, bound, opts.seed ?? 0);
  if (noise.length !== samples * d) fail(`${op}: noise has ${noise.length} values, expected ${samples}×${d}`);
  let aNorm = 0;
  for (let i = 0; i < d; i++) aNorm += attribution[i]! ** 2;
  aNorm = Math.sqrt(aNorm);
  if (aNorm === 0) fail(`${op}: the attribution is all zeros (the sensitivity divides by its norm)`);

  const perturbed = new Float32Array(samples * d);
  for (let i = 0; i < perturbed.length; i++) perturbed[i] = x[i % d]! + noise[i]!;
  const explained = await explainBatch(perturbed);
  if (explained.length !== samples * d)
    fail(`${op}: explainBatch returned ${explained.length} values for ${samples} images of ${d}`);
  const sensitivities = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let sq = 0;
    for (let i = 0; i < d; i++) sq += (attribution[i]! - explained[s * d + i]!) ** 2;
    sensitivities[s] = Math.sqrt(sq) / aNorm;
  }
  let max = -Infinity;
  let sum = 0;
  for (const v of sensitivities) {
    max = Math.max(max, v);
    sum += v;
  }
  return { maxSensitivity: max, avgSensitivity: sum / samples, sensitivities };
}
