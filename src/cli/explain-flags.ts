/**
 * `pathlight explain`'s flags, parsed and checked before the engine exists: unknown flags, bad
 * numbers, unknown methods, missing input files and unwritable outputs all fail in milliseconds.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { fail } from '../errors.js';
import { isZooName } from '../models/zoo.js';
import { INTEGRATION_RULES, type IntegrationRule } from '../attribution/quadrature.js';
import type { DatasetName } from '../data/classes.js';
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
import { decimalInt } from './numbers.js';
import { checkInputFile, checkOutputPath } from './paths.js';
import { checkPngSize, readPngHeader } from '../data/png-limits.js';
import { MAX_STEPS } from '../attribution/explain.js';
import type { Layout } from './inputs.js';
import type { InputDeclaration } from '../nn/model.js';
import { parseMethodOptions, parsePreprocess } from './key-values.js';
import { parseTapFlags, type TapRequest } from './layer-flags.js';

/** `pathlight explain` without --method runs Integrated Gradients */
export const DEFAULT_METHOD = 'ig';

export const EXPLAIN_FLAGS = [
  'model',
  'input',
  'method',
  'dataset',
  'target',
  'targets',
  'steps',
  'rule',
  'output',
  'baseline',
  'baseline-set',
  'baseline-draws',
  'layout',
  'out',
  'json',
  'references',
  'reference-count',
  'method-option',
  'preprocess',
  'quiet',
  'figure',
  'memory-budget-bytes',
  'layer',
  'neuron',
  ...MODEL_FILE_FLAGS,
];

const BASELINES = ['black', 'white', 'uniform', 'blur'] as const;

export interface ExplainRequest extends TapRequest {
  model: string;
  input: string;
  /** the --method value as given (e.g. smoothgrad:ig) */
  methodFlag: string;
  /** the method run (inside SmoothGrad when `smoothgrad`) */
  method: string;
  smoothgrad: boolean;
  steps?: number;
  rule?: IntegrationRule;
  output: 'logit' | 'prob';
  /** a class index, or a class name resolved once the model is loaded */
  target: 'auto' | number | { name: string };
  /** --targets 7,2,5 (every input) or topK: several classes per input in one call */
  targets?: number[] | { top: number };
  /** --baseline-set f.npy [K, ...]: attributions averaged over K baselines (or --baseline-draws of them, drawn) */
  baselineSet?: { file: string; draws?: number };
  /** absent: the method's default start (black for the straight line; Blur IG refuses any) */
  baseline?: (typeof BASELINES)[number] | { file: string };
  /** the layout of .npy inputs and baselines: channels-first (default) or channels-last, converted */
  layout: Layout;
  references: 'relevant' | { file: string };
  referenceCount: number;
  dataset?: DatasetName;
  out: { npy: string; png: string };
  /** --out as given (a non-image model refuses a .png) */
  outGiven: string | undefined;
  /** --figure: the captioned figure (.svg or .png), for image models */
  figure?: string;
  json: boolean;
  /** --quiet: no progress on stderr */
  quiet: boolean;
  /** --memory-budget-bytes: explain()'s memoryBudgetBytes (GPU memory for one chunk of rows; default 64 MiB) */
  memoryBudgetBytes?: number;
  /** --method-option values as explain()'s methodOptions */
  methodOptions: Record<string, unknown>;
  /** --preprocess: an ONNX model's declared image input */
  preprocess?: InputDeclaration;
  /** --max-model-bytes */
  maxModelBytes?: number;
  /** --input-shape */
  inputShape?: number[];
}

function required(flags: Flags, name: string, hint = ''): string {
  return flags.get(name) ?? fail(`explain: --${name} is required${hint}`);
}

/** --targets: class indices separated by commas (7,2,5), or topK (top3). */
function parseTargets(t: string): ExplainRequest['targets'] {
  const top = /^top(\d+)$/.exec(t);
  if (top) return { top: decimalInt(top[1]!) ?? fail(`--targets ${t}: topK needs a decimal K`) };
  const list = t.split(',').map(decimalInt);
  if (list.some((c) => c === undefined))
    fail(`--targets must be class indices separated by commas (7,2,5) or topK (top3); got '${t}'`);
  return list as number[];
}

/** --baseline-set f.npy with --baseline-draws N; neither with --baseline. */
function baselineSetFlag(flags: Flags): ExplainRequest['baselineSet'] {
  const file = flags.get('baseline-set');
  if (file === undefined) {
    if (flags.has('baseline-draws')) fail('--baseline-draws draws from --baseline-set f.npy: give it');
    return undefined;
  }
  if (flags.has('baseline')) fail('give --baseline (one per input) or --baseline-set (a distribution), not both');
  if (!file.toLowerCase().endsWith('.npy')) fail(`--baseline-set ${file}: give a .npy of K baselines [K, ...]`);
  checkInputFile(file, '--baseline-set');
  return { file, draws: intFlag(flags, 'baseline-draws') };
}

/** 'auto', a decimal class index, or a class name (which never looks like a number: '0x3', '1e0', '-1' are refused). */
function parseTarget(t: string): ExplainRequest['target'] {
  if (t === 'auto') return 'auto';
  const index = decimalInt(t);
  if (index !== undefined) return index;
  if (/^[\s+\-.0-9]/.test(t)) fail(`--target must be auto, a class index (decimal digits) or a class name; got '${t}'`);
  return { name: t };
}

function fileOr<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
  fallback: T,
): T | { file: string } {
  const v = flags.get(name);
  if (v === undefined || !v.toLowerCase().endsWith('.npy')) return choiceFlag(flags, name, choices, fallback);
  checkInputFile(v, `--${name}`);
  return { file: v };
}

/** A PNG input's declared size against the decoder's pixel cap, from its first 33 bytes. */
function checkPngInput(path: string): void {
  const head = new Uint8Array(33);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  checkPngSize(readPngHeader(head, path), {}, path);
}

/** The .npy and .png outputs: --out names one, the other sits beside it; both must be writable. */
function outputPaths(flags: Flags, model: string, method: string): ExplainRequest['out'] {
  const stem = isZooName(model) ? model : basename(model, extname(model));
  const out = flags.get('out') ?? `out/${stem}-${method.replace(':', '-')}.png`;
  checkOutputPath(out, '--out', ['.npy', '.png']);
  const base = out.slice(0, -extname(out).length);
  const files = { npy: `${base}.npy`, png: `${base}.png` };
  for (const f of [files.npy, files.png]) checkOutputPath(f, '--out', ['.npy', '.png']);
  return files;
}

/** --figure f.svg|f.png: writable, and neither of the .npy / .png that --out names. */
function figurePath(flags: Flags, out: ExplainRequest['out']): string | undefined {
  const f = flags.get('figure');
  if (f === undefined) return undefined;
  checkOutputPath(f, '--figure', ['.svg', '.png']);
  if (resolve(f) === resolve(out.png))
    fail(`--figure ${f} is also the heatmap that --out writes: give the figure its own file name`);
  return f;
}

/** --steps: a positive decimal integer up to explain()'s maximum. */
function stepsFlag(flags: Flags): number | undefined {
  const steps = intFlag(flags, 'steps');
  if (steps !== undefined && steps > MAX_STEPS) fail(`--steps ${steps} is above the maximum ${MAX_STEPS}`);
  return steps;
}

export function parseExplainFlags(flags: Flags): ExplainRequest {
  checkKnownFlags(flags, EXPLAIN_FLAGS, 'explain');
  const model = required(flags, 'model');
  checkModelFlag(model);
  const input = required(flags, 'input');
  if (input.startsWith('sample:')) {
    if (decimalInt(input.slice('sample:'.length)) === undefined)
      fail(`--input ${input}: use sample:N with N a decimal index`);
  } else {
    checkInputFile(input, '--input');
    if (input.toLowerCase().endsWith('.png')) checkPngInput(input);
  }
  const methodFlag = flags.get('method') ?? DEFAULT_METHOD;
  checkMethodName(methodFlag, 'explain');
  const smoothgrad = methodFlag === 'smoothgrad' || methodFlag.startsWith('smoothgrad:');
  const method = smoothgrad ? (methodFlag.split(':')[1] ?? 'grad') : methodFlag;
  if (flags.has('target') && flags.has('targets')) fail('give --target or --targets, not both');
  if (flags.has('preprocess') && !model.toLowerCase().endsWith('.onnx'))
    fail(
      `--preprocess declares an ONNX model's input; ${model} is not a .onnx file (zoo and TF.js models declare their own)`,
    );
  const req: ExplainRequest = {
    model,
    input,
    methodFlag,
    method,
    smoothgrad,
    steps: stepsFlag(flags),
    rule: choiceFlag(flags, 'rule', INTEGRATION_RULES),
    output: choiceFlag(flags, 'output', ['logit', 'prob'] as const, 'logit'),
    target: parseTarget(flags.get('target') ?? 'auto'),
    targets: flags.has('targets') ? parseTargets(flags.get('targets')!) : undefined,
    baselineSet: baselineSetFlag(flags),
    baseline: flags.has('baseline') ? fileOr(flags, 'baseline', BASELINES, 'black') : undefined,
    layout: choiceFlag(flags, 'layout', ['nchw', 'nhwc'] as const, 'nchw'),
    references: fileOr(flags, 'references', ['relevant'] as const, 'relevant'),
    referenceCount: intFlag(flags, 'reference-count', 2),
    dataset: datasetOf(flags),
    out: outputPaths(flags, model, methodFlag),
    outGiven: flags.get('out'),
    json: flags.has('json'),
    quiet: flags.has('quiet'),
    memoryBudgetBytes: intFlag(flags, 'memory-budget-bytes'),
    methodOptions: parseMethodOptions(flags.get('method-option'), method),
    preprocess: parsePreprocess(flags.get('preprocess')),
    ...modelFileFlags(flags),
    ...parseTapFlags(flags),
  };
  return { ...req, figure: figurePath(flags, req.out) };
}
