/**
 * `npm run train -- --model lenet --dataset mnist [--epochs E] [--batch B] [--lr LR]
 *   [--optimizer sgd|adam|adamw] [--schedule cosine|constant] [--seed S] [--limit N] [--steps N]
 *   [--report-every K] [--init FILE] [--out FILE]`
 * Trains a zoo model on the GPU, evaluates test accuracy, and writes the weights as safetensors
 * with metadata (model, dataset, accuracy, epochs, images/s, adapter, date). `--init` continues from
 * a weights file (its training record is carried into the new one's metadata). Node only. Built to dist/train.js by esbuild.config.mjs (`npm run train` builds and runs it).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine } from '../gpu/engine.js';
import { fail, PathlightError } from '../errors.js';
import { loadFashionMnist, loadMnist, toRgb32 } from '../data/datasets.js';
import { readSafetensors, writeSafetensors } from '../models/safetensors.js';
import { zooGraph } from '../models/zoo.js';
import { buildModel, initParameters } from '../nn/init.js';
import { imageInputShape } from '../nn/model.js';
import { limitImages, type LabelledImages } from './batches.js';
import { createOptimizer } from './optimizers.js';
import { formatProgress } from './progress.js';
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
  seed: number;
  limit?: number;
  steps?: number;
  reportEvery: number;
  init?: string;
  out?: string;
}

const DEFAULT_LR: Record<string, number> = { sgd: 0.05, adam: 2e-3, adamw: 2e-3 };

function numberFlag(name: string, value: string | undefined, integer: boolean): number {
  const v = Number(value);
  if (value === undefined || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v <= 0) {
    fail(`--${name} needs a positive ${integer ? 'integer' : 'number'}, got ${value ?? 'nothing'}`);
  }
  return v;
}

export function parseTrainArgs(argv: readonly string[]): TrainCliOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
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
    'seed',
    'limit',
    'steps',
    'report-every',
    'init',
    'out',
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
  return {
    model,
    dataset,
    epochs: opt('epochs', true) ?? 2,
    batch: opt('batch', true) ?? 64,
    lr: opt('lr', false) ?? DEFAULT_LR[optimizer] ?? 1e-3,
    optimizer,
    schedule,
    seed: flags.has('seed') ? Number(flags.get('seed')) : 1,
    limit: opt('limit', true),
    steps: opt('steps', true),
    reportEvery: opt('report-every', true) ?? 50,
    init: flags.get('init'),
    out: flags.get('out'),
  };
}

/** The dataset as the model's input shape (MNIST-style 1×28×28, or 3×32×32 RGB). */
function loadSplit(dataset: TrainCliOptions['dataset'], split: 'train' | 'test', channels: number): LabelledImages {
  const d = dataset === 'mnist' ? loadMnist(split) : loadFashionMnist(split);
  const images = channels === 3 ? toRgb32(d.images, d.count) : d.images;
  return { images, labels: d.labels, count: d.count };
}

export async function runTrain(
  opts: TrainCliOptions,
  log: (line: string) => void = console.log,
): Promise<{ testAccuracy: number }> {
  const { builder, info } = zooGraph(opts.model);
  const [channels] = imageInputShape(info, 'npm run train (image datasets only)');
  const trainSet = loadSplit(opts.dataset, 'train', channels);
  const data = opts.limit ? limitImages(trainSet, opts.limit) : trainSet;
  const testSet = loadSplit(opts.dataset, 'test', channels);
  const engine = await createEngine();
  const model = buildModel(engine, builder, info, initParameters(builder, opts.seed));
  let previous: Record<string, string> | null = null;
  if (opts.init) {
    if (!existsSync(opts.init)) fail(`--init ${opts.init} does not exist`);
    const start = readSafetensors(new Uint8Array(readFileSync(opts.init)));
    model.setParameters(start.tensors);
    previous = start.metadata;
  }
  const optimizer = createOptimizer(opts.optimizer, { lr: opts.lr });
  const adapter =
    [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description].filter(Boolean).join(' ') ||
    'unknown';
  log(
    `training ${opts.model} on ${opts.dataset} (${data.count} images) with ${opts.optimizer} lr ${opts.lr} (${opts.schedule}), batch ${opts.batch}, ${opts.epochs} epoch(s) on ${adapter}`,
  );
  const progress = progressWriter(process.stdout);
  const peak = opts.lr;
  const result = await train(model, data, {
    optimizer,
    epochs: opts.epochs,
    batchSize: opts.batch,
    seed: opts.seed,
    reportEvery: opts.reportEvery,
    maxSteps: opts.steps,
    lrSchedule:
      opts.schedule === 'cosine' ? (step, total) => peak * 0.5 * (1 + Math.cos((Math.PI * step) / total)) : undefined,
    onReport: (r) => progress.write(formatProgress(r)),
  });
  progress.done();
  const evalStart = performance.now();
  const { accuracy, correct, count } = await evaluateAccuracy(model, testSet);
  log(
    `trained ${result.steps} steps in ${result.seconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(0)} img/s); test accuracy ${(100 * accuracy).toFixed(2)}% (${correct}/${count}, eval ${((performance.now() - evalStart) / 1000).toFixed(1)} s)`,
  );
  if (opts.out) {
    const params = await model.getParameters();
    const epochs = (result.steps * opts.batch) / data.count;
    const metadata = {
      model: opts.model,
      dataset: opts.dataset,
      test_accuracy: accuracy.toFixed(4),
      epochs: epochs.toFixed(2),
      steps: String(result.steps),
      batch: String(opts.batch),
      optimizer: `${opts.optimizer} lr ${opts.lr} ${opts.schedule}`,
      train_images: String(data.count),
      train_seconds: result.seconds.toFixed(1),
      images_per_second: result.imagesPerSecond.toFixed(0),
      adapter,
      date: new Date().toISOString(),
      trainer: 'pathlight npm run train',
      ...(previous ? { continued_from: JSON.stringify(previous) } : {}),
    };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, writeSafetensors(params, metadata));
    log(`wrote ${opts.out}`);
  }
  optimizer.dispose();
  model.dispose();
  engine.dispose();
  return { testAccuracy: accuracy };
}

/** Command entry: a PathlightError prints its message and exits with code 1. */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await runTrain(parseTrainArgs(argv));
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
