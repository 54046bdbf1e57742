/**
 * `pathlight explain`: one attribution of an input (PNG, .npy or bundled sample), written as .npy
 * (float32, C order, the input's shape) and, for image models, as a bare heatmap .png at the
 * input's size and optionally a captioned figure (--figure .svg|.png), with a summary (text or --json).
 * A run longer than a second shows its stages on stderr (not with --quiet).
 */
import { readFileSync } from 'node:fs';
import { createEngine, type Engine } from '../gpu/engine.js';
import { PathlightError, shapeStr } from '../errors.js';
import { freeInputSizes, loadModel } from '../models/load.js';
import { readPngHeader } from '../data/png-limits.js';
import { writeNpy } from '../models/npy.js';
import { batchShapeStr, imageInputShape, type Model } from '../nn/model.js';
import { describeCheck, explain, prepareExplain, type ExplainOptions, type Explanation } from '../attribution/index.js';
import { heatmapOnlyPng } from '../viz/heatmap.js';
import { figureFile } from '../viz/figure.js';
import { figureCaption } from '../viz/caption.js';
import { listSamples } from '../data/samples.js';
import type { DatasetName } from '../data/classes.js';
import { pickRelevantReferences } from '../attribution/methods/ig2/references.js';
import { modelFileFlags, type Flags } from './flags.js';
import { parseExplainFlags, type ExplainRequest } from './explain-flags.js';
import { npyValues, readInput, readNpyFile, testImages } from './inputs.js';
import { writeFilesAtomically, type OutputFile } from './atomic-write.js';
import { preprocessPixels } from '../data/preprocess.js';
import { SILENT_PROGRESS, stagedProgress, type ProgressStream } from './progress.js';
import { layerFile } from './layer-flags.js';

/** The request's options for `explain`, with what needs the model resolved (a class name, a baseline file). */
function methodOptions(req: ExplainRequest, model: Model): ExplainOptions<string> {
  let target: ExplainOptions['target'] = 'auto';
  if (typeof req.target === 'number') target = req.target;
  else if (req.target !== 'auto') {
    target = (model.info.classNames ?? []).indexOf(req.target.name);
    if (target < 0)
      throw new PathlightError(
        `--target '${req.target.name}' is not a class index or name of model ${model.info.name}`,
      );
  }
  const file = req.baseline !== undefined && typeof req.baseline !== 'string' ? req.baseline.file : null;
  // a named baseline is an image, mapped by explain() through the model's declared input
  const baseline = file
    ? npyValues(readNpyFile(file), file, '--baseline', model, req.layout)
    : (req.baseline as ExplainOptions['baseline']);
  const set = req.baselineSet;
  const baselineSet = set && {
    set: npyValues(readNpyFile(set.file), set.file, '--baseline-set', model, req.layout),
    draws: set.draws,
  };
  return {
    method: req.method,
    steps: req.steps,
    rule: req.rule,
    output: req.output,
    ...(req.targets ? { targets: req.targets } : { target }),
    baseline: baselineSet ?? baseline,
    smoothgrad: req.smoothgrad || undefined,
    methodOptions: req.methodOptions,
    memoryBudgetBytes: req.memoryBudgetBytes,
    ...(req.neuron ? { neuron: req.neuron } : {}),
  };
}

interface OutputFiles {
  npy: string;
  /** the heatmap, for image models only (it needs spatial axes) */
  png?: string;
  /** the captioned figure of the first input (--figure), image models only */
  figure?: string;
}

/** The outputs for this model: a non-image model gets the .npy alone (a heatmap needs H and W). */
function outputFiles(req: ExplainRequest, model: Model): OutputFiles {
  if (model.info.inputShape.length === 3 && !req.layers) return { ...req.out, figure: req.figure };
  if (req.layers && (req.figure || /\.png$/i.test(req.outGiven ?? '')))
    throw new PathlightError(`--layer writes the attribution in the layer's shape: use --out file.npy, no --figure`);
  if (req.figure)
    throw new PathlightError(
      `--figure ${req.figure}: a figure needs an image input [C, H, W], model ${model.info.name} takes ${batchShapeStr(model.info.inputShape)}`,
    );
  if (req.outGiven && /\.png$/i.test(req.outGiven)) {
    throw new PathlightError(
      `--out ${req.outGiven}: a heatmap PNG needs an image input [C, H, W], model ${model.info.name} takes ${batchShapeStr(model.info.inputShape)}; use --out file.npy`,
    );
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
    /** what fBaseline is f of: 'f(baseline)', 'mean f(counterfactual)' (IG2), 'f(blur(x, maxSigma))' */
    start: r.start,
    // with --targets, an entry per input and target, input-major (the .npy's [N, T, ...] order)
    images: r.images.flatMap((image) =>
      (image.targets ?? [image]).map((im) => ({
        target: im.target,
        className: names?.[im.target],
        fx: im.fx,
        fBaseline: im.fStart,
        sum: im.sum,
        completenessError: r.complete ? im.completenessError : null,
        check: im.check,
        gap: im.gap,
        checkText: describeCheck(r, im),
        droppedDelta: im.droppedDelta,
        baselineSensitivity: im.baselineSensitivity,
      })),
    ),
    gradientEvaluations: r.gradientEvaluations,
    timeMs: Math.round(r.timeMs),
    files,
  };
}

/**
 * IG2's references: `--references file.npy` (shared by all inputs), or the relevant ones
 * (`--references relevant`, the default) picked per input from the dataset's bundled samples.
 */
async function ig2References(
  req: ExplainRequest,
  engine: Engine,
  model: Model,
  x: Float32Array,
): Promise<Record<string, unknown>> {
  if (typeof req.references !== 'string') return { references: readNpyFile(req.references.file).data };
  const dataset: DatasetName | undefined = req.dataset;
  if (!dataset)
    throw new PathlightError(
      'ig2: relevant references come from the bundled samples: say which with --dataset mnist|fashion-mnist, or pass --references file.npy',
    );
  const pool = testImages(dataset, listSamples(dataset).length, model);
  // the samples are pixels: the model's declared input maps them like the input
  const picked = await pickRelevantReferences(engine, model, x, preprocessPixels(pool.data, model.info), {
    count: req.referenceCount,
  });
  return { references: picked.references, referencesPerImage: picked.referencesPerImage };
}

/**
 * The model; a model file whose input has free sizes ([-1, 3, -1, -1]) and no --input-shape gets
 * them from the input, as predict's first input binds them: a .npy's shape, a PNG's size.
 */
async function loadForInput(
  engine: Engine,
  req: ExplainRequest,
  flags: Flags,
): Promise<{ model: Model; notes: string[] }> {
  const options = { input: req.preprocess, ...modelFileFlags(flags) };
  try {
    return await loadModel(engine, req.model, options);
  } catch (e) {
    const declared = freeInputSizes(e);
    const row = declared && !options.inputShape ? inputRowShape(req, declared) : undefined;
    if (!row) throw e;
    const loaded = await loadModel(engine, req.model, { ...options, inputShape: row });
    return {
      model: loaded.model,
      notes: [
        ...loaded.notes,
        `the free sizes of the input ${shapeStr(declared!)} were fixed by --input: ${shapeStr(row)}`,
      ],
    };
  }
}

/** An input file's sizes after N, in the model's order: a .npy's shape (less N when it has one), a PNG's C × H × W; undefined for others. */
function inputRowShape(req: ExplainRequest, declared: readonly number[]): number[] | undefined {
  const path = req.input.toLowerCase();
  if (path.endsWith('.npy')) {
    const shape = readNpyFile(req.input).shape;
    const row = shape.length === declared.length ? shape.slice(1) : [...shape];
    return req.layout === 'nhwc' && row.length === 3 ? [row[2]!, row[0]!, row[1]!] : row;
  }
  if (path.endsWith('.png') && declared.length === 4 && declared[1]! > 0) {
    const header = readPngHeader(new Uint8Array(readFileSync(req.input)), req.input);
    return [declared[1]!, header.height, header.width];
  }
  return undefined;
}

/** `progressTo`: where progress goes (stderr; tests pass a stream) */
export async function explainCommand(flags: Flags, progressTo: ProgressStream = process.stderr): Promise<void> {
  // everything that can be checked without a GPU is, before the engine is made
  const req = parseExplainFlags(flags);
  const progress = req.quiet ? SILENT_PROGRESS : stagedProgress(progressTo);
  const onProgress = (done: number, total: number) => progress.update(done, total);
  const engine = await createEngine();
  try {
    progress.stage('loading the model');
    const { model, notes } = await loadForInput(engine, req, flags);
    const x = readInput(req.input, model, req.dataset, req.layout);
    const options = methodOptions(req, model);
    if (options.method === 'ig2') {
      progress.stage('picking IG2 references');
      options.methodOptions = { ...options.methodOptions, ...(await ig2References(req, engine, model, x.data)) };
    }
    const files = outputFiles(req, model);
    // explain() would compile by itself, silently: compiled here first, with its count
    if (req.layers) return await explainLayers(engine, model, x, options, req, files, progress, notes);
    progress.stage('compiling kernels', { counted: true });
    await prepareExplain(engine, model, { ...options, onProgress });
    progress.stage('explaining', { counted: true, eta: true });
    const r = await explain(engine, model, x.data, { ...options, onProgress });
    progress.stage('writing');
    const n = r.shape[0]!;
    const outputs: OutputFile[] = [
      { path: files.npy, data: writeNpy(r.attribution, n === 1 ? r.shape.slice(1) : r.shape) },
    ];
    if (files.png) {
      const [c, h, w] = imageInputShape(model.info, 'the heatmap PNG');
      outputs.push({ path: files.png, data: heatmapOnlyPng(r.attribution.subarray(0, c * h * w), c, h, w) });
      if (files.figure) {
        const caption = { ...figureCaption(r, 0, model.info.name, model.info.classNames), method: req.methodFlag };
        const shape = [c, h, w];
        outputs.push({
          path: files.figure,
          data: figureFile(files.figure, {
            pixels: (x.pixels ?? x.data).subarray(0, c * h * w),
            attribution: r.attribution.subarray(0, c * h * w),
            shape,
            caption,
          }),
        });
      }
    }
    writeFilesAtomically(outputs);
    progress.finish();
    const s = summary(r, model, engine, x.what, files);
    if (req.json) console.log(JSON.stringify({ ...s, notes }, null, 2));
    else printSummary(s, notes);
    model.dispose();
  } finally {
    progress.finish(); // (an error line starts on a clean line)
    engine.dispose();
  }
}

/** --layer: one explain() per layer, each as a separate call would be, one .npy each; the summaries name their layers. */
async function explainLayers(
  engine: Engine,
  model: Model,
  x: ReturnType<typeof readInput>,
  options: ExplainOptions<string>,
  req: ExplainRequest,
  files: OutputFiles,
  progress: ReturnType<typeof stagedProgress>,
  notes: string[],
): Promise<void> {
  const onProgress = (done: number, total: number) => progress.update(done, total);
  const results = [];
  for (const layer of req.layers!) {
    progress.stage(`explaining at ${layer}`, { counted: true, eta: true });
    const r = await explain(engine, model, x.data, { ...options, layer, onProgress });
    const npy = layerFile(files.npy, layer, req.layers!.length > 1);
    writeFilesAtomically([{ path: npy, data: writeNpy(r.attribution, r.shape) }]);
    results.push({ layer, shape: r.shape, ...summary(r, model, engine, x.what, { npy }) });
  }
  progress.finish();
  if (req.json)
    console.log(JSON.stringify(results.length === 1 ? { ...results[0], notes } : { layers: results, notes }, null, 2));
  else
    for (const s of results) {
      console.log(`layer     ${s.layer}  [${s.shape.join(', ')}]`);
      printSummary(s, notes);
    }
  model.dispose();
}

function printSummary(s: ReturnType<typeof summary>, notes: string[]): void {
  const f = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3));
  console.log(`model     ${s.model}  (${s.adapter})`);
  console.log(`input     ${s.input}`);
  console.log(`method    ${s.method}, ${s.steps} steps, ${s.gradientEvaluations} gradient evaluations, ${s.timeMs} ms`);
  for (const im of s.images) {
    console.log(`target    ${im.target}${im.className ? ` (${im.className})` : ''}`);
    console.log(`f(x) ${f(im.fx)}   ${s.start} ${f(im.fBaseline)}   Σattr ${f(im.sum)}`);
    console.log(`check     ${im.checkText}`);
    const b = im.baselineSensitivity;
    if (b) console.log(`baselines std Σattr ${f(b.sumStd)}   mean std / mean |attr| ${f(b.pixelStdRatio)}`);
  }
  for (const n of notes) console.log(`note      ${n}`);
  console.log(`wrote     ${[s.files.npy, s.files.png, s.files.figure].filter(Boolean).join(', ')}`);
}
