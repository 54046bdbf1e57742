/**
 * The demo page: pick a zoo model (or the TF.js emotion model, when served) and an image, run explain() for each chosen method on
 * navigator.gpu, and show heatmaps (|attr| or signed, with a colour bar), completeness, timings and insertion/deletion curves.
 * The target class, the baseline and each method's options are picked on the page; each result
 * downloads as .npy (the attribution) and as the captioned figure (.svg, src/viz/figure.ts).
 * `body[data-state]` (loading → ready → running → done | error) lets the test follow along.
 */
import { createEngine, type Engine } from '../src/gpu/engine.js';
import {
  describeCheck,
  explain,
  pickRelevantReferences,
  prepareExplain,
  type ExplainOptions,
  type Explanation,
} from '../src/attribution/index.js';
import type { BaselineSpec } from '../src/attribution/baselines.js';
import { writeNpy } from '../src/models/npy.js';
import { figureSvg } from '../src/viz/figure.js';
import { figureCaption } from '../src/viz/caption.js';
import { insertionDeletion } from '../src/metrics/insertion-deletion.js';
import type { SampleEntry } from '../src/data/samples.js';
import { preprocessPixels } from '../src/data/preprocess.js';
import {
  availableModels,
  datasetOf,
  EMOTION,
  EMOTION_SAMPLES,
  faceSample,
  fileInput,
  hasEmotionModel,
  listSamples,
  loadDemoModel,
  loadEmotionModel,
  sampleInput,
  type DemoModel,
  type DemoModelName,
} from './assets.js';
import {
  CURVE_COLOURS,
  drawColourBar,
  drawCurves,
  drawHeatmap,
  drawInput,
  drawSigned,
  layerMapOverInput,
  type HeatView,
} from './render.js';

/** What the page's pickers say, read when Explain is pressed. */
interface Picked {
  steps: number;
  target: number | 'auto';
  baseline: BaselineSpec;
  gig: { fraction: number; maxDist: number };
  maxSigma: number;
  ig2: { stepSize: number; references: number };
  smoothgrad: { samples: number; noiseLevel: number };
  /** the layer Grad-CAM and layer IDGI attribute to */
  layer: string;
}

/**
 * Checkbox name → explain() options. The baseline goes to the straight-line and Guided IG paths
 * only: Blur IG and IG2 start where their method says, and gradients have no start. IG2's
 * references are picked when it runs (`ig2References`).
 */
const METHODS: Record<string, (p: Picked) => ExplainOptions<string>> = {
  grad: () => ({ method: 'grad' }),
  ig: (p) => ({ method: 'ig', steps: p.steps, baseline: p.baseline }),
  idgi: (p) => ({ method: 'idgi', steps: p.steps, baseline: p.baseline }),
  gig: (p) => ({ method: 'gig', steps: p.steps, baseline: p.baseline, methodOptions: { ...p.gig } }),
  'gig-idgi': (p) => ({ method: 'gig-idgi', steps: p.steps, baseline: p.baseline, methodOptions: { ...p.gig } }),
  blurig: (p) => ({ method: 'blurig', steps: p.steps, methodOptions: { maxSigma: p.maxSigma } }),
  'blurig-idgi': (p) => ({ method: 'blurig-idgi', steps: p.steps, methodOptions: { maxSigma: p.maxSigma } }),
  ig2: (p) => ({ method: 'ig2', steps: p.steps, methodOptions: { stepSize: p.ig2.stepSize } }),
  smoothgrad: (p) => ({ method: 'grad', smoothgrad: { ...p.smoothgrad } }),
  gradcam: (p) => ({ method: 'gradcam', layer: p.layer }),
  'layer-idgi': (p) => ({ method: 'idgi', steps: p.steps, baseline: p.baseline, layer: p.layer }),
};
/** Methods that attribute to the picked layer: their maps are drawn at the layer's resolution, upsampled to the input. */
const LAYER_METHODS = new Set(['gradcam', 'layer-idgi']);
const DEFAULT_METHODS = new Set(['ig', 'idgi']);
const CURVE_STEPS = 16;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  form: $<HTMLFormElement>('controls'),
  model: $<HTMLSelectElement>('model'),
  modelNote: $<HTMLParagraphElement>('model-note'),
  sample: $<HTMLSelectElement>('sample'),
  drop: $<HTMLLabelElement>('drop'),
  file: $<HTMLInputElement>('file'),
  input: $<HTMLCanvasElement>('input'),
  methods: $<HTMLDivElement>('methods'),
  steps: $<HTMLInputElement>('steps'),
  target: $<HTMLSelectElement>('target'),
  baseline: $<HTMLSelectElement>('baseline'),
  gigFraction: $<HTMLInputElement>('gig-fraction'),
  gigMaxDist: $<HTMLInputElement>('gig-max-dist'),
  blurMaxSigma: $<HTMLInputElement>('blur-max-sigma'),
  ig2Eta: $<HTMLInputElement>('ig2-eta'),
  ig2References: $<HTMLInputElement>('ig2-references'),
  sgSamples: $<HTMLInputElement>('sg-samples'),
  sgNoise: $<HTMLInputElement>('sg-noise'),
  layer: $<HTMLSelectElement>('layer'),
  view: $<HTMLSelectElement>('view'),
  run: $<HTMLButtonElement>('run'),
  progress: $<HTMLProgressElement>('progress'),
  status: $<HTMLSpanElement>('status'),
  results: $<HTMLElement>('results'),
};

let engine: Engine;
let current: DemoModel | null = null;
let samples: SampleEntry[] = [];
/** the model input: the pixels shown, through the model's declared preprocessing */
let input: Float32Array | null = null;
/** the [0, 1] pixels shown (heatmaps are laid over them) */
let shownPixels: Float32Array | null = null;
/** the true class of the current input, when known (samples) */
let label: number | null = null;
/** each shown card's explanation (a layer's spread over the input's shape), redrawn when the view changes */
const shown: { card: Card; e: Explanation }[] = [];

function setState(state: 'loading' | 'ready' | 'running' | 'done' | 'error', message: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = message;
  const busy = state === 'loading' || state === 'running';
  // DOM collections are not iterable under this tsconfig's lib (no DOM.Iterable): Array.from
  for (const el of Array.from(
    ui.form.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLButtonElement>('input, select, button'),
  ))
    el.disabled = busy;
}

function fail(e: unknown): void {
  console.error(e);
  setState('error', `${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
}

function option(value: string, text: string): HTMLOptionElement {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function modelNote(m: DemoModel): string {
  const shape = m.model.info.inputShape.join('×');
  if (m.name === EMOTION)
    return `${shape}, TF.js graph model from @vladmandic/human, trained on FER-2013; input gray, (gray − 0.5)·2`;
  return m.trained
    ? `${shape}, trained on ${datasetOf(m.name)}`
    : `untrained weights: assets/models/${m.name}-${datasetOf(m.name)}.safetensors is not there yet, so this ${m.name} has random weights and its attributions mean little`;
}

async function selectModel(name: DemoModelName): Promise<void> {
  setState('loading', `loading ${name}…`);
  current?.model.dispose();
  current = null;
  current = name === EMOTION ? await loadEmotionModel(engine) : await loadDemoModel(engine, name);
  ui.modelNote.textContent = modelNote(current);
  ui.modelNote.classList.toggle('warn', !current.trained);
  const classes =
    current.model.info.classNames ?? Array.from({ length: current.model.info.numClasses }, (_, k) => String(k));
  ui.target.replaceChildren(option('auto', 'auto (top-1)'), ...classes.map((n, k) => option(String(k), `${k}: ${n}`)));
  fillLayers(current.model.layers());
  samples = name === EMOTION ? EMOTION_SAMPLES : await listSamples(datasetOf(name));
  ui.sample.replaceChildren(...samples.map((s, i) => option(String(i), `#${i}: ${s.className}`)));
  await selectSample(0);
}

/**
 * The layer picker: the model's spatial layers ([C, H, W] per row, which a map can show), tappable ones first
 * (the others split a fusion, compiled once); the default is the last tappable one, the last conv block's output.
 */
function fillLayers(layers: { name: string; shape: number[]; tappable: boolean }[]): void {
  const spatial = layers.filter((l) => l.shape.length === 3);
  const group = (label: string, ls: typeof spatial) => {
    const g = document.createElement('optgroup');
    g.label = label;
    g.append(...ls.map((l) => option(l.name, `${l.name} (${l.shape.join('×')})`)));
    return g;
  };
  const tappable = spatial.filter((l) => l.tappable);
  const fused = spatial.filter((l) => !l.tappable);
  ui.layer.replaceChildren(
    ...(tappable.length ? [group('tappable', tappable)] : []),
    ...(fused.length ? [group('inside a fusion (split when tapped)', fused)] : []),
  );
  ui.layer.value = (tappable.at(-1) ?? spatial.at(-1))?.name ?? '';
}

async function selectSample(index: number): Promise<void> {
  const entry = samples[index]!;
  const { name, model } = current!;
  if (name === EMOTION) setInput(await faceSample(model.info.inputShape), null);
  else setInput(await sampleInput(datasetOf(name), entry, model.info.inputShape), entry.label);
}

/** `pixels` in [0, 1] as shown; the model gets them through its declared preprocessing (if any). */
function setInput(pixels: Float32Array, trueLabel: number | null): void {
  shownPixels = pixels;
  input = preprocessPixels(pixels, current!.model.info);
  label = trueLabel;
  drawInput(ui.input, pixels, current!.model.info.inputShape);
  clearResults();
  ui.progress.value = 0;
  setState('ready', 'ready');
}

async function useFile(file: File): Promise<void> {
  setState('loading', `reading ${file.name}…`);
  const x = await fileInput(file, current!.model.info.inputShape);
  if (!Array.from(ui.sample.options).some((o) => o.value === 'own')) ui.sample.append(option('own', 'your image'));
  ui.sample.value = 'own';
  setInput(x, null);
}

function chosenMethods(): string[] {
  return Array.from(ui.methods.querySelectorAll<HTMLInputElement>('input:checked')).map((c) => c.value);
}

function clearResults(): void {
  for (const { card } of shown.splice(0))
    for (const a of Array.from(card.downloads.querySelectorAll('a'))) URL.revokeObjectURL(a.href);
  ui.results.replaceChildren();
}

type Card = ReturnType<typeof makeCard>;

/** One result card per method: title, per-method progress bar, heatmap with its colour bar, numbers, curves, downloads. */
function makeCard(method: string) {
  const card = document.createElement('article');
  card.className = 'card';
  card.dataset.method = method;
  const title = document.createElement('h2');
  title.textContent = method;
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  const heat = document.createElement('canvas');
  heat.className = 'pixels heatmap';
  const bar = document.createElement('canvas');
  bar.className = 'bar';
  const ticks = document.createElement('div');
  ticks.className = 'ticks';
  const stats = document.createElement('dl');
  const curve = document.createElement('canvas');
  curve.className = 'curve';
  const downloads = document.createElement('div');
  downloads.className = 'downloads';
  card.append(title, progress, heat, bar, ticks, stats, curve, downloads);
  ui.results.append(card);
  return { card, title, progress, heat, bar, ticks, stats, curve, downloads };
}

/** The card's map in the chosen view, with its colour bar. */
function drawResult(c: Card, e: Explanation): void {
  const { inputShape } = current!.model.info;
  const view = ui.view.value as HeatView;
  if (view === 'signed') drawSigned(c.heat, e.attribution, inputShape);
  else drawHeatmap(c.heat, e.attribution, inputShape, shownPixels!);
  drawColourBar(c.bar, c.ticks, e.attribution, inputShape, view);
}

/** A download link for bytes made on the page. */
function downloadLink(
  kind: 'npy' | 'svg',
  file: string,
  data: BlobPart,
  type: string,
  text: string,
): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([data], { type }));
  a.download = file;
  a.dataset.kind = kind;
  a.textContent = text;
  return a;
}

/** A layer's explanation with its attribution spread over the input's shape, for the page's views. */
function overInput(e: Explanation): Explanation {
  const { inputShape } = current!.model.info;
  return {
    ...e,
    shape: [1, ...inputShape],
    attribution: layerMapOverInput(e.attribution, e.shape.slice(1), inputShape),
  };
}

/** The attribution as .npy (float32, `raw`'s shape: the input's, or the layer's) and the captioned figure as .svg. */
function addDownloads(c: Card, e: Explanation, method: string, raw: Explanation): void {
  const { name, model } = current!;
  const shape = model.info.inputShape;
  const stem = `${name}-${method}`;
  const caption = { ...figureCaption(e, 0, name, model.info.classNames), method };
  const svg = figureSvg({ pixels: shownPixels!, attribution: e.attribution, shape, caption });
  c.downloads.replaceChildren(
    downloadLink(
      'npy',
      `${stem}.npy`,
      new Uint8Array(writeNpy(raw.attribution, raw.shape.slice(1))),
      'application/octet-stream',
      'attribution .npy',
    ),
    downloadLink('svg', `${stem}.svg`, svg, 'image/svg+xml', 'figure .svg'),
  );
}

/** IG2's references: for each explained image, the bundled samples the model finds most typical of its next likely classes. */
async function ig2References(
  x: Float32Array,
  target: number | 'auto',
  count: number,
): Promise<Record<string, unknown>> {
  const { name, model } = current!;
  if (name === EMOTION)
    throw new Error(
      'ig2 needs reference images: the page has them for the zoo models (their bundled samples), not for the emotion model',
    );
  const dataset = datasetOf(name);
  const pool = await Promise.all(samples.map((entry) => sampleInput(dataset, entry, model.info.inputShape)));
  const joined = new Float32Array(pool.reduce((n, p) => n + p.length, 0));
  pool.forEach((p, i) => joined.set(p, i * p.length));
  const picked = await pickRelevantReferences(engine, model, x, preprocessPixels(joined, model.info), {
    count,
    targets: target === 'auto' ? undefined : [target],
  });
  return { references: picked.references, referencesPerImage: picked.referencesPerImage };
}

function numberOf(el: HTMLInputElement): number {
  return el.value.trim() === '' ? NaN : Number(el.value);
}

function picked(): Picked {
  return {
    steps: numberOf(ui.steps),
    target: ui.target.value === 'auto' ? 'auto' : Number(ui.target.value),
    baseline: ui.baseline.value as BaselineSpec,
    gig: { fraction: numberOf(ui.gigFraction), maxDist: numberOf(ui.gigMaxDist) },
    maxSigma: numberOf(ui.blurMaxSigma),
    ig2: { stepSize: numberOf(ui.ig2Eta), references: numberOf(ui.ig2References) },
    smoothgrad: { samples: numberOf(ui.sgSamples), noiseLevel: numberOf(ui.sgNoise) },
    layer: ui.layer.value,
  };
}

function fillStats(dl: HTMLElement, rows: [string, string][]): void {
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function explanationRows(e: Explanation, classNames: readonly string[]): [string, string][] {
  const img = e.images[0]!;
  return [
    [
      'class',
      `${classNames[img.target] ?? img.target}${label !== null ? (img.target === label ? ' ✓' : ` (true: ${classNames[label]})`) : ''}`,
    ],
    ['f(x)', img.fx.toFixed(3)],
    ['Σ attr', img.sum.toFixed(3)],
    ['check', describeCheck(e, img)],
    ['time', `${e.timeMs.toFixed(0)} ms, ${e.gradientEvaluations} grads`],
  ];
}

async function runAll(): Promise<void> {
  const methods = chosenMethods();
  if (!methods.length) return setState('error', 'pick at least one method');
  const p = picked();
  const steps = p.steps;
  if (!Number.isInteger(steps) || steps < 1)
    return setState('error', `steps must be a positive integer, got '${ui.steps.value}'`);
  const { model } = current!;
  const x = input!;
  clearResults();
  ui.progress.max = methods.length;
  ui.progress.value = 0;
  const cards = methods.map(makeCard);
  for (const [i, method] of methods.entries()) {
    const c = cards[i]!;
    setState('running', `${method} (${i + 1}/${methods.length})…`);
    c.progress.removeAttribute('value'); // indeterminate while kernels compile, then path points done
    try {
      // first use of a method: its kernels compile asynchronously, all at once, with progress
      const options: ExplainOptions<string> = { ...METHODS[method]!(p), target: p.target };
      if (method === 'ig2')
        options.methodOptions = { ...options.methodOptions, ...(await ig2References(x, p.target, p.ig2.references)) };
      await prepareExplain(engine, model, {
        ...options,
        onProgress: (done, total) =>
          total > 0 &&
          setState('running', `${method} (${i + 1}/${methods.length}): compiling kernels ${done}/${total}…`),
      });
      setState('running', `${method} (${i + 1}/${methods.length})…`);
      // path points the GPU has finished, reported between chunks (explain yields there, so the page repaints)
      const onProgress = (done: number, total: number) => {
        c.progress.value = done / total;
        ui.progress.value = i + done / total;
      };
      const raw = await explain(engine, model, x, { ...options, onProgress });
      // a layer's map is shown (and scored by insertion/deletion) upsampled to the input; the .npy keeps the layer's shape
      const e = LAYER_METHODS.has(method) ? overInput(raw) : raw;
      if (e !== raw) c.title.textContent = `${method} @ ${p.layer} (at ${raw.shape.slice(-2).join('×')}, upsampled)`;
      shown.push({ card: c, e });
      drawResult(c, e);
      addDownloads(c, e, method, raw);
      const rows = explanationRows(e, model.info.classNames ?? []);
      fillStats(c.stats, rows);
      const t0 = performance.now();
      const curves = await insertionDeletion(engine, model, x, e.attribution, {
        target: e.images[0]!.target,
        steps: CURVE_STEPS,
      });
      drawCurves(c.curve, curves);
      rows.push(
        ['insertion', `AUC ${curves.insertion.auc.toFixed(3)}`],
        ['deletion', `AUC ${curves.deletion.auc.toFixed(3)} (${(performance.now() - t0).toFixed(0)} ms)`],
      );
      fillStats(c.stats, rows);
      c.stats.children[rows.length * 2 - 3]!.setAttribute('style', `color: ${CURVE_COLOURS.insertion}`);
      c.stats.children[rows.length * 2 - 1]!.setAttribute('style', `color: ${CURVE_COLOURS.deletion}`);
    } catch (err) {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = err instanceof Error ? err.message : String(err);
      c.card.append(p);
      c.progress.value = 0;
      throw err;
    }
    c.progress.value = 1;
    ui.progress.value = i + 1;
  }
  setState('done', `done: ${methods.join(', ')} with ${steps} steps`);
}

function buildMethodChoices(): void {
  ui.methods.replaceChildren(
    ...Object.keys(METHODS).map((m) => {
      const l = document.createElement('label');
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.value = m;
      cb.checked = DEFAULT_METHODS.has(m);
      l.append(cb, ` ${m}`);
      return l;
    }),
  );
}

function wireEvents(): void {
  ui.model.addEventListener('change', () => {
    selectModel(ui.model.value as DemoModelName).catch(fail);
  });
  ui.sample.addEventListener('change', () => {
    if (ui.sample.value !== 'own') selectSample(Number(ui.sample.value)).catch(fail);
  });
  ui.file.addEventListener('change', () => {
    const file = ui.file.files?.[0];
    if (file) useFile(file).catch(fail);
  });
  ui.drop.addEventListener('dragover', (e) => (e.preventDefault(), ui.drop.classList.add('over')));
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    ui.drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) useFile(file).catch(fail);
  });
  ui.view.addEventListener('change', () => {
    for (const { card, e } of shown) drawResult(card, e);
  });
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    runAll().catch(fail);
  });
}

async function main(): Promise<void> {
  buildMethodChoices();
  wireEvents();
  if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  engine = await createEngine();
  const [models, emotion] = await Promise.all([availableModels(), hasEmotionModel()]);
  ui.model.replaceChildren(...models.map((m) => option(m.name, m.trained ? m.name : `${m.name} (untrained)`)));
  if (emotion) ui.model.append(option(EMOTION, 'emotion (TF.js, FER-2013)'));
  await selectModel(models[0]!.name);
}

main().catch(fail);
