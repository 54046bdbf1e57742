/**
 * `--method-option key=value` and `--preprocess key=value` (cli/key-values.ts): parsed into
 * methodOptions / an input declaration, every bad value refused in one line naming the flag. The
 * explain end to end with a declared mean/std: test/cli-method-options.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { parseMethodOptions, parsePreprocess, REPEAT_SEPARATOR } from '../src/cli/key-values.js';

const opts = (method: string, ...items: string[]) => parseMethodOptions(items.join(REPEAT_SEPARATOR), method);

describe('--method-option', () => {
  it("parses each method's options into methodOptions", () => {
    expect(opts('ig2', 'eta=0.25', 'clip=-2.5,3', 'early-stop=4')).toEqual({
      stepSize: 0.25,
      clip: [-2.5, 3],
      earlyStop: { patience: 4 },
    });
    expect(opts('ig2', 'clip=none')).toEqual({ clip: null });
    expect(opts('gig', 'fraction=0.1', 'max-dist=0.05')).toEqual({ fraction: 0.1, maxDist: 0.05 });
    expect(opts('blurig-idgi', 'max-sigma=12')).toEqual({ maxSigma: 12 });
    expect(parseMethodOptions(undefined, 'ig')).toEqual({});
  });

  it('repeats through parseFlags and reaches the request (the method inside SmoothGrad)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-mo-'));
    const flags = parseFlags([
      '--model',
      'lenet',
      '--input',
      'sample:0',
      '--method',
      'smoothgrad:gig',
      '--method-option',
      'fraction=0.5',
      '--method-option',
      'max-dist=0.1',
      '--out',
      join(dir, 'r.npy'),
    ]);
    expect(parseExplainFlags(flags).methodOptions).toEqual({ fraction: 0.5, maxDist: 0.1 });
    expect(() => parseFlags(['--steps', '2', '--steps', '3'])).toThrow(/^--steps is given twice$/);
  });

  it.each([
    [
      ['speed=1'],
      'ig2',
      /^--method-option speed: unknown option \(known: eta, clip, early-stop, fraction, max-dist, ratio, part, max-sigma\)$/,
    ],
    [['eta=0x1'], 'ig2', /^--method-option eta=0x1: eta must be a positive decimal number$/],
    [['eta=-1'], 'ig2', /eta must be a positive decimal number/],
    [['eta=Infinity'], 'ig2', /eta must be a positive decimal number/],
    [['eta'], 'ig2', /^--method-option eta: use key=value$/],
    [['eta=1', 'eta=2'], 'ig2', /^--method-option eta is given twice$/],
    [['clip=1,0'], 'ig2', /clip needs lo,hi with lo < hi \(or none\)/],
    [['clip=1'], 'ig2', /clip needs 2 comma-separated numbers/],
    [['early-stop=1.5'], 'ig2', /early-stop must be a positive decimal integer/],
    [['fraction=1.5'], 'gig', /fraction must be a decimal number in \[0, 1\]/],
    [['max-sigma=1001'], 'blurig', /max-sigma must be a decimal number in \(0, 1000\]/],
    [['max-sigma=10'], 'ig', /^--method-option max-sigma is for --method blurig or blurig-idgi, not ig$/],
    [['eta=1'], 'gig', /eta is for --method ig2, not gig/],
  ])('refuses %j for %s in one line', (items, method, message) => {
    expect(() => opts(method, ...items)).toThrow(message);
  });
});

describe('--preprocess', () => {
  const pre = (...items: string[]) => parsePreprocess(items.join(REPEAT_SEPARATOR));

  it('parses a declaration', () => {
    expect(pre('mean=0.485,0.456,0.406', 'std=0.229,0.224,0.225', 'order=bgr', 'resize=crop')).toEqual({
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      channelOrder: 'bgr',
      resize: 'crop',
    });
    expect(pre('scale=2', 'offset=-1', 'gray=true')).toEqual({ scale: 2, offset: -1, gray: true });
  });

  it.each([
    [['mean=0.5,x'], /^--preprocess mean=0.5,x: mean must be comma-separated decimal numbers$/],
    [['order=rbg'], /^--preprocess order=rbg: order must be rgb or bgr$/],
    [['resize=nearest'], /resize must be bilinear or crop/],
    [['size=224'], /^--preprocess size: unknown key/],
    [['gray=yes'], /use gray=true/],
  ])('refuses %j in one line', (items, message) => {
    expect(() => pre(...items)).toThrow(message);
  });

  it('is for ONNX models only', () => {
    expect(() =>
      parseExplainFlags(parseFlags(['--model', 'lenet', '--input', 'sample:0', '--preprocess', 'scale=2'])),
    ).toThrow(/^--preprocess declares an ONNX model's input; lenet is not a \.onnx file/);
  });
});
