/**
 * The repeatable `key=value` flags of `pathlight explain`, parsed strictly:
 *  - `--method-option`: IG2's eta, clip and early stop; Guided IG's fraction and max-dist; Blur IG's
 *    max-sigma, as explain()'s methodOptions. A key another method owns names the methods it is for.
 *  - `--preprocess`: an ONNX model's declared image input (mean, std, scale, offset, order, resize,
 *    gray), checked against the model once loaded (data/preprocess.ts).
 */
import { fail } from '../errors.js';
import type { InputDeclaration } from '../nn/model.js';
import { decimalInt, decimalNumber } from './numbers.js';
import { MAX_BLUR_SIGMA } from '../ops/gaussian-blur.js';

/** The NUL that parseFlags joins a repeatable flag's values with (no argument can hold one). */
export const REPEAT_SEPARATOR = '\0';

/** `--flag key=value` occurrences as [key, value] pairs; a key given twice is an error. */
function pairs(text: string | undefined, flag: string): [string, string][] {
  if (text === undefined) return [];
  const seen = new Set<string>();
  return text.split(REPEAT_SEPARATOR).map((item) => {
    const m = /^([a-z-]+)=(.+)$/.exec(item);
    if (!m) fail(`--${flag} ${item}: use key=value`);
    if (seen.has(m[1]!)) fail(`--${flag} ${m[1]} is given twice`);
    seen.add(m[1]!);
    return [m[1]!, m[2]!];
  });
}

function number(flag: string, key: string, text: string, check: (v: number) => boolean, what: string): number {
  const v = decimalNumber(text);
  if (v === undefined || !check(v)) fail(`--${flag} ${key}=${text}: ${key} must be ${what}`);
  return v;
}

function numbers(flag: string, key: string, text: string, count?: number): number[] {
  const parts = text.split(',');
  if (count !== undefined && parts.length !== count)
    fail(`--${flag} ${key}=${text}: ${key} needs ${count} comma-separated numbers`);
  return parts.map(
    (p) => decimalNumber(p) ?? fail(`--${flag} ${key}=${text}: ${key} must be comma-separated decimal numbers`),
  );
}

type OptionParser = (text: string) => [string, unknown];
const M = 'method-option';
const positive = (v: number) => v > 0;

/** Each key: the methods it applies to and its parser into a methodOptions entry. */
const METHOD_OPTIONS: Record<string, { methods: readonly string[]; parse: OptionParser }> = {
  eta: { methods: ['ig2'], parse: (t) => ['stepSize', number(M, 'eta', t, positive, 'a positive decimal number')] },
  clip: {
    methods: ['ig2'],
    parse: (t) => {
      if (t === 'none') return ['clip', null];
      const [lo, hi] = numbers(M, 'clip', t, 2) as [number, number];
      if (!(lo < hi)) fail(`--${M} clip=${t}: clip needs lo,hi with lo < hi (or none)`);
      return ['clip', [lo, hi]];
    },
  },
  'early-stop': {
    methods: ['ig2'],
    parse: (t) => {
      const patience = decimalInt(t);
      if (patience === undefined || patience < 1)
        fail(`--${M} early-stop=${t}: early-stop must be a positive decimal integer (the patience in steps)`);
      return ['earlyStop', { patience }];
    },
  },
  fraction: {
    methods: ['gig', 'gig-idgi'],
    parse: (t) => ['fraction', number(M, 'fraction', t, (v) => v >= 0 && v <= 1, 'a decimal number in [0, 1]')],
  },
  'max-dist': {
    methods: ['gig', 'gig-idgi'],
    parse: (t) => ['maxDist', number(M, 'max-dist', t, (v) => v >= 0, 'a decimal number >= 0')],
  },
  ratio: {
    methods: ['split-ig'],
    parse: (t) => ['ratio', number(M, 'ratio', t, (v) => v >= 0 && v <= 1, 'a decimal number in [0, 1]')],
  },
  part: {
    methods: ['split-ig'],
    parse: (t) => ['part', t === 'left' || t === 'right' ? t : fail(`--${M} part=${t}: part must be left or right`)],
  },
  'max-sigma': {
    methods: ['blurig', 'blurig-idgi'],
    parse: (t) => [
      'maxSigma',
      number(M, 'max-sigma', t, (v) => v > 0 && v <= MAX_BLUR_SIGMA, `a decimal number in (0, ${MAX_BLUR_SIGMA}]`),
    ],
  },
};

/** `--method-option` values as methodOptions for `method` (the one run, inside SmoothGrad when wrapped). */
export function parseMethodOptions(text: string | undefined, method: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of pairs(text, M)) {
    const spec =
      METHOD_OPTIONS[key] ?? fail(`--${M} ${key}: unknown option (known: ${Object.keys(METHOD_OPTIONS).join(', ')})`);
    if (!spec.methods.includes(method))
      fail(`--${M} ${key} is for --method ${spec.methods.join(' or ')}, not ${method}`);
    const [name, v] = spec.parse(value);
    out[name] = v;
  }
  return out;
}

/** `--preprocess` values as an input declaration (checked against the model when it is loaded). */
export function parsePreprocess(text: string | undefined): InputDeclaration | undefined {
  if (text === undefined) return undefined;
  const P = 'preprocess';
  const d: { -readonly [K in keyof InputDeclaration]: InputDeclaration[K] } = {};
  for (const [key, value] of pairs(text, P)) {
    if (key === 'mean' || key === 'std') d[key] = numbers(P, key, value);
    else if (key === 'scale' || key === 'offset') d[key] = number(P, key, value, () => true, 'a decimal number');
    else if (key === 'order')
      d.channelOrder =
        value === 'rgb' || value === 'bgr' ? value : fail(`--${P} order=${value}: order must be rgb or bgr`);
    else if (key === 'resize')
      d.resize =
        value === 'bilinear' || value === 'crop'
          ? value
          : fail(`--${P} resize=${value}: resize must be bilinear or crop`);
    else if (key === 'gray') d.gray = value === 'true' ? true : fail(`--${P} gray=${value}: use gray=true`);
    else fail(`--${P} ${key}: unknown key (known: mean, std, scale, offset, order, resize, gray)`);
  }
  return d;
}
