#!/usr/bin/env node
/**
 * `npm run reproduce [-- --models lenet,resnet --samples 8 --steps 32 --record]`: the IDGI paper's
 * comparison (IG vs IG+IDGI, GIG vs GIG+IDGI, BlurIG vs BlurIG+IDGI, and IG2) on every zoo model with
 * shipped weights, through `pathlight eval`. Writes reproduce-<model>.json and the markdown table
 * reproduce.md (samples, steps, machine and adapter stated) to out/results/, or to bench/results/
 * with --record. With --models, the other zoo models' tables come from their existing
 * reproduce-<model>.json (an earlier run: out/results/'s, else the recorded one).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { earlierResult, fromRoot, resultsDir } from './results-dir.mjs';

const METHODS = [
  ['ig', 'IG'],
  ['idgi', 'IG + IDGI'],
  ['gig', 'GIG'],
  ['gig-idgi', 'GIG + IDGI'],
  ['blurig', 'BlurIG'],
  ['blurig-idgi', 'BlurIG + IDGI'],
  ['ig2', 'IG2'],
];
const DATASET = { lenet: 'mnist', vgg: 'fashion-mnist', resnet: 'fashion-mnist', mobilenet: 'fashion-mnist' };

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const ALL = Object.keys(DATASET);
const models = flag('models', ALL.join(',')).split(',').filter(Boolean); // '' = only assemble the tables of earlier runs
const samples = flag('samples', '8');
const steps = flag('steps', '32');
for (const m of models)
  if (!(m in DATASET)) throw new Error(`reproduce: unknown model '${m}' (zoo: ${Object.keys(DATASET).join(', ')})`);

/** The metadata of a safetensors file (training record: accuracy, epochs, …). */
function weightsMetadata(path) {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')).__metadata__ ?? {};
}

/** An eval JSON in the older flat shape (means, `images` as text, ms / image per row): the recorded files use it. */
function flatten(result) {
  if (result.format !== 'pathlight-eval/1') return result;
  const s = result.settings;
  const msPerImage = (m) =>
    result.timing.reduce((a, t) => a + (t.msPerImage[m] ?? NaN) * t.images, 0) / result.indices.length;
  const pool = s.referencePool;
  return {
    ...result,
    dataset: s.dataset,
    images: `${s.dataset} ${s.split} images ${s.range.start}–${s.range.end - 1}`,
    baseline: s.baseline,
    referencePool: pool ? `${pool.size} ${pool.split} images (seeded draw, seed ${pool.seed})` : null,
    adapter: result.timing[0]?.adapter,
    seconds: result.timing.reduce((a, t) => a + t.seconds, 0),
    methods: result.methods.map((r) => ({ ...r, msPerImage: msPerImage(r.method) })),
  };
}

/** One model's markdown table from its eval JSON (its time counts towards the header's total). */
function section(model, evalResult) {
  const result = flatten(evalResult);
  adapter = result.adapter ?? adapter;
  totalSeconds += Number(result.wallSeconds ?? result.seconds ?? 0);
  const f = (v, d = 3) => (v === null || v === undefined ? '–' : v.toFixed(d));
  const rows = result.methods.map((r) => {
    const label = METHODS.find(([m]) => m === r.method)?.[1] ?? r.method;
    const ce = r.completenessError === null ? '–' : `${(100 * r.completenessError).toFixed(2)} %`;
    return `| ${label} | ${f(r.insertionAuc)} | ${f(r.deletionAuc)} | ${f(r.sicAuc)} | ${f(r.aicAuc)} | ${r.picImages}/${r.images} | ${f(r.gini)} | ${ce} | ${r.msPerImage.toFixed(0)} |`;
  });
  const accuracy = result.accuracy ? `${(100 * Number(result.accuracy)).toFixed(2)} %` : 'unknown';
  return [
    `## ${model} (${result.dataset}, test accuracy ${accuracy})`,
    '',
    `${result.images}; baseline ${result.baseline}; ${result.methods[0]?.steps ?? '?'} steps; IG2: 2 relevant references per image from ${result.referencePool}. ${result.wallSeconds ?? result.seconds} s.`,
    '',
    '| method | insertion AUC ↑ | deletion AUC ↓ | SIC AUC ↑ | AIC AUC ↑ | PIC images | Gini ↑ | completeness error | ms / image |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

await build();
const { dir: out } = resultsDir();
mkdirSync(out, { recursive: true });
const sections = [];
let adapter = 'unknown';
// the sum of the tables' own run times: the tables assembled from earlier runs count theirs, not 0 s
let totalSeconds = 0;
for (const model of ALL) {
  const earlier = earlierResult(out, `reproduce-${model}.json`);
  if (!models.includes(model)) {
    const weights = join(ROOT, 'assets', 'models', `${model}-${DATASET[model]}.safetensors`);
    if (earlier) {
      const result = JSON.parse(readFileSync(earlier, 'utf8'));
      result.accuracy ??= existsSync(weights) ? (weightsMetadata(weights).test_accuracy ?? null) : null;
      sections.push(section(model, result));
    } else sections.push(`## ${model}\n\nNot evaluated yet (run \`npm run reproduce -- --models ${model}\`).\n`);
    continue;
  }
  const weights = join(ROOT, 'assets', 'models', `${model}-${DATASET[model]}.safetensors`);
  if (!existsSync(weights)) {
    sections.push(`## ${model}\n\nNo shipped weights (${weights} is missing): not evaluated.\n`);
    continue;
  }
  const file = join(out, `reproduce-${model}.json`);
  console.error(`== ${model} (${samples} samples, ${steps} steps) ==`);
  const t0 = Date.now();
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'dist', 'cli.js'),
      'eval',
      '--model',
      model,
      '--method',
      METHODS.map(([m]) => m).join(','),
      '--samples',
      samples,
      '--steps',
      steps,
      '--out',
      file,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const result = JSON.parse(readFileSync(file, 'utf8'));
  result.accuracy = weightsMetadata(weights).test_accuracy ?? null;
  result.steps = Number(steps);
  result.wallSeconds = Math.round((Date.now() - t0) / 1000);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  sections.push(section(model, result));
}

const md = [
  '# IDGI-paper comparison, reproduced with pathlight',
  '',
  `${models.length ? 'Generated by `npm run reproduce`' : "Assembled from the recorded runs' JSON by `npm run reproduce -- --models ''`"} on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} CPU cores (${cpus()[0]?.model ?? 'unknown CPU'}), WebGPU adapter: ${adapter}, Node ${process.version}. Total ${totalSeconds.toFixed(0)} s (the evaluations' own run times).`,
  '',
  'Metrics (METHODS.md): insertion AUC starts from the blurred image (σ = 5 px), deletion AUC ends at black; both use the',
  "target's softmax at 33 checkpoints. SIC/AIC: PIC curves (PAIR's pic.py rules and thresholds) with MS-SSIM to the",
  'original as the information level, as the IDGI paper proposes; images whose prediction is < 0.8 are skipped by',
  'PIC (count shown). Gini: sparsity of |attribution|. Completeness error: |Σattr − (f(x) − f(start))| / |f(x) − f(start)|',
  "(for IG2 the start is the mean f(GradCF)). Explained function: the target logit; target: the model's top-1 class;",
  'baseline: black. Means over images; a handful of images makes these noisy, so read differences accordingly.',
  "Guided IG runs with PAIR's defaults (fraction 0.25, max_dist 0.02: the path stays within 2 % (L1) of the straight",
  "line), so its scores are close to IG's. IG2 with a fixed step η = 1 is not complete by construction (its gap is shown).",
  '',
  ...sections,
].join('\n');
writeFileSync(join(out, 'reproduce.md'), md);
console.log(md);
console.error(`reproduce: wrote ${fromRoot(join(out, 'reproduce.md'))}`);
