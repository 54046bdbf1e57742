/**
 * The Quantus-style metrics of one image's attribution, by name, with the parameters of
 * docs/metrics.md (scaled to 28² / 32² images), each reduced to one number: the unit of
 * evaluateMethods() and `pathlight eval --metrics`. Per-pixel metrics take the signed channel
 * sum (Quantus's [1, H, W] attributions); draws come from `seed`.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { complexity, sparseness } from './complexity.js';
import { faithfulnessCorrelation } from './faithfulness-correlation.js';
import { infidelity } from './infidelity.js';
import { reduceToPixels } from './pixel-order.js';
import { road } from './road.js';
import { sensitivity, type ExplainBatch } from './sensitivity.js';

export const QUANTUS_METRICS = [
  'road',
  'faithfulness-correlation',
  'infidelity',
  'sensitivity',
  'sparseness',
  'complexity',
] as const;
export type QuantusMetric = (typeof QUANTUS_METRICS)[number];

export interface QuantusScores {
  /** ROAD: fraction of the levels (10 … 90 %) at which the target is still predicted; lower is better */
  roadMorf?: number;
  /** higher is better */
  roadLerf?: number;
  /** higher is better */
  faithfulnessCorrelation?: number;
  /** lower is better */
  infidelity?: number;
  /** lower is better; null where no explainBatch was given (e.g. IG2, whose references are per image) */
  maxSensitivity?: number | null;
  avgSensitivity?: number | null;
  /** higher is sparser */
  sparseness?: number;
  /** lower is simpler */
  complexity?: number;
}

export interface QuantusScoreOptions {
  target: number;
  seed?: number;
  /** sensitivity: explanations of perturbed copies of x, as `attribution` was made */
  explainBatch?: ExplainBatch;
  /** sensitivity samples (default 16) */
  sensitivitySamples?: number;
}

export function checkQuantusMetrics(names: readonly string[], what: string): QuantusMetric[] {
  for (const n of names)
    if (!(QUANTUS_METRICS as readonly string[]).includes(n))
      fail(`${what}: unknown metric '${n}' (known: ${QUANTUS_METRICS.join(', ')})`);
  return names as QuantusMetric[];
}

export async function quantusScores(
  engine: Engine,
  model: Model,
  x: Float32Array,
  attribution: Float32Array,
  metrics: readonly QuantusMetric[],
  opts: QuantusScoreOptions,
): Promise<QuantusScores> {
  const shape = imageInputShape(model.info, 'quantusScores (image metrics)');
  const seed = opts.seed ?? 0;
  const pixels = reduceToPixels(attribution, shape, 'sum');
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const out: QuantusScores = {};
  for (const name of metrics) {
    if (name === 'road') {
      const r = await road(engine, model, x, attribution, { target: opts.target, seed });
      out.roadMorf = mean(r.morf.correct);
      out.roadLerf = mean(r.lerf.correct);
    } else if (name === 'faithfulness-correlation') {
      const r = await faithfulnessCorrelation(engine, model, x, attribution, { target: opts.target, seed });
      out.faithfulnessCorrelation = r.correlation;
    } else if (name === 'infidelity') {
      out.infidelity = (await infidelity(engine, model, x, pixels, { target: opts.target })).infidelity;
    } else if (name === 'sensitivity') {
      const r =
        opts.explainBatch && attribution.some((v) => v !== 0)
          ? await sensitivity(opts.explainBatch, x, attribution, { seed, samples: opts.sensitivitySamples })
          : null;
      out.maxSensitivity = r?.maxSensitivity ?? null; // null also for an all-zero attribution (s = ·/0)
      out.avgSensitivity = r?.avgSensitivity ?? null;
    } else if (name === 'sparseness') out.sparseness = sparseness(pixels);
    else out.complexity = complexity(pixels);
  }
  return out;
}

/** Per key, the mean of the finite values over images (null where there are none). */
export function meanScores(rows: readonly QuantusScores[]): QuantusScores {
  const out: Record<string, number | null> = {};
  const keys = new Set(rows.flatMap((r) => Object.keys(r)));
  for (const k of keys) {
    const vs = rows.map((r) => r[k as keyof QuantusScores]).filter((v): v is number => Number.isFinite(v));
    out[k] = vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
  }
  return out as QuantusScores;
}
