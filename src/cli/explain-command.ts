/**
 * `pathlight explain`: one attribution of an input (PNG, .npy or bundled sample), written as .npy
 * (float32, C order, the input's shape) and, for image models, as a heatmap .png, with a summary
 * (text or --json).
 */
import { readFileSync } from 'node:fs';
import { createEngine, type Engine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import { loadModel } from '../models/load.js';
import { writeNpy } from '../models/npy.js';
import { batchShapeStr, imageInputShape, type Model } from '../nn/model.js';
import { explain, type ExplainOptions, type Explanation } from '../attribution/index.js';
import { heatmapPng } from '../viz/heatmap.js';
import { listSamples } from '../data/samples.js';
import type { DatasetName } from '../data/classes.js';
import { pickRelevantReferences } from '../attribution/ig2-references.js';
import type { Flags } from './flags.js';
import { parseExplainFlags, type ExplainRequest } from './explain-flags.js';
import { npyValues, readInput, readNpyFile, testImages } from './inputs.js';
import { writeFilesAtomically } from './atomic-write.js';
import { preprocessPixels } from '../data/preprocess.js';

/** The request's options for `explain`, with what needs the model resolved (a class name, a baseline file). */
function methodOptions(req: ExplainRequest, model: Model): ExplainOptions {
  let target: ExplainOptions['target'] = 'auto';
  if (typeof req.target === 'number') target = req.target;
  else if (req.target !== 'auto') {
    target = (model.info.classNames ?? []).indexOf(req.target.name);
    if (target < 0) throw new PathlightError(`--target '${req.target.name}' is not a class index or name of model ${model.info.name}`);
  }
  const file = req.baseline !== undefined && typeof req.baseline !== 'string' ? req.baseline.file : null;
  // a named baseline is an image, mapped by explain() through the model's declared input
  const baseline = file ? npyValues(readNpyFile(file), file, '--baseline', model, req.layout) : (req.baseline as ExplainOptions['baseline']);
  return { method: req.method, steps: req.steps, rule: req.rule, output: req.output, target, baseline, smoothgrad: req.smoothgrad || undefined, methodOptions: req.methodOptions };
}

interface OutputFiles {
  npy: string;
  /** the heatmap, for image models only (it needs spatial axes) */
  png?: string;
}

/** The outputs for this model: a non-image model gets the .npy alone (a heatmap needs H and W). */
function outputFiles(req: ExplainRequest, model: Model): OutputFiles {
  if (model.info.inputShape.length === 3) return req.out;
  if (req.outGiven && /\.png$/i.test(req.outGiven)) {
    throw new PathlightError(`--out ${req.outGiven}: a heatmap PNG needs an image input [C, H, W], model ${model.info.name} takes ${batchShapeStr(model.info.inputShape)}; use --out file.npy`);
  }
  return { npy: req.out.npy };
}

function summary(r: Explanation, model: Model, engine: Engine, input: string, files: OutputFiles) {
  const names = model.info.classNames;
  return {
    model: model.info.name,
    adapter: `${engine.adapter.vendor} ${engine.adapter.architecture} ${engine.adapter.description}`.trim(),
    input,
    method: r.method,
    steps: r.steps,
    images: r.images.map((im) => ({
      target: im.target,
      className: names?.[im.target],
      fx: im.fx,
      fBaseline: im.fStart,
      sum: im.sum,
      completenessError: r.complete ? im.completenessError : null,
      droppedDelta: im.droppedDelta,
    })),
    gradientEvaluations: r.gradientEvaluations,
    timeMs: Math.round(r.timeMs),
    files,
  };
}

/**
 * IG2's references: `--references file.npy` (shared by all inputs), or the relevant ones
 * (`--references relevant`, the default) picked per input from the dataset's bundled samples.
 */
async function ig2References(req: ExplainRequest, engine: Engine, model: Model, x: Float32Array): Promise<Record<string, unknown>> {
  if (typeof req.references !== 'string') return { references: readNpyFile(req.references.file).data };
  const dataset: DatasetName | undefined = req.dataset;
  if (!dataset) throw new PathlightError('ig2: relevant references come from the bundled samples: say which with --dataset mnist|fashion-mnist, or pass --references file.npy');
  const pool = testImages(dataset, listSamples(dataset).length, model);
  // the samples are pixels: the model's declared input maps them like the input
  const picked = await pickRelevantReferences(engine, model, x, preprocessPixels(pool.data, model.info), { count: req.referenceCount });
  return { references: picked.references, referencesPerImage: picked.referencesPerImage };
}

export async function explainCommand(flags: Flags): Promise<void> {
  // everything that can be checked without a GPU is, before the engine is made
  const req = parseExplainFlags(flags);
  const engine = await createEngine();
  try {
    const { model, notes } = await loadModel(engine, req.model, { input: req.preprocess, maxModelBytes: req.maxModelBytes, inputShape: req.inputShape });
    const x = readInput(req.input, model, req.dataset, req.layout);
    const options = methodOptions(req, model);
    if (options.method === 'ig2') options.methodOptions = { ...options.methodOptions, ...(await ig2References(req, engine, model, x.data)) };
    const files = outputFiles(req, model);
    const r = await explain(engine, model, x.data, options);
    const n = r.shape[0]!;
    const outputs = [{ path: files.npy, data: writeNpy(r.attribution, n === 1 ? r.shape.slice(1) : r.shape) }];
    if (files.png) {
      const [c, h, w] = imageInputShape(model.info, 'the heatmap PNG');
      outputs.push({ path: files.png, data: heatmapPng((x.pixels ?? x.data).subarray(0, c * h * w), r.attribution.subarray(0, c * h * w), c, h, w) });
    }
    writeFilesAtomically(outputs);
    const s = summary(r, model, engine, x.what, files);
    if (req.json) console.log(JSON.stringify({ ...s, notes }, null, 2));
    else printSummary(s, notes);
    model.dispose();
  } finally {
    engine.dispose();
  }
}

function printSummary(s: ReturnType<typeof summary>, notes: string[]): void {
  const f = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3));
  console.log(`model     ${s.model}  (${s.adapter})`);
  console.log(`input     ${s.input}`);
  console.log(`method    ${s.method}, ${s.steps} steps, ${s.gradientEvaluations} gradient evaluations, ${s.timeMs} ms`);
  for (const im of s.images) {
    console.log(`target    ${im.target}${im.className ? ` (${im.className})` : ''}`);
    console.log(`f(x) ${f(im.fx)}   f(baseline) ${f(im.fBaseline)}   Σattr ${f(im.sum)}` + (im.completenessError === null ? '' : `   completeness error ${(100 * im.completenessError).toFixed(3)} %`));
  }
  for (const n of notes) console.log(`note      ${n}`);
  console.log(`wrote     ${[s.files.npy, s.files.png].filter(Boolean).join(', ')}`);
}
