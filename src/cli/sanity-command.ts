/**
 * `pathlight sanity --model <zoo|file.safetensors> --method m1,m2,… [--dataset d] [--split test|train]
 *   [--range a:b | --samples N] [--steps N] [--baseline b] [--seed S] [--orders cascading,independent]
 *   [--twin file.safetensors] [--batch B] [--record | --out file.json] [--json] [--quiet]`:
 * the sanity checks of docs/sanity.md (MPRT, random logit, data randomisation against --twin) on
 * the test images [a, b), written as JSON and an SVG figure: to out/sanity/<model>.json and .svg by
 * default, to bench/results/sanity/ with --record.
 */
import { basename, join } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { checkSanityModel, loadSanityModel, loadTwin } from '../sanity/load.js';
import { MPRT_ORDERS, sanityChecks, type MprtOrder, type SanityReport } from '../sanity/checks.js';
import { sanityFigureSvg } from '../sanity/figure.js';
import {
  checkKnownFlags,
  checkMethodName,
  checkModelFlag,
  choiceFlag,
  datasetOf,
  intFlag,
  type Flags,
} from './flags.js';
import { decimalInt } from './numbers.js';
import { checkInputFile, checkOutputPath } from './paths.js';
import { writeFilesAtomically } from './atomic-write.js';
import { SILENT_PROGRESS, stagedProgress } from './progress.js';
import { parseRange, rangeIndices } from './eval/slices.js';
import { loadSplit, splitImages } from './eval/split-images.js';

export const SANITY_FLAGS = [
  'model',
  'method',
  'dataset',
  'split',
  'range',
  'samples',
  'steps',
  'baseline',
  'seed',
  'orders',
  'twin',
  'batch',
  'record',
  'out',
  'json',
  'quiet',
];

/** Where --record writes (committed). */
export const SANITY_RECORD_DIR = join('bench', 'results', 'sanity');

/** Methods explained when --method is not given: the gradient and IG. */
const DEFAULT_METHODS = 'grad,ig';

/** What the JSON says about the choices the check makes (docs/sanity.md explains them). */
const SIMILARITY_SETTINGS = {
  maps: 'per pixel: signed Σ_c a_c, absolute Σ_c |a_c|',
  spearman: 'Pearson r of average ranks over every pixel',
  ssim: 'mean SSIM, 7×7 Gaussian window (σ 1.5), valid positions, K1 0.01, K2 0.03, on maps divided by max |map|; data range 2 (signed) / 1 (absolute); not clipped',
  topk: '|top-k(a) ∩ top-k(b)| / k, k = ⌈0.1 · pixels⌉ largest values (signed: most positive)',
  spread: 'sd over images and a 95 % bootstrap interval of the mean (2000 resamples, seeded)',
};
const RANDOMISATION =
  'per layer (conv / linear with the batch norm after it): weight and bias redrawn from U(−1/√fan_in, 1/√fan_in) (PyTorch default init), BN γ and β permuted over channels, running statistics kept; folded again; seed per (seed, layer index)';

function parseOrders(text: string | undefined): MprtOrder[] {
  if (text === undefined) return [...MPRT_ORDERS];
  const orders = text.split(',');
  for (const o of orders)
    if (!(MPRT_ORDERS as readonly string[]).includes(o))
      throw new PathlightError(`sanity --orders: unknown order '${o}' (use ${MPRT_ORDERS.join(', ')})`);
  if (new Set(orders).size !== orders.length) throw new PathlightError('sanity --orders names an order twice');
  return orders as MprtOrder[];
}

/** Every check of the flags that needs no GPU, in one place. */
function sanitySettings(flags: Flags) {
  checkKnownFlags(flags, SANITY_FLAGS, 'sanity');
  const model = flags.get('model');
  if (!model) throw new PathlightError('sanity: --model is required');
  checkSanityModel(model);
  checkModelFlag(model);
  const methods = (flags.get('method') ?? DEFAULT_METHODS).split(',');
  for (const m of methods) checkMethodName(m, 'sanity');
  if (new Set(methods).size !== methods.length) throw new PathlightError('sanity: --method names a method twice');
  const dataset = datasetOf(flags);
  if (!dataset) throw new PathlightError('sanity: say which test images with --dataset mnist|fashion-mnist');
  if (flags.has('range') && flags.has('samples'))
    throw new PathlightError('sanity: --samples N is --range 0:N; give one of them');
  const range = flags.has('range') ? parseRange(flags.get('range')!) : { start: 0, end: intFlag(flags, 'samples', 8) };
  const seedText = flags.get('seed') ?? '0';
  const seed = decimalInt(seedText);
  if (seed === undefined || seed >= 2 ** 32)
    throw new PathlightError(`--seed needs a decimal integer in [0, 2^32), got '${seedText}'`);
  const twin = flags.get('twin');
  if (twin !== undefined) {
    if (!twin.toLowerCase().endsWith('.safetensors'))
      throw new PathlightError(`sanity --twin: ${twin} is not a .safetensors file`);
    checkInputFile(twin, '--twin');
  }
  if (flags.has('record') && flags.has('out'))
    throw new PathlightError('sanity: --record writes to bench/results/sanity/; give --record or --out, not both');
  const name = basename(model).replace(/\.safetensors$/i, '');
  const json =
    flags.get('out') ?? join(flags.has('record') ? SANITY_RECORD_DIR : join('out', 'sanity'), `${name}.json`);
  checkOutputPath(json, '--out', ['.json']);
  return {
    model,
    dataset,
    split: choiceFlag(flags, 'split', ['test', 'train'] as const, 'test'),
    range,
    methods,
    steps: intFlag(flags, 'steps', 32),
    baseline: choiceFlag(flags, 'baseline', ['black', 'white', 'uniform', 'blur'] as const, 'black'),
    seed,
    orders: parseOrders(flags.get('orders')),
    twin: twin ?? null,
    batch: intFlag(flags, 'batch', 16),
    json,
    svg: json.replace(/\.json$/i, '.svg'),
  };
}

function summaryTable(report: SanityReport, methods: readonly string[]): string {
  const lines = ["mean signed Spearman rank to the trained model's map (|map| in brackets):"];
  const cell = (v: { signed: { spearman: { mean: number } }; abs: { spearman: { mean: number } } }) =>
    `${v.signed.spearman.mean.toFixed(2)} (${v.abs.spearman.mean.toFixed(2)})`.padStart(13);
  lines.push(['step'.padEnd(32), ...methods.map((m) => m.padStart(13))].join(''));
  for (const [order, steps] of Object.entries(report.mprt))
    for (const s of steps!)
      lines.push([`${order.slice(0, 4)} ${s.layer}`.padEnd(32), ...methods.map((m) => cell(s.methods[m]!))].join(''));
  if (report.randomLogit)
    lines.push(['random logit'.padEnd(32), ...methods.map((m) => cell(report.randomLogit!.methods[m]!))].join(''));
  if (report.dataRandomisation)
    lines.push(['twin'.padEnd(32), ...methods.map((m) => cell(report.dataRandomisation!.methods[m]!))].join(''));
  return lines.join('\n');
}

export async function sanityCommand(flags: Flags): Promise<void> {
  const s = sanitySettings(flags);
  const data = loadSplit(s.dataset, s.split);
  if (s.range.end > data.count)
    throw new PathlightError(
      `sanity --range: the ${s.dataset} ${s.split} split has ${data.count} images, ${s.range.end} asked for`,
    );
  const engine = await createEngine();
  const progress = flags.has('quiet') ? SILENT_PROGRESS : stagedProgress(process.stderr);
  let model: Model | undefined;
  let twin: Model | undefined;
  try {
    const loaded = await loadSanityModel(engine, s.model);
    model = loaded.model;
    imageInputShape(model.info, 'pathlight sanity (image datasets only)');
    if (s.twin) twin = await loadTwin(engine, s.twin, model);
    const indices = rangeIndices(s.range);
    const images = splitImages(data, `${s.dataset} ${s.split} split`, indices, model);
    progress.stage(`sanity ${model.info.name}: explaining (model states)`, { counted: true, eta: true });
    const report = await sanityChecks(
      engine,
      model,
      loaded.spec,
      { ...images, indices },
      {
        methods: s.methods,
        steps: s.steps,
        baseline: s.baseline,
        seed: s.seed,
        orders: s.orders,
        twin,
        batchSize: s.batch,
        onStep: (done, total) => progress.update(done, total),
      },
    );
    progress.finish();
    const adapter = [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description]
      .filter(Boolean)
      .join(' ');
    const { json, svg, batch, ...settings } = s;
    const result = {
      settings: {
        ...settings,
        modelName: model.info.name,
        indices,
        labels: images.labels,
        target: 'the true label',
        randomisation: RANDOMISATION,
        similarity: SIMILARITY_SETTINGS,
      },
      ...report,
      timing: { adapter, seconds: report.seconds, batch },
    };
    const title = `Sanity checks: ${model.info.name} on ${s.dataset} ${s.split} ${s.range.start}:${s.range.end}, ${s.steps} steps, seed ${s.seed}`;
    writeFilesAtomically([
      { path: json, data: JSON.stringify(result, null, 2) + '\n' },
      { path: svg, data: sanityFigureSvg(report, title) },
    ]);
    process.stderr.write(`sanity: wrote ${json} and ${svg}\n`);
    if (flags.has('json')) console.log(JSON.stringify(result, null, 2));
    else console.log(summaryTable(report, s.methods));
  } finally {
    progress.finish();
    twin?.dispose();
    model?.dispose();
    engine.dispose();
  }
}
