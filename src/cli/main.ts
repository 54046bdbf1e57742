/**
 * The `pathlight` command.
 *   pathlight explain --model <zoo-name|file.onnx|file.safetensors> --input <file.png|file.npy|sample:N>
 *     [--dataset mnist|fashion-mnist] [--target <class|auto>] --method <name> [--steps N]
 *     [--rule left|right|middle|trapezoid|gauss-legendre] [--output logit|prob]
 *     [--baseline black|white|uniform|blur|file.npy] [--out file.npy|file.png] [--json]
 * Writes the attribution (.npy, float32, C order, same shape as the input) and its heatmap (.png).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEngine, type Engine } from '../gpu/engine.js';
import { PathlightError } from '../gpu/errors.js';
import { loadModel } from '../models/load.js';
import { isZooName, zooEntry } from '../models/zoo.js';
import { readNpy, writeNpy } from '../models/npy.js';
import { decodePng } from '../data/png.js';
import { loadSample } from '../data/samples.js';
import { toRgb32 } from '../data/transforms.js';
import type { DatasetName } from '../data/classes.js';
import type { Model } from '../nn/model.js';
import { explain, methodNames, type ExplainOptions, type Explanation } from '../attribution/index.js';
import { INTEGRATION_RULES, type IntegrationRule } from '../attribution/quadrature.js';
import { heatmapPng } from '../viz/heatmap.js';

const USAGE = `usage:
  pathlight explain --model <lenet|vgg|resnet|mobilenet|file.onnx|file.safetensors>
                    --input <file.png|file.npy|sample:N> --method <method>
                    [--dataset mnist|fashion-mnist] [--target <class|auto>] [--steps N]
                    [--rule ${INTEGRATION_RULES.join('|')}] [--output logit|prob]
                    [--baseline black|white|uniform|blur|file.npy] [--out file.npy|file.png] [--json]
  methods: ${'grad, gradxinput, ig, idgi, gig, gig-idgi, blurig, blurig-idgi, ig2, smoothgrad[:<method>]'}`;

type Flags = Map<string, string>;

function parseFlags(argv: string[]): Flags {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new PathlightError(`unexpected argument '${a}'\n${USAGE}`);
    const name = a.slice(2);
    if (name === 'json' || name === 'help') flags.set(name, 'true');
    else {
      const v = argv[++i];
      if (v === undefined) throw new PathlightError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  return flags;
}

function datasetOf(flags: Flags): DatasetName | undefined {
  const d = flags.get('dataset');
  if (d !== undefined && d !== 'mnist' && d !== 'fashion-mnist') throw new PathlightError(`--dataset must be mnist or fashion-mnist, got '${d}'`);
  if (d) return d;
  const m = flags.get('model') ?? '';
  return isZooName(m) ? zooEntry(m).dataset : undefined;
}

/** The input as [N, C, H, W] values for `model`, plus a description. */
function readInput(spec: string, model: Model, dataset: DatasetName | undefined): { data: Float32Array; label?: number; what: string } {
  const [c, h, w] = model.info.inputShape;
  const fit = (img: Float32Array, ih: number, iw: number, what: string, label?: number) => {
    if (ih === h && iw === w && img.length === c * h * w) return { data: img, label, what };
    if (c === 3 && ih === 28 && iw === 28 && h === 32 && w === 32 && img.length === 28 * 28) return { data: toRgb32(img, 1), label, what: `${what} (padded to 3×32×32)` };
    throw new PathlightError(`input ${what} is ${img.length / (ih * iw)}×${ih}×${iw}, model ${model.info.name} expects ${c}×${h}×${w}`);
  };
  const sample = /^sample:(\d+)$/.exec(spec);
  if (sample) {
    if (!dataset) throw new PathlightError(`--input ${spec}: say which samples with --dataset mnist|fashion-mnist`);
    const s = loadSample(dataset, Number(sample[1]));
    return fit(s.image, s.shape[1], s.shape[2], `${dataset} sample ${sample[1]} (${s.className})`, s.label);
  }
  if (!existsSync(spec)) throw new PathlightError(`input file ${spec} does not exist`);
  const bytes = new Uint8Array(readFileSync(spec));
  if (spec.toLowerCase().endsWith('.png')) {
    const img = decodePng(bytes, { channels: c === 3 ? 3 : 1, source: spec });
    return fit(img.data, img.height, img.width, spec);
  }
  if (spec.toLowerCase().endsWith('.npy')) {
    const a = readNpy(bytes);
    const per = c * h * w;
    if (a.data.length % per !== 0) throw new PathlightError(`input ${spec} has shape [${a.shape.join(', ')}], expected [N, ${c}, ${h}, ${w}] or [${c}, ${h}, ${w}]`);
    return { data: a.data, what: spec };
  }
  throw new PathlightError(`input ${spec}: use a .png, a .npy or sample:N`);
}

function methodOptions(flags: Flags, model: Model): ExplainOptions {
  let method = flags.get('method');
  if (!method) throw new PathlightError(`--method is required (${methodNames().join(', ')}, smoothgrad)`);
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

async function explainCommand(flags: Flags): Promise<void> {
  const spec = flags.get('model');
  if (!spec) throw new PathlightError(`--model is required\n${USAGE}`);
  const input = flags.get('input');
  if (!input) throw new PathlightError(`--input is required\n${USAGE}`);
  const engine = await createEngine();
  try {
    const { model, notes } = await loadModel(engine, spec);
    const x = readInput(input, model, datasetOf(flags));
    const options = methodOptions(flags, model);
    const r = await explain(engine, model, x.data, options);
    const files = outputPaths(flags, model.info.name, flags.get('method')!);
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

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command !== 'explain') throw new PathlightError(`unknown command '${command}'\n${USAGE}`);
  await explainCommand(parseFlags(rest));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof PathlightError) console.error(`pathlight: ${e.message}`);
  else console.error(e);
  process.exit(1);
});
