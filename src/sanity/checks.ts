/**
 * The sanity checks of an attribution method (Adebayo et al. 2018, arXiv 1810.03292; Quantus's
 * MPRT and RandomLogit), on the GPU, for several methods on the same images:
 * - MPRT, cascading: the layers are randomised from the top (logits) down, one more at each step;
 *   independent: one layer at a time, the others as trained. At each step every method explains
 *   the images (target: the true label) and is compared with its explanation on the trained model.
 * - Random logit: the explanation of the true class against that of a random other class (seeded
 *   per image by its dataset index).
 * - Data randomisation, when a twin is given (the same architecture trained on permuted labels):
 *   the model's explanation against the twin's.
 * Randomisation happens on the unfused spec (randomise.ts), which is folded again and written into
 * the model's own parameter buffers; the trained values are written back at the end, whatever
 * happens (a snapshot read from the GPU at the start, so they come back bit for bit).
 */
import type { Engine } from '../gpu/engine.js';
import { fail } from '../errors.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { explain } from '../attribution/explain.js';
import type { BaselineSpec } from '../attribution/baselines.js';
import { fuseModel, type ModelSpec } from '../models/fuse.js';
import { explainOptions } from '../metrics/evaluate-methods.js';
import { bootstrapMean } from '../metrics/bootstrap.js';
import { imageSeed, uniformRng } from '../metrics/seeds.js';
import { randomisableLayers, randomisedParams } from './randomise.js';
import {
  MAP_KINDS,
  SIMILARITY_MEASURES,
  similarities,
  type MapKind,
  type Similarities,
  type SimilarityMeasure,
  type SimilarityOptions,
} from './similarity.js';

export const MPRT_ORDERS = ['cascading', 'independent'] as const;
export type MprtOrder = (typeof MPRT_ORDERS)[number];

export interface SanityImages {
  /** [n, C, H, W] */
  data: Float32Array;
  labels: readonly number[];
  /** dataset indices (seed the random-logit classes); default 0 … n − 1 */
  indices?: readonly number[];
}

export interface SanityOptions {
  /** explain() method names; `smoothgrad` / `smoothgrad:<m>` as in eval */
  methods: readonly string[];
  /** path steps (default 32) */
  steps?: number;
  baseline?: BaselineSpec;
  /** seed of the randomisation and of the random-logit classes (default 0) */
  seed?: number;
  /** MPRT orders to run (default both); empty: no MPRT */
  orders?: readonly MprtOrder[];
  /** run the random-logit test (default true) */
  randomLogit?: boolean;
  /** a random-label twin of the model (same architecture), for the data-randomisation test */
  twin?: Model;
  /** images per explain() call (default 16) */
  batchSize?: number;
  similarity?: SimilarityOptions;
  /** after each explained state: done of total */
  onStep?: (done: number, total: number) => void;
}

/** One measure over the images: mean, standard deviation, 95 % bootstrap interval of the mean, and every value. */
export interface MeasureSummary {
  mean: number;
  sd: number;
  low: number;
  high: number;
  values: number[];
}

export type MethodSimilarity = Record<MapKind, Record<SimilarityMeasure, MeasureSummary>>;

export interface MprtStep {
  /** the layer randomised at this step ('none': the trained model against a second run of itself) */
  layer: string;
  /** every layer randomised at this step */
  randomised: string[];
  methods: Record<string, MethodSimilarity>;
}

export interface SanityReport {
  /** the randomisable layers, top (logits) first: the x axis of the figure */
  layers: string[];
  mprt: Partial<Record<MprtOrder, MprtStep[]>>;
  randomLogit: { classes: number[]; methods: Record<string, MethodSimilarity> } | null;
  dataRandomisation: { methods: Record<string, MethodSimilarity> } | null;
  seconds: number;
}

function summarise(values: number[], seed: number): MeasureSummary {
  const { mean, low, high } = bootstrapMean(values, { seed });
  const sd = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd, low, high, values };
}

function summariseAll(s: Similarities, seed: number): MethodSimilarity {
  const out = {} as MethodSimilarity;
  for (const kind of MAP_KINDS) {
    out[kind] = {} as Record<SimilarityMeasure, MeasureSummary>;
    for (const m of SIMILARITY_MEASURES) out[kind][m] = summarise(s[kind][m], seed);
  }
  return out;
}

/** A random class other than `label` per image, seeded by the image's index. */
export function randomOtherClasses(
  labels: readonly number[],
  indices: readonly number[],
  classes: number,
  seed: number,
) {
  if (classes < 2) fail('random logit: the model has one class');
  return labels.map((label, i) => {
    const k = Math.floor(uniformRng(imageSeed(seed, indices[i]!))() * (classes - 1));
    return k >= label ? k + 1 : k;
  });
}

/**
 * Run the checks. `spec` is the model's unfused spec (batch norms as nodes) and `model` the model
 * loaded from it (folded): its parameters are overwritten during MPRT and restored at the end.
 */
export async function sanityChecks(
  engine: Engine,
  model: Model,
  spec: ModelSpec,
  images: SanityImages,
  options: SanityOptions,
): Promise<SanityReport> {
  const started = performance.now();
  const shape = imageInputShape(model.info, 'pathlight sanity (image maps only)');
  const per = shape[0] * shape[1] * shape[2];
  const n = images.labels.length;
  if (n < 1 || images.data.length !== n * per)
    fail(`sanity: ${images.data.length} values are not ${n} images of [${shape}]`);
  if (options.methods.length === 0) fail('sanity: no methods');
  const indices = images.indices ?? images.labels.map((_, i) => i);
  const seed = options.seed ?? 0;
  const steps = options.steps ?? 32;
  const batchSize = options.batchSize ?? 16;
  const orders = options.orders ?? MPRT_ORDERS;
  const layers = randomisableLayers(spec);
  const topDown = layers.map((_, i) => i).reverse();
  const classes = model.outputShape.at(-1)!;

  const explainAll = async (subject: Model, method: string, targets: readonly number[]): Promise<Float32Array> => {
    const out = new Float32Array(n * per);
    for (let first = 0; first < n; first += batchSize) {
      const count = Math.min(batchSize, n - first);
      const r = await explain(engine, subject, images.data.subarray(first * per, (first + count) * per), {
        ...explainOptions(method, steps, options.baseline),
        target: targets.slice(first, first + count),
      });
      out.set(r.attribution, first * per);
    }
    return out;
  };
  const compare = async (a: Float32Array, b: Float32Array) =>
    summariseAll(await similarities(engine, a, b, n, shape, options.similarity), seed);

  const mprtSteps = orders.length * layers.length + (orders.length ? 1 : 0);
  const total = 1 + mprtSteps + (options.randomLogit !== false ? 1 : 0) + (options.twin ? 1 : 0);
  let done = 0;
  const stepDone = () => options.onStep?.(++done, total);

  const trained = new Map<string, Float32Array>();
  for (const m of options.methods) trained.set(m, await explainAll(model, m, images.labels));
  stepDone();

  const report: SanityReport = {
    layers: topDown.map((i) => layers[i]!.name),
    mprt: {},
    randomLogit: null,
    dataRandomisation: null,
    seconds: 0,
  };
  const explainState = async (layer: string, randomised: number[]): Promise<MprtStep> => {
    const methods: Record<string, MethodSimilarity> = {};
    for (const m of options.methods)
      methods[m] = await compare(trained.get(m)!, await explainAll(model, m, images.labels));
    stepDone();
    return { layer, randomised: randomised.map((i) => layers[i]!.name), methods };
  };

  if (orders.length) {
    const snapshot = await model.getParameters();
    try {
      // the trained model again: the curves' first point (1 unless a method is not deterministic)
      const first = await explainState('none', []);
      for (const order of orders) {
        const stepsOf: MprtStep[] = [first];
        for (const [k, index] of topDown.entries()) {
          const which = order === 'cascading' ? topDown.slice(0, k + 1) : [index];
          model.setParameters(fuseModel({ ...spec, params: randomisedParams(spec, layers, which, seed) }).params);
          stepsOf.push(await explainState(layers[index]!.name, which));
        }
        report.mprt[order] = stepsOf;
      }
    } finally {
      model.setParameters(snapshot);
    }
  }

  if (options.randomLogit !== false) {
    const others = randomOtherClasses(images.labels, indices, classes, seed);
    const methods: Record<string, MethodSimilarity> = {};
    for (const m of options.methods) methods[m] = await compare(trained.get(m)!, await explainAll(model, m, others));
    report.randomLogit = { classes: others, methods };
    stepDone();
  }

  if (options.twin) {
    const methods: Record<string, MethodSimilarity> = {};
    for (const m of options.methods)
      methods[m] = await compare(trained.get(m)!, await explainAll(options.twin, m, images.labels));
    report.dataRandomisation = { methods };
    stepDone();
  }
  report.seconds = +((performance.now() - started) / 1000).toFixed(1);
  return report;
}
