/**
 * `pathlight eval --model <m> --dataset d [--split test|train] --range a:b [--shard k/n] --method ig,idgi,…
 *   [--steps N] [--baseline b] [--references R] [--reference-pool M] [--metrics road,…] [--seed S]
 *   [--batch B] [--json] [--out file.json] [--quiet]` and `pathlight eval --merge a.json b.json … [--out]`:
 * faithfulness metrics (insertion / deletion AUC, SIC / AIC AUC, Gini, completeness error, and the
 * Quantus-style ones named by --metrics: docs/metrics.md) of several methods on the images
 * [a, b) of a dataset split, per image, with bootstrap intervals and, for each IDGI variant, a paired
 * comparison with its base method (docs/eval.md). `--shard k/n` scores the k-th of n slices of the
 * range and writes a file that `--merge` combines with the others into one run's result.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import { loadModel } from '../models/load.js';
import { imageInputShape } from '../nn/model.js';
import { evaluationTable, quantusTable } from '../metrics/evaluate-methods.js';
import { summaryTables } from '../metrics/eval-summary.js';
import { checkQuantusMetrics } from '../metrics/quantus-scores.js';
import {
  checkKnownFlags,
  checkMethodName,
  checkModelFlag,
  choiceFlag,
  datasetOf,
  intFlag,
  MODEL_FILE_FLAGS,
  modelFileFlags,
  parseFlags,
  type Flags,
} from './flags.js';
import { decimalInt } from './numbers.js';
import { checkInputFile, checkOutputPath } from './paths.js';
import { writeFilesAtomically } from './atomic-write.js';
import { SILENT_PROGRESS, stagedProgress } from './progress.js';
import { drawReferencePool } from './eval/reference-pool.js';
import { checkResults, mergeResults, type EvalResults, type EvalSettings } from './eval/results-file.js';
import { evaluateSlice } from './eval/run-slice.js';
import { parseRange, parseShard, rangeIndices, shardSlice, type Shard } from './eval/slices.js';
import { loadSplit, splitImages } from './eval/split-images.js';

export const EVAL_FLAGS = [
  'model',
  'method',
  'dataset',
  'split',
  'range',
  'samples',
  'shard',
  'steps',
  'baseline',
  'references',
  'reference-pool',
  'metrics',
  'seed',
  'batch',
  'json',
  'out',
  'record',
  'quiet',
  ...MODEL_FILE_FLAGS,
];
const MERGE_FLAGS = ['json', 'out', 'record'];

/** Bootstrap resamples and level of every interval (recorded in the settings). */
const BOOTSTRAP = { resamples: 2000, level: 0.95 };

/** `pathlight eval …` from its raw arguments: `--merge` takes the file names that follow it. */
export async function evalMain(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--merge');
  if (at < 0) return evalCommand(parseFlags(argv));
  let end = at + 1;
  while (end < argv.length && !argv[end]!.startsWith('--')) end++;
  const files = argv.slice(at + 1, end);
  if (files.length === 0) throw new PathlightError('eval --merge: name the shard files (eval --merge a.json b.json …)');
  return mergeCommand(files, parseFlags([...argv.slice(0, at), ...argv.slice(end)]));
}

/** The human-readable result: a header line, the per-method tables and the paired comparisons. */
function resultTables(result: EvalResults): string {
  const s = result.settings;
  const secs = result.timing.reduce((a, t) => a + t.seconds, 0);
  // ms / image: over every shard's images
  const rows = result.methods.map((m) => ({
    ...m,
    msPerImage: result.timing.reduce((a, t) => a + (t.msPerImage[m.method] ?? NaN) * t.images, 0) / m.images,
  }));
  return [
    `${s.modelName} on ${s.dataset} ${s.split} ${result.indices[0]}:${result.indices.at(-1)! + 1}, baseline ${s.baseline}, ${secs.toFixed(1)} s`,
    evaluationTable(rows),
    ...(s.metrics.length ? ['\n' + quantusTable(rows)] : []),
    '\n' + summaryTables(result.summary),
  ].join('\n');
}

/**
 * The file a run writes: `--out`, else with `--record` the committed bench/results/eval/<name>.json
 * (relative to the working directory, the repository's root for the project's own records), else
 * a shard's default in the ignored out/eval/. Checked (writable, .json) before anything is written.
 */
function outputPath(flags: Flags, name: string, shard: Shard | null): string | undefined {
  if (flags.has('record') && flags.has('out'))
    throw new PathlightError('eval: --record writes bench/results/eval/; give --out or --record');
  const stem = name.replace(/\W+/g, '_') + (shard ? `-shard-${shard.k}-of-${shard.n}` : '');
  const out = flags.has('record')
    ? join('bench', 'results', 'eval', `${stem}.json`)
    : (flags.get('out') ?? (shard ? join('out', 'eval', `${stem}.json`) : undefined));
  if (out) checkOutputPath(out, flags.has('record') ? '--record' : '--out', ['.json']);
  return out;
}

function writeResults(result: EvalResults, flags: Flags, out: string | undefined, table: boolean): void {
  const tables = table ? resultTables(result) : '';
  if (out) {
    const files = [{ path: out, data: JSON.stringify(result, null, 2) + '\n' }];
    // a recorded whole run also gets its tables as markdown, for the docs to cite
    if (flags.has('record') && table) files.push({ path: out.replace(/\.json$/, '.md'), data: tables + '\n' });
    writeFilesAtomically(files);
    process.stderr.write(`eval: wrote ${files.map((f) => f.path).join(', ')}\n`);
  }
  if (flags.has('json')) console.log(JSON.stringify(result, null, 2));
  else if (table) console.log(tables);
}

async function mergeCommand(files: string[], flags: Flags): Promise<void> {
  checkKnownFlags(flags, MERGE_FLAGS, 'eval --merge');
  const parsed = files.map((name) => {
    checkInputFile(name, 'eval --merge');
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(name, 'utf8'));
    } catch (e) {
      throw new PathlightError(`eval --merge: ${name} is not JSON (${(e as Error).message})`);
    }
    return { name, results: checkResults(value, name) };
  });
  // the shards' model names the recorded file; mergeResults refuses shards whose settings differ
  const out = outputPath(flags, parsed[0]!.results.settings.model, null);
  writeResults(mergeResults(parsed), flags, out, true);
}

/** Everything that can be checked without a GPU, as the run's settings (the model's name comes later). */
function evalSettings(flags: Flags): { settings: Omit<EvalSettings, 'modelName' | 'referencePool'>; pool: number } {
  const spec = flags.get('model');
  if (!spec) throw new PathlightError('eval: --model is required');
  checkModelFlag(spec);
  const methods = (flags.get('method') ?? 'ig,idgi').split(',');
  for (const m of methods) checkMethodName(m, 'eval');
  if (new Set(methods).size !== methods.length) throw new PathlightError('eval: --method names a method twice');
  const dataset = datasetOf(flags);
  if (!dataset) throw new PathlightError('eval: say which test images with --dataset mnist|fashion-mnist');
  const split = choiceFlag(flags, 'split', ['test', 'train'] as const, 'test');
  if (flags.has('range') && flags.has('samples'))
    throw new PathlightError('eval: --samples N is --range 0:N; give one of them');
  const samples = intFlag(flags, 'samples');
  const range = flags.has('range') ? parseRange(flags.get('range')!) : { start: 0, end: samples ?? 8 };
  const seedText = flags.get('seed') ?? '0';
  const seed = decimalInt(seedText);
  if (seed === undefined || seed >= 2 ** 32)
    throw new PathlightError(`--seed needs a decimal integer in [0, 2^32), got '${seedText}'`);
  const metricsFlag = flags.get('metrics');
  return {
    settings: {
      model: spec,
      dataset,
      split,
      range,
      methods,
      steps: intFlag(flags, 'steps', 64),
      baseline: choiceFlag(flags, 'baseline', ['black', 'white', 'uniform', 'blur'] as const, 'black'),
      references: intFlag(flags, 'references', 2),
      metrics: metricsFlag ? checkQuantusMetrics(metricsFlag.split(','), 'eval --metrics') : [],
      seed,
      bootstrap: BOOTSTRAP,
      // the engine exposes no kernel-tuning choice yet: every run uses the default kernels
      tuning: 'default',
    },
    pool: intFlag(flags, 'reference-pool', 64),
  };
}

export async function evalCommand(flags: Flags): Promise<void> {
  // everything that can be checked without a GPU is, before the engine is made
  checkKnownFlags(flags, EVAL_FLAGS, 'eval');
  const { settings: partial, pool: poolSize } = evalSettings(flags);
  const shard = flags.has('shard') ? parseShard(flags.get('shard')!) : null;
  const slice = shard ? shardSlice(partial.range, shard) : partial.range;
  const batchSize = intFlag(flags, 'batch', 16);
  const out = outputPath(flags, partial.model, shard);
  const data = loadSplit(partial.dataset, partial.split);
  const splitName = `${partial.dataset} ${partial.split} split`;
  if (partial.range.end > data.count)
    throw new PathlightError(`eval --range: the ${splitName} has ${data.count} images, ${partial.range.end} asked for`);
  // IG2's pool: from the training split (outside the whole range when that is the split evaluated)
  const train = partial.methods.includes('ig2')
    ? partial.split === 'train'
      ? data
      : loadSplit(partial.dataset, 'train')
    : null;
  const referencePool = train
    ? drawReferencePool('train', train.count, poolSize, partial.seed, partial.split === 'train' ? partial.range : null)
    : null;

  const engine = await createEngine();
  const progress = flags.has('quiet') ? SILENT_PROGRESS : stagedProgress(process.stderr);
  try {
    const { model } = await loadModel(engine, partial.model, modelFileFlags(flags));
    try {
      imageInputShape(model.info, 'pathlight eval (image datasets and pixel metrics only)');
      const settings: EvalSettings = { ...partial, modelName: model.info.name, referencePool };
      const indices = rangeIndices(slice);
      const images = splitImages(data, splitName, indices, model);
      const pool =
        train && referencePool
          ? splitImages(train, `${partial.dataset} train split`, referencePool.indices, model).data
          : null;
      const result = await evaluateSlice(engine, model, settings, shard, { indices, ...images }, pool, {
        batchSize,
        progress,
      });
      progress.finish();
      writeResults(result, flags, out, !shard);
    } finally {
      model.dispose();
    }
  } finally {
    progress.finish();
    engine.dispose();
  }
}
