/**
 * `pathlight explain`: one attribution of an input (PNG, .npy or bundled sample), written as .npy
 * (float32, C order, the input's shape) and as a heatmap .png, with a summary (text or --json).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEngine, type Engine } from '../gpu/engine.js';
import { PathlightError } from '../gpu/errors.js';
import { loadModel } from '../models/load.js';
import { readNpy, writeNpy } from '../models/npy.js';
import type { Model } from '../nn/model.js';
import { explain, type ExplainOptions, type Explanation } from '../attribution/index.js';
import type { IntegrationRule } from '../attribution/quadrature.js';
import { heatmapPng } from '../viz/heatmap.js';
import { listSamples } from '../data/samples.js';
import type { DatasetName } from '../data/classes.js';
import { pickRelevantReferences } from '../attribution/ig2-references.js';
import { datasetOf, intFlag, type Flags } from './flags.js';
import { readInput, testImages } from './inputs.js';

const DEFAULT_METHOD = 'ig';

function methodOptions(flags: Flags, model: Model): ExplainOptions {
  let method = flags.get('method') ?? DEFAULT_METHOD;
  let smoothgrad: ExplainOptions['smoothgrad'];
  if (method === 'smoothgrad' || method.startsWith('smoothgrad:')) {
    smoothgrad = true;
    method = method.split(':')[1] ?? 'grad';
  }
  const steps = flags.has('steps') ? Number(flags.get('steps')) : undefined;
  const rule = flags.get('rule') as IntegrationRule | undefined;
  const output = (flags.get('output') ?? 'logit') as 'logit' | 'prob';
  const t = flags.get('target') ?? 'auto';
  let target: ExplainOptions['target'] = 'auto';
  if (t !== 'auto') {
    const names = model.info.classNames ?? [];
    const byName = names.indexOf(t);
    target = byName >= 0 && !/^\d+$/.test(t) ? byName : Number(t);
    if (!Number.isInteger(target)) throw new PathlightError(`--target '${t}' is not a class index or name of model ${model.info.name}`);
  }
  const b = flags.get('baseline') ?? 'black';
  let baseline: ExplainOptions['baseline'];
  if (b.toLowerCase().endsWith('.npy')) {
    if (!existsSync(b)) throw new PathlightError(`baseline file ${b} does not exist`);
    baseline = readNpy(new Uint8Array(readFileSync(b))).data;
  } else if (['black', 'white', 'uniform', 'blur'].includes(b)) baseline = b as 'black';
  else throw new PathlightError(`--baseline must be black, white, uniform, blur or a .npy file, got '${b}'`);
  return { method, steps, rule, output, target, baseline, smoothgrad };
}

function outputPaths(flags: Flags, modelName: string, method: string): { npy: string; png: string } {
  const out = flags.get('out') ?? `out/${modelName}-${method.replace(':', '-')}.png`;
  const stem = out.replace(/\.(npy|png)$/i, '');
  if (stem === out) throw new PathlightError(`--out ${out}: use a .npy or .png file name`);
  return { npy: `${stem}.npy`, png: `${stem}.png` };
}

function summary(r: Explanation, model: Model, engine: Engine, input: string, files: { npy: string; png: string }) {
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
async function ig2References(flags: Flags, engine: Engine, model: Model, x: Float32Array, dataset: DatasetName | undefined): Promise<Record<string, unknown>> {
  const spec = flags.get('references') ?? 'relevant';
  if (spec.toLowerCase().endsWith('.npy')) {
    if (!existsSync(spec)) throw new PathlightError(`references file ${spec} does not exist`);
    return { references: readNpy(new Uint8Array(readFileSync(spec))).data };
  }
  if (spec !== 'relevant') throw new PathlightError(`--references must be 'relevant' or a .npy file of reference images, got '${spec}'`);
  if (!dataset) throw new PathlightError('ig2: relevant references come from the bundled samples: say which with --dataset mnist|fashion-mnist, or pass --references file.npy');
  const pool = testImages(dataset, listSamples(dataset).length, model);
  const picked = await pickRelevantReferences(engine, model, x, pool.data, { count: intFlag(flags, 'reference-count', 2) });
  return { references: picked.references, referencesPerImage: picked.referencesPerImage };
}

export async function explainCommand(flags: Flags): Promise<void> {
  const spec = flags.get('model');
  if (!spec) throw new PathlightError('--model is required');
  const input = flags.get('input');
  if (!input) throw new PathlightError('--input is required');
  const engine = await createEngine();
  try {
    const { model, notes } = await loadModel(engine, spec);
    const x = readInput(input, model, datasetOf(flags));
    const options = methodOptions(flags, model);
    if (options.method === 'ig2') options.methodOptions = await ig2References(flags, engine, model, x.data, datasetOf(flags));
    const r = await explain(engine, model, x.data, options);
    const files = outputPaths(flags, model.info.name, flags.get('method') ?? DEFAULT_METHOD);
    mkdirSync(dirname(files.npy), { recursive: true });
    const n = r.shape[0]!;
    writeFileSync(files.npy, writeNpy(r.attribution, n === 1 ? r.shape.slice(1) : r.shape));
    const [c, h, w] = model.info.inputShape;
    writeFileSync(files.png, heatmapPng(x.data.subarray(0, c * h * w), r.attribution.subarray(0, c * h * w), c, h, w));
    const s = summary(r, model, engine, x.what, files);
    if (flags.has('json')) console.log(JSON.stringify({ ...s, notes }, null, 2));
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
  console.log(`wrote     ${s.files.npy}, ${s.files.png}`);
}
