/**
 * `--method-option key=value` and `--preprocess key=value` (cli/key-values.ts): parsed into
 * methodOptions / an input declaration, every bad value refused in one line naming the flag; and
 * one explain end to end on an ONNX model with a declared ImageNet mean/std, whose PNG input and
 * black baseline equal the same values mapped here in float64 and given as .npy files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { build, ROOT } from '../esbuild.config.mjs';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { parseMethodOptions, parsePreprocess, REPEAT_SEPARATOR } from '../src/cli/key-values.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { Rng } from './harness/random.js';

const opts = (method: string, ...items: string[]) => parseMethodOptions(items.join(REPEAT_SEPARATOR), method);

describe('--method-option', () => {
  it('parses each method\'s options into methodOptions', () => {
    expect(opts('ig2', 'eta=0.25', 'clip=-2.5,3', 'early-stop=4')).toEqual({ stepSize: 0.25, clip: [-2.5, 3], earlyStop: { patience: 4 } });
    expect(opts('ig2', 'clip=none')).toEqual({ clip: null });
    expect(opts('gig', 'fraction=0.1', 'max-dist=0.05')).toEqual({ fraction: 0.1, maxDist: 0.05 });
    expect(opts('blurig-idgi', 'max-sigma=12')).toEqual({ maxSigma: 12 });
    expect(parseMethodOptions(undefined, 'ig')).toEqual({});
  });

  it('repeats through parseFlags and reaches the request (the method inside SmoothGrad)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-mo-'));
    const flags = parseFlags(['--model', 'lenet', '--input', 'sample:0', '--method', 'smoothgrad:gig', '--method-option', 'fraction=0.5', '--method-option', 'max-dist=0.1', '--out', join(dir, 'r.npy')]);
    expect(parseExplainFlags(flags).methodOptions).toEqual({ fraction: 0.5, maxDist: 0.1 });
    expect(() => parseFlags(['--steps', '2', '--steps', '3'])).toThrow(/^--steps is given twice$/);
  });

  it.each([
    [['speed=1'], 'ig2', /^--method-option speed: unknown option \(known: eta, clip, early-stop, fraction, max-dist, max-sigma\)$/],
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
    expect(pre('mean=0.485,0.456,0.406', 'std=0.229,0.224,0.225', 'order=bgr', 'resize=crop')).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'bgr', resize: 'crop' });
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
    expect(() => parseExplainFlags(parseFlags(['--model', 'lenet', '--input', 'sample:0', '--preprocess', 'scale=2']))).toThrow(/^--preprocess declares an ONNX model's input; lenet is not a \.onnx file/);
  });
});

describe('explain an ONNX model with a declared mean/std', () => {
  const cli = join(ROOT, 'dist/cli.js');
  const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'explain', '--model', onnx, '--method', 'ig', '--steps', '8', '--target', '3', '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  let dir: string;
  beforeAll(async () => {
    await build();
    dir = mkdtempSync(join(tmpdir(), 'pathlight-prep-'));
  });

  it('maps the PNG input and the black baseline like the float64 map of the same pixels', () => {
    const rgb = Uint8Array.from(new Rng(5).uniform(16 * 16 * 3, 0, 256), Math.floor);
    const png = join(dir, 'in.png');
    writeFileSync(png, encode({ width: 16, height: 16, data: rgb, channels: 3, depth: 8 }));
    // CHW float64: (p / 255 − mean[c]) / std[c]
    const mapped = new Float32Array(3 * 256);
    for (let c = 0; c < 3; c++) for (let p = 0; p < 256; p++) mapped[c * 256 + p] = (rgb[p * 3 + c]! / 255 - mean[c]!) / std[c]!;
    const black = Float32Array.from({ length: 3 * 256 }, (_, i) => -mean[Math.floor(i / 256)]! / std[Math.floor(i / 256)]!);
    writeFileSync(join(dir, 'in.npy'), writeNpy(mapped, [3, 16, 16]));
    writeFileSync(join(dir, 'black.npy'), writeNpy(black, [3, 16, 16]));
    const pre = ['--preprocess', `mean=${mean.join(',')}`, '--preprocess', `std=${std.join(',')}`];
    const declared = run('--input', png, '--baseline', 'black', ...pre, '--out', join(dir, 'a.npy'));
    expect(declared.status, declared.stderr).toBe(0);
    const byHand = run('--input', join(dir, 'in.npy'), '--baseline', join(dir, 'black.npy'), '--out', join(dir, 'b.npy'));
    expect(byHand.status, byHand.stderr).toBe(0);
    const [s1, s2] = [JSON.parse(declared.stdout), JSON.parse(byHand.stdout)];
    expect(s1.images[0].fx).toBeCloseTo(s2.images[0].fx, 4);
    expect(s1.images[0].fBaseline).toBeCloseTo(s2.images[0].fBaseline, 4);
    const [a, b] = [readNpy(readFileSync(join(dir, 'a.npy'))).data, readNpy(readFileSync(join(dir, 'b.npy'))).data];
    const err = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    expect(err).toBeLessThan(1e-4 * Math.max(...b.map(Math.abs)));
    // undeclared, the same PNG is pixels in [0, 1] and black is zeros: another start
    const plain = run('--input', png, '--baseline', 'black', '--out', join(dir, 'c.npy'));
    expect(plain.status, plain.stderr).toBe(0);
    expect(Math.abs(JSON.parse(plain.stdout).images[0].fBaseline - s1.images[0].fBaseline)).toBeGreaterThan(1e-3);
  });

  it('fits a JPEG of another size when the model declares a resize, and names both sizes when not', () => {
    const jpg = join(ROOT, 'test/fixtures/tiny.jpg'); // 20×12; the model takes 16×16
    const resized = run('--input', jpg, '--preprocess', 'resize=bilinear', '--preprocess', 'mean=0.5', '--preprocess', 'std=0.25', '--out', join(dir, 'j.npy'));
    expect(resized.status, resized.stderr).toBe(0);
    expect(JSON.parse(resized.stdout).input).toBe(`${jpg} (resized from 20×12)`);
    expect(readNpy(readFileSync(join(dir, 'j.npy'))).shape).toEqual([3, 16, 16]);
    const strict = run('--input', jpg, '--out', join(dir, 'k.npy'));
    expect(strict.stderr.trim()).toMatch(/tiny\.jpg: the JPEG is 20×12 pixels, expected 16×16$/);
    const crop = run('--input', jpg, '--preprocess', 'resize=crop', '--out', join(dir, 'l.npy'));
    expect(crop.stderr.trim()).toMatch(/tiny\.jpg is 20×12 pixels, smaller than the model's 16×16: a centre crop needs at least that/);
  });

  it('refuses a declaration the model cannot take, in one line', () => {
    const r = run('--input', join(ROOT, 'test/fixtures/small_resnet_input.npy'), '--preprocess', 'mean=0.5,0.5', '--out', join(dir, 'd.npy'));
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/model small_resnet: input declaration: mean needs 1 or 3 values \(one per channel\), got 2/);
  });
});
