/**
 * `npm run train -- --model lenet --dataset mnist [--epochs E] [--batch B] [--lr LR]
 *   [--optimizer sgd|adam|adamw] [--schedule cosine|constant] [--warmup STEPS] [--seed S]
 *   [--limit N | --subset N [--subset-seed S]] [--permute-labels SEED] [--steps N]
 *   [--test-images N] [--report-every K] [--init FILE] [--out FILE] [--record]`
 * Trains a zoo model on the GPU, evaluates test accuracy (and, on a subset or permuted labels,
 * training accuracy: a random-label twin's figure of merit), and writes the weights as safetensors
 * with the training record in the metadata (src/train/record.ts): to the ignored out/train/ unless
 * `--record` (then assets/models/, or assets/twins/ for permuted labels). `--init` continues from a
 * weights file and carries its record. Node only. Built to dist/train.js by esbuild.config.mjs
 * (`npm run train` builds and runs it).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine } from '../gpu/engine.js';
import { fail, PathlightError } from '../errors.js';
import { loadFashionMnist, loadMnist, toRgb32 } from '../data/datasets.js';
import { readSafetensors, writeSafetensors } from '../models/safetensors.js';
import { zooGraph } from '../models/zoo.js';
import { buildModel, initParameters } from '../nn/init.js';
import { imageInputShape } from '../nn/model.js';
import { limitImages, permutedLabels, seededSubset, type LabelledImages } from './batches.js';
import { createOptimizer } from './optimizers.js';
import { formatProgress, formatTrainAccuracy } from './progress.js';
import {
  checkContinuation,
  cpuDescription,
  dataFields,
  loadAverage,
  weightsPath,
  type TrainingData,
} from './record.js';
import { progressWriter } from '../cli/progress.js';
import { evaluateAccuracy, train } from './trainer.js';

export interface TrainCliOptions {
  model: string;
  dataset: 'mnist' | 'fashion-mnist';
  epochs: number;
  batch: number;
  lr: number;
  optimizer: string;
  schedule: 'cosine' | 'constant';
  /** linear warm-up of the learning rate over the first steps (0: none) */
  warmup: number;
  seed: number;
  limit?: number;
  /** `--subset N`: a fixed seeded subset of the training split (with `subsetSeed`) */
  subset?: number;
  subsetSeed?: number;
  /** `--permute-labels SEED`: the training labels shuffled among the images (random-label twins) */
  permuteLabels?: number;
  steps?: number;
  /** evaluate on the first N test images (default all) */
  testImages?: number;
  reportEvery: number;
  init?: string;
  out?: string;
  /** write to the committed assets/ path instead of out/train/ */
  record: boolean;
}

const DEFAULT_LR: Record<string, number> = { sgd: 0.05, adam: 2e-3, adamw: 2e-3 };

function numberFlag(name: string, value: string | undefined, integer: boolean): number {
  const v = Number(value);
  if (value === undefined || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v <= 0) {
    fail(`--${name} needs a positive ${integer ? 'integer' : 'number'}, got ${value ?? 'nothing'}`);
  }
  return v;
}

function seedFlag(name: string, value: string | undefined): number {
  const v = Number(value);
  if (value === undefined || value === '' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    fail(`--${name} needs a seed (an integer in [0, 2^32)), got ${value || 'nothing'}`);
  return v;
}

export function parseTrainArgs(argv: readonly string[]): TrainCliOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--record') {
      flags.set('record', '');
      continue;
    }
    if (!a.startsWith('--')) fail(`unexpected argument '${a}' (flags are --name value)`);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else flags.set(a.slice(2), argv[++i] ?? '');
  }
  const known = [
    'model',
    'dataset',
    'epochs',
    'batch',
    'lr',
    'optimizer',
    'schedule',
    'warmup',
    'seed',
    'limit',
    'subset',
    'subset-seed',
    'permute-labels',
    'steps',
    'test-images',
    'report-every',
    'init',
    'out',
    'record',
  ];
  for (const k of flags.keys())
    if (!known.includes(k)) fail(`unknown flag --${k} (known: ${known.map((f) => `--${f}`).join(' ')})`);
  const model = flags.get('model') ?? 'lenet';
  const dataset = flags.get('dataset') ?? 'mnist';
  if (dataset !== 'mnist' && dataset !== 'fashion-mnist')
    fail(`--dataset must be mnist or fashion-mnist, got ${dataset}`);
  const optimizer = flags.get('optimizer') ?? 'adam';
  const schedule = flags.get('schedule') ?? 'cosine';
  if (schedule !== 'cosine' && schedule !== 'constant') fail(`--schedule must be cosine or constant, got ${schedule}`);
  const opt = (name: string, integer: boolean) =>
    flags.has(name) ? numberFlag(name, flags.get(name), integer) : undefined;
  const seed = (name: string) => (flags.has(name) ? seedFlag(name, flags.get(name)) : undefined);
  if (flags.has('limit') && flags.has('subset')) fail('--limit and --subset both choose the training images: pass one');
  if (flags.has('subset-seed') && !flags.has('subset')) fail('--subset-seed needs --subset N');
  const subset = opt('subset', true);
  return {
    model,
    dataset,
    epochs: opt('epochs', true) ?? 2,
    batch: opt('batch', true) ?? 64,
    lr: opt('lr', false) ?? DEFAULT_LR[optimizer] ?? 1e-3,
    optimizer,
    schedule,
    warmup: opt('warmup', true) ?? 0,
    seed: seed('seed') ?? 1,
    limit: opt('limit', true),
    subset,
    subsetSeed: subset !== undefined ? (seed('subset-seed') ?? 1) : undefined,
    permuteLabels: seed('permute-labels'),
    steps: opt('steps', true),
    testImages: opt('test-images', true),
    reportEvery: opt('report-every', true) ?? 50,
    init: flags.get('init'),
    out: flags.get('out'),
    record: flags.has('record'),
  };
}

/** The dataset as the model's input shape (MNIST-style 1×28×28, or 3×32×32 RGB). */
function loadSplit(dataset: TrainCliOptions['dataset'], split: 'train' | 'test', channels: number): LabelledImages {
  const d = dataset === 'mnist' ? loadMnist(split) : loadFashionMnist(split);
  const images = channels === 3 ? toRgb32(d.images, d.count) : d.images;
  return { images, labels: d.labels, count: d.count };
}

/** The training images the options choose: all, the first N, or a seeded subset; labels permuted on request. */
export function trainingImages(all: LabelledImages, opts: TrainCliOptions): LabelledImages {
  let data = all;
  if (opts.subset !== undefined) data = seededSubset(all, opts.subset, opts.subsetSeed ?? 1);
  else if (opts.limit !== undefined) data = limitImages(all, opts.limit);
  if (opts.permuteLabels !== undefined) data = { ...data, labels: permutedLabels(data.labels, opts.permuteLabels) };
  return data;
}

/** The step's learning rate: a linear warm-up over `warmup` steps, then constant or a cosine decay to 0. */
export function learningRateSchedule(
  opts: Pick<TrainCliOptions, 'lr' | 'schedule' | 'warmup'>,
): ((step: number, total: number) => number) | undefined {
  const { lr: peak, schedule, warmup } = opts;
  if (schedule === 'constant' && !warmup) return undefined;
  return (step, total) => {
    if (step < warmup) return (peak * (step + 1)) / warmup;
    if (schedule === 'constant') return peak;
    return peak * 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, total - warmup)));
  };
}

function scheduleName(opts: TrainCliOptions): string {
  return opts.warmup ? `${opts.schedule}, linear warm-up over ${opts.warmup} steps` : opts.schedule;
}

export async function runTrain(
  opts: TrainCliOptions,
  log: (line: string) => void = console.log,
  command = 'npm run train',
): Promise<{ testAccuracy: number; trainAccuracy?: number; path: string }> {
  const { builder, info } = zooGraph(opts.model);
  const [channels] = imageInputShape(info, 'npm run train (image datasets only)');
  const dataSettings: TrainingData = {
    dataset: opts.dataset,
    subset: opts.subset,
    subsetSeed: opts.subsetSeed,
    permuteLabels: opts.permuteLabels,
  };
  const path = weightsPath({ ...dataSettings, model: opts.model, out: opts.out, record: opts.record });
  let previous: Record<string, string> | null = null;
  let start: ReturnType<typeof readSafetensors> | null = null;
  if (opts.init) {
    if (!existsSync(opts.init)) fail(`--init ${opts.init} does not exist`);
    start = readSafetensors(new Uint8Array(readFileSync(opts.init)));
    previous = start.metadata;
    if (previous.model) checkContinuation(previous, opts.model, dataSettings);
  }
  const data = trainingImages(loadSplit(opts.dataset, 'train', channels), opts);
  const fullTestSet = loadSplit(opts.dataset, 'test', channels);
  const testSet = opts.testImages ? limitImages(fullTestSet, opts.testImages) : fullTestSet;
  const engine = await createEngine();
  const model = buildModel(engine, builder, info, initParameters(builder, opts.seed));
  if (start) model.setParameters(start.tensors);
  const optimizer = createOptimizer(opts.optimizer, { lr: opts.lr });
  const adapter =
    [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description].filter(Boolean).join(' ') ||
    'unknown';
  const loadBefore = loadAverage();
  const chosen = opts.subset !== undefined ? `a seeded subset of ${data.count}` : `${data.count}`;
  const labelled = opts.permuteLabels !== undefined ? `, labels permuted (seed ${opts.permuteLabels})` : '';
  log(
    `training ${opts.model} on ${opts.dataset} (${chosen} images${labelled}) with ${opts.optimizer} lr ${opts.lr} (${scheduleName(opts)}), batch ${opts.batch}, ${opts.epochs} epoch(s), seed ${opts.seed} on ${adapter}`,
  );
  const progress = progressWriter(process.stdout);
  const result = await train(model, data, {
    optimizer,
    epochs: opts.epochs,
    batchSize: opts.batch,
    seed: opts.seed,
    reportEvery: opts.reportEvery,
    maxSteps: opts.steps,
    lrSchedule: learningRateSchedule(opts),
    onReport: (r) => progress.write(formatProgress(r)),
  });
  progress.done();
  const evalStart = performance.now();
  const { accuracy, correct, count } = await evaluateAccuracy(model, testSet);
  log(
    `trained ${result.steps} steps in ${result.seconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(0)} img/s); test accuracy ${(100 * accuracy).toFixed(2)}% (${correct}/${count}, eval ${((performance.now() - evalStart) / 1000).toFixed(1)} s)`,
  );
  // A twin's figure of merit: how well it fits its own (permuted) training images, batch norms in eval mode.
  const fitsOwnData = opts.subset !== undefined || opts.permuteLabels !== undefined;
  const trainAccuracy = fitsOwnData ? await evaluateAccuracy(model, data) : undefined;
  if (trainAccuracy) log(formatTrainAccuracy(trainAccuracy, opts.permuteLabels !== undefined));
  const params = await model.getParameters();
  const epochs = (result.steps * opts.batch) / data.count;
  const metadata = {
    model: opts.model,
    ...dataFields(dataSettings),
    test_accuracy: accuracy.toFixed(4),
    test_images: String(count),
    ...(trainAccuracy ? { train_accuracy: trainAccuracy.accuracy.toFixed(4) } : {}),
    seed: String(opts.seed),
    epochs: epochs.toFixed(2),
    steps: String(result.steps),
    batch: String(opts.batch),
    optimizer: `${opts.optimizer} lr ${opts.lr} ${opts.schedule}`,
    schedule: scheduleName(opts),
    train_images: String(data.count),
    train_seconds: result.seconds.toFixed(1),
    images_per_second: result.imagesPerSecond.toFixed(0),
    adapter,
    cpu: cpuDescription(),
    load_average: `${loadBefore} at the start, ${loadAverage()} at the end (1 min)`,
    node: process.version,
    date: new Date().toISOString(),
    trainer: 'pathlight npm run train',
    command,
    ...(previous ? { continued_from: JSON.stringify(previous) } : {}),
  };
  // Written whole, then renamed: `--init X` with the same output never leaves a half-written X.
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.partial`, writeSafetensors(params, metadata));
  renameSync(`${path}.partial`, path);
  log(`wrote ${path}${opts.record ? '' : ' (not recorded: add --record to write the committed file)'}`);
  optimizer.dispose();
  model.dispose();
  engine.dispose();
  return { testAccuracy: accuracy, trainAccuracy: trainAccuracy?.accuracy, path };
}

/** Command entry: a PathlightError prints its message and exits with code 1. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await runTrain(parseTrainArgs(argv), console.log, ['npm run train --', ...argv].join(' '));
  } catch (e) {
    if (e instanceof PathlightError) {
      console.error(`train: ${e.message}`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

// Run when executed as the command (dist/train.js), not when imported (tests).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main(process.argv.slice(2));
