/**
 * Faithfulness of several attribution methods on the same images, IDGI-paper style: per method,
 * one batched explain() of all images, then per image insertion AUC (from the blurred image),
 * deletion AUC (to black), SIC and AIC AUC (PIC with MS-SSIM as the information level), the Gini
 * sparsity of |attr| and, where the method promises it, the completeness error; optionally the
 * Quantus-style metrics (ROAD, faithfulness correlation, infidelity, sensitivity, sparseness,
 * complexity: quantus-scores.ts). Reported per image and as means over images (PIC: over the images
 * pic.py does not skip). Images are explained in chunks of `batchSize`; every draw of image i is
 * seeded by its dataset index (seeds.ts), so a value depends on the image, never on its batch or shard
 * (eval-summary.ts turns the per-image values into intervals). Used by `pathlight eval` and `npm run reproduce`.
 */
import type { Engine } from '../gpu/engine.js';
import { fail } from '../errors.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { explain, type ExplainOptions } from '../attribution/explain.js';
import { getMethod } from '../attribution/registry.js';
import type { BaselineSpec } from '../attribution/baselines.js';
import { pickRelevantReferences } from '../attribution/methods/ig2/references.js';
import { completenessError } from './completeness.js';
import { gini } from './gini.js';
import { insertionDeletion } from './insertion-deletion.js';
import { picCurves, type PicKind } from './pic.js';
import { checkQuantusMetrics, meanScores, quantusScores, type QuantusScores } from './quantus-scores.js';
import { imageSeed } from './seeds.js';

/** PAIR's PIC thresholds (saliency/metrics/pic.py examples). */
export const PIC_THRESHOLDS = [0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.21, 0.34, 0.5, 0.75];

export interface EvaluateMethodsOptions {
  /** explain() method names; `smoothgrad` = SmoothGrad of the gradient, `smoothgrad:<m>` of m */
  methods: readonly string[];
  /** path steps of every path method (default 64) */
  steps?: number;
  baseline?: BaselineSpec;
  /** IG2: references per image, picked from `referencePool` (default 2) */
  ig2References?: number;
  /** IG2: candidate reference images [M, C, H, W] (the relevant ones are picked per image) */
  referencePool?: Float32Array;
  /** insertion/deletion checkpoints (default 32) */
  curveSteps?: number;
  /** σ of the blurred image (insertion start, PIC) in pixels (default 5) */
  blurSigma?: number;
  /** seed of PIC's random 1 % mask and of the Quantus-style metrics' draws (image i: imageSeed(seed, indices[i]); default 0) */
  seed?: number;
  /** the images' dataset indices, which seed their draws (default 0 … n − 1) */
  indices?: readonly number[];
  /** images per explain() call (default 16); the values do not depend on it */
  batchSize?: number;
  /** Quantus-style metrics to add (QUANTUS_METRICS names; default none) */
  quantusMetrics?: readonly string[];
  /** samples of max/avg-sensitivity (default 16) */
  sensitivitySamples?: number;
  onMethod?: (method: string, index: number) => void;
  /** after each image's metrics: images done of this method */
  onImage?: (method: string, done: number, total: number) => void;
}

/** Per-image values, in the images' order (null: undefined for that image, e.g. skipped by PIC). */
export interface PerImageValues {
  insertionAuc: number[];
  deletionAuc: number[];
  sicAuc: (number | null)[];
  aicAuc: (number | null)[];
  gini: number[];
  /** null for methods without a completeness check */
  completenessError: number[] | null;
  /** the requested Quantus-style metrics, per image */
  quantus?: Record<string, (number | null)[]>;
}

export interface MethodEvaluation {
  method: string;
  steps: number;
  images: number;
  /** wall time of the batched explain() divided by the number of images */
  msPerImage: number;
  gradientEvaluations: number;
  /** mean over images; higher is better */
  insertionAuc: number;
  /** mean over images; lower is better */
  deletionAuc: number;
  /** mean over the PIC images (null when pic.py skipped every image); higher is better */
  sicAuc: number | null;
  aicAuc: number | null;
  /** images PIC did not skip (prediction ≥ 0.8, blurred image less informative and less confident) */
  picImages: number;
  /** mean Gini index of |attr| */
  gini: number;
  /** mean relative completeness error (IG2: its approximate gap), for methods with a check (not grad, SmoothGrad) */
  completenessError: number | null;
  /** means over images of the requested Quantus-style metrics */
  quantus?: QuantusScores;
  perImage: PerImageValues;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

function randomMask(pixels: number, fraction: number, seed: number): Uint8Array {
  const mask = new Uint8Array(pixels);
  let s = (seed * 2654435761 + 1) >>> 0;
  for (let p = 0; p < pixels; p++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    mask[p] = s / 2 ** 32 < fraction ? 1 : 0;
  }
  return mask;
}

/** explain()'s options for a method name of eval / sanity (`smoothgrad[:<m>]` wraps m, default the gradient). */
export function explainOptions(
  method: string,
  steps: number,
  baseline: BaselineSpec | undefined,
): ExplainOptions<string> {
  const sg = method === 'smoothgrad' || method.startsWith('smoothgrad:');
  const name = sg ? (method.split(':')[1] ?? 'grad') : method;
  // methods with their own start (grad, Blur IG, IG2) refuse a baseline: the comparison's baseline is for the others
  return { method: name, steps, ...(getMethod(name).ownStart ? {} : { baseline }), ...(sg && { smoothgrad: true }) };
}

export async function evaluateMethods(
  engine: Engine,
  model: Model,
  images: Float32Array,
  opts: EvaluateMethodsOptions,
): Promise<MethodEvaluation[]> {
  const op = 'evaluateMethods';
  const [c, h, w] = imageInputShape(model.info, `${op} (image-only metrics)`);
  const features = c * h * w;
  if (images.length === 0 || images.length % features !== 0)
    fail(`${op}: ${images.length} values are not whole images of shape [${c}, ${h}, ${w}]`);
  if (opts.methods.length === 0) fail(`${op}: no methods`);
  const n = images.length / features;
  const steps = opts.steps ?? 64;
  const blurSigma = opts.blurSigma ?? 5;
  const mask = randomMask(h * w, 0.01, opts.seed ?? 0);
  const quantusMetrics = checkQuantusMetrics(opts.quantusMetrics ?? [], op);
  const indices = opts.indices ?? Array.from({ length: n }, (_, i) => i);
  if (indices.length !== n) fail(`${op}: ${indices.length} indices for ${n} images`);
  const batchSize = opts.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`${op}: batchSize must be a positive integer`);
  const results: MethodEvaluation[] = [];
  for (const [index, method] of opts.methods.entries()) {
    opts.onMethod?.(method, index);
    const options = explainOptions(method, steps, opts.baseline);
    const perImage: PerImageValues = {
      insertionAuc: [],
      deletionAuc: [],
      sicAuc: [],
      aicAuc: [],
      gini: [],
      completenessError: [],
      ...(quantusMetrics.length && { quantus: {} }),
    };
    let timeMs = 0;
    let gradientEvaluations = 0;
    let returnedSteps = steps;
    let checked = false;
    for (let first = 0; first < n; first += batchSize) {
      const count = Math.min(batchSize, n - first);
      const chunk = images.subarray(first * features, (first + count) * features);
      if (options.method === 'ig2') {
        if (!opts.referencePool) fail(`${op}: ig2 needs referencePool (candidate reference images)`);
        const picked = await pickRelevantReferences(engine, model, chunk, opts.referencePool, {
          count: opts.ig2References ?? 2,
        });
        options.methodOptions = { references: picked.references, referencesPerImage: picked.referencesPerImage };
      }
      const r = await explain(engine, model, chunk, options);
      timeMs += r.timeMs;
      gradientEvaluations += r.gradientEvaluations;
      returnedSteps = r.steps;
      checked = r.check !== 'none';
      for (let j = 0; j < count; j++) {
        const i = first + j;
        const x = chunk.subarray(j * features, (j + 1) * features);
        const a = r.attribution.subarray(j * features, (j + 1) * features);
        const im = r.images[j]!;
        const target = im.target;
        const curves = await insertionDeletion(engine, model, x, a, {
          target,
          steps: opts.curveSteps,
          reference: 'blur',
          deletionReference: 'black',
          blurSigma,
        });
        perImage.insertionAuc.push(curves.insertion.auc);
        perImage.deletionAuc.push(curves.deletion.auc);
        perImage.gini.push(gini(a));
        if (checked) perImage.completenessError!.push(completenessError(im.sum, im.fx, im.fStart).relative);
        const outcomes = await picCurves(engine, model, x, a, {
          thresholds: PIC_THRESHOLDS,
          blurSigma,
          randomMask: mask,
        });
        perImage.sicAuc.push(outcomes.sic.status === 'ok' ? outcomes.sic.auc : null);
        perImage.aicAuc.push(outcomes.aic.status === 'ok' ? outcomes.aic.auc : null);
        if (quantusMetrics.length) {
          // sensitivity re-explains perturbed copies of x the same way (not IG2: its references are per image)
          const explainBatch =
            options.method === 'ig2'
              ? undefined
              : async (batch: Float32Array) =>
                  (await explain(engine, model, batch, { ...options, target })).attribution;
          const scores = await quantusScores(engine, model, x, a, quantusMetrics, {
            target,
            seed: imageSeed(opts.seed ?? 0, indices[i]!),
            explainBatch,
            sensitivitySamples: opts.sensitivitySamples,
          });
          for (const [k, v] of Object.entries(scores)) (perImage.quantus![k] ??= []).push(v ?? null);
        }
        opts.onImage?.(method, i + 1, n);
      }
    }
    if (!checked) perImage.completenessError = null;
    results.push({ ...summariseImages(method, returnedSteps, perImage), msPerImage: timeMs / n, gradientEvaluations });
  }
  return results;
}

/**
 * A method's means from its per-image values (summed in image order, so a merge of shards that
 * restores the order gives a single run's means bit for bit).
 */
export function summariseImages(
  method: string,
  steps: number,
  perImage: PerImageValues,
): Omit<MethodEvaluation, 'msPerImage' | 'gradientEvaluations'> {
  const defined = (xs: readonly (number | null)[]) => xs.filter((v): v is number => v !== null && Number.isFinite(v));
  const sic = defined(perImage.sicAuc);
  const aic = defined(perImage.aicAuc);
  const quantus = perImage.quantus;
  return {
    method,
    steps,
    images: perImage.insertionAuc.length,
    insertionAuc: mean(perImage.insertionAuc),
    deletionAuc: mean(perImage.deletionAuc),
    sicAuc: sic.length ? mean(sic) : null,
    aicAuc: aic.length ? mean(aic) : null,
    picImages: sic.length,
    gini: mean(perImage.gini),
    completenessError: perImage.completenessError ? mean(perImage.completenessError) : null,
    ...(quantus && {
      quantus: meanScores(
        perImage.insertionAuc.map((_, i) =>
          Object.fromEntries(Object.entries(quantus).map(([k, vs]) => [k, vs[i] ?? undefined])),
        ),
      ),
    }),
    perImage,
  };
}

/** A markdown table of evaluations (one row per method). */
export function evaluationTable(rows: readonly MethodEvaluation[]): string {
  const f = (v: number | null, d = 3) => (v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));
  const lines = [
    '| method | steps | insertion AUC ↑ | deletion AUC ↓ | SIC AUC ↑ | AIC AUC ↑ | PIC images | Gini ↑ | completeness error | ms / image |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.method} | ${r.steps} | ${f(r.insertionAuc)} | ${f(r.deletionAuc)} | ${f(r.sicAuc)} | ${f(r.aicAuc)} | ${r.picImages}/${r.images} | ${f(r.gini)} | ${r.completenessError === null ? '–' : `${(100 * r.completenessError).toFixed(2)} %`} | ${r.msPerImage.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

/** A markdown table of the Quantus-style means (one row per method; – where not asked for or undefined). */
export function quantusTable(rows: readonly MethodEvaluation[]): string {
  const f = (v: number | null | undefined) =>
    v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3);
  const lines = [
    '| method | ROAD MoRF ↓ | ROAD LeRF ↑ | faithfulness corr. ↑ | infidelity ↓ | max-sens. ↓ | avg-sens. ↓ | sparseness ↑ | complexity ↓ |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const q = r.quantus ?? {};
    lines.push(
      `| ${r.method} | ${f(q.roadMorf)} | ${f(q.roadLerf)} | ${f(q.faithfulnessCorrelation)} | ${f(q.infidelity)} | ${f(q.maxSensitivity)} | ${f(q.avgSensitivity)} | ${f(q.sparseness)} | ${f(q.complexity)} |`,
    );
  }
  return lines.join('\n');
}
