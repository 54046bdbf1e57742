/**
 * `pathlight eval --model <m> --method ig,idgi,… [--samples N] [--steps N] [--baseline b]
 *   [--references R] [--dataset d] [--metrics road,…] [--json] [--out file.json]`: faithfulness
 * metrics (insertion / deletion AUC, SIC / AIC AUC with MS-SSIM, Gini, completeness error, and
 * the Quantus-style ones named by --metrics: docs/metrics.md) of several methods on the
 * first N test images (the bundled samples for N ≤ 8, else the dataset's test split). IG2's
 * references are the relevant ones picked per image from the following test images (or the other
 * bundled samples).
 */
import { createEngine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import { loadModel } from '../models/load.js';
import { imageInputShape } from '../nn/model.js';
import { listSamples } from '../data/samples.js';
import { evaluateMethods, evaluationTable, quantusTable } from '../metrics/evaluate-methods.js';
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
  type Flags,
} from './flags.js';
import { testImages } from './inputs.js';
import { checkOutputPath } from './paths.js';
import { writeFilesAtomically } from './atomic-write.js';

export const EVAL_FLAGS = [
  'model',
  'method',
  'samples',
  'steps',
  'baseline',
  'references',
  'dataset',
  'metrics',
  'json',
  'out',
  ...MODEL_FILE_FLAGS,
];

/** IG2's candidate references: the test images after the evaluated ones, or all bundled samples. */
const POOL_SIZE = 64;

export async function evalCommand(flags: Flags): Promise<void> {
  // everything that can be checked without a GPU is, before the engine is made
  checkKnownFlags(flags, EVAL_FLAGS, 'eval');
  const spec = flags.get('model');
  if (!spec) throw new PathlightError('eval: --model is required');
  checkModelFlag(spec);
  const methods = (flags.get('method') ?? 'ig,idgi').split(',');
  for (const m of methods) checkMethodName(m, 'eval');
  const dataset = datasetOf(flags);
  if (!dataset) throw new PathlightError('eval: say which test images with --dataset mnist|fashion-mnist');
  const samples = intFlag(flags, 'samples', 8);
  const steps = intFlag(flags, 'steps', 64);
  const ig2References = intFlag(flags, 'references', 2);
  const baseline = choiceFlag(flags, 'baseline', ['black', 'white', 'uniform', 'blur'] as const, 'black');
  const out = flags.get('out');
  if (out) checkOutputPath(out, '--out', ['.json']);
  const metricsFlag = flags.get('metrics');
  const quantusMetrics = metricsFlag ? checkQuantusMetrics(metricsFlag.split(','), 'eval --metrics') : [];

  const engine = await createEngine();
  try {
    const { model } = await loadModel(engine, spec, modelFileFlags(flags));
    imageInputShape(model.info, 'pathlight eval (image datasets and pixel metrics only)');
    const images = testImages(dataset, samples, model);
    const bundled = listSamples(dataset).length;
    const pool = methods.includes('ig2')
      ? samples < bundled
        ? testImages(dataset, bundled, model)
        : testImages(dataset, POOL_SIZE, model, samples)
      : null;
    const started = performance.now();
    const rows = await evaluateMethods(engine, model, images.data, {
      methods,
      steps,
      baseline,
      ig2References,
      referencePool: pool?.data,
      quantusMetrics,
      onMethod: (m, i) =>
        process.stderr.write(`eval ${model.info.name}: ${m} (${i + 1}/${methods.length}) on ${samples} image(s)\n`),
    });
    const result = {
      model: model.info.name,
      dataset,
      images: images.source,
      labels: images.labels,
      baseline,
      referencePool: pool?.source ?? null,
      adapter: [engine.adapter.vendor, engine.adapter.architecture, engine.adapter.description]
        .filter(Boolean)
        .join(' '),
      seconds: +((performance.now() - started) / 1000).toFixed(1),
      methods: rows,
    };
    if (out) writeFilesAtomically([{ path: out, data: JSON.stringify(result, null, 2) + '\n' }]);
    if (flags.has('json')) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`${result.model} on ${result.images}, baseline ${baseline}, ${result.adapter}, ${result.seconds} s`);
      console.log(evaluationTable(rows));
      if (quantusMetrics.length) console.log('\n' + quantusTable(rows));
    }
    model.dispose();
  } finally {
    engine.dispose();
  }
}
