/** The CLI's pure pieces without a build or a GPU: flag parsing, output files (atomic), error lines, bench flags. */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { intFlag, parseFlags } from '../src/cli/flags.js';
import { decimalInt } from '../src/cli/numbers.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { writeFilesAtomically } from '../src/cli/atomic-write.js';
import { checkOutputPath } from '../src/cli/paths.js';
import { errorLine } from '../src/cli/error-line.js';
import { DEFAULT_PLAN, parseBenchArgs } from '../bench/bench-grid.js';
import { GpuError, PathlightError } from '../src/errors.js';
import { bundle } from '../esbuild.config.mjs';
import { encode } from 'fast-png';
import { readInput } from '../src/cli/inputs.js';
import { zooEntry } from '../src/models/zoo.js';
import { toRgb32 } from '../src/data/transforms.js';
import { loadSample } from '../src/data/samples.js';
import { encodeGrayPng } from '../src/data/png.js';
import type { Model } from '../src/nn/model.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'pathlight-cli-unit-'));

describe('flags', () => {
  it('decimal integers only', () => {
    expect(decimalInt('16')).toBe(16);
    for (const bad of ['', ' 1', '0x10', '1e1', '+3', '-1', '1.0', '99999999999999999999'])
      expect(decimalInt(bad), bad).toBeUndefined();
    expect(intFlag(parseFlags(['--steps', '8']), 'steps')).toBe(8);
    expect(intFlag(parseFlags([]), 'steps')).toBeUndefined();
    expect(() => intFlag(parseFlags(['--steps', '0']), 'steps')).toThrow(/positive decimal integer, got '0'/);
  });

  it('parses a whole explain request, with the default outputs beside each other', () => {
    const dir = scratch();
    const req = parseExplainFlags(
      parseFlags([
        '--model',
        'lenet',
        '--input',
        'sample:3',
        '--method',
        'smoothgrad:ig',
        '--steps',
        '8',
        '--target',
        '7',
        '--out',
        join(dir, 'a', 'r.png'),
        '--json',
      ]),
    );
    expect(req).toMatchObject({
      model: 'lenet',
      input: 'sample:3',
      method: 'ig',
      smoothgrad: true,
      steps: 8,
      target: 7,
      baseline: undefined,
      layout: 'nchw',
      output: 'logit',
      dataset: 'mnist',
      json: true,
    });
    expect(req.out).toEqual({ npy: join(dir, 'a', 'r.npy'), png: join(dir, 'a', 'r.png') });
    expect(readdirSync(dir)).toEqual([]); // checking an output creates nothing (not even its folder)
    expect(
      parseExplainFlags(
        parseFlags(['--model', 'lenet', '--input', 'sample:0', '--method', 'ig', '--target', 'Ankle boot']),
      ).target,
    ).toEqual({ name: 'Ankle boot' });
    expect(() => parseExplainFlags(parseFlags(['--model', 'lenet', '--input', 'sample:x', '--method', 'ig']))).toThrow(
      /use sample:N/,
    );
    expect(() =>
      parseExplainFlags(parseFlags(['--model', 'lenet', '--input', 'sample:0', '--method', 'ig', '--rule', 'simpson'])),
    ).toThrow(/--rule must be left, right, middle, trapezoid, gauss-legendre, linspace; got 'simpson'/);
    expect(() => parseExplainFlags(parseFlags(['--model', 'lenett', '--input', 'sample:0', '--method', 'ig']))).toThrow(
      /lenett is not a zoo model/,
    );
  });
});

describe('output files', () => {
  it('are written atomically: all or nothing, no temporary files left', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'blocker'), 'a file where a folder should be');
    expect(() =>
      writeFilesAtomically([
        { path: join(dir, 'x.npy'), data: 'npy' },
        { path: join(dir, 'blocker', 'x.png'), data: 'png' },
      ]),
    ).toThrow(/cannot write .*blocker\/x\.png: E(EXIST|NOTDIR)$/);
    expect(readdirSync(dir)).toEqual(['blocker']);
    // folders made for an output that then failed are removed again
    expect(() =>
      writeFilesAtomically([
        { path: join(dir, 'new', 'deep', 'x.npy'), data: 'npy' },
        { path: join(dir, 'blocker', 'y.png'), data: 'png' },
      ]),
    ).toThrow(PathlightError);
    expect(readdirSync(dir)).toEqual(['blocker']);
    writeFilesAtomically([
      { path: join(dir, 'out', 'x.npy'), data: 'npy' },
      { path: join(dir, 'out', 'x.png'), data: Uint8Array.of(1, 2) },
    ]);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['x.npy', 'x.png']);
    writeFilesAtomically([{ path: join(dir, 'out', 'x.npy'), data: 'replaced' }]);
    expect(readFileSync(join(dir, 'out', 'x.npy'), 'utf8')).toBe('replaced');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['x.npy', 'x.png']);
  });

  it('are checked up front: extension, directory, special files, parents', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'd.npy'));
    expect(() => checkOutputPath(join(dir, 'd.npy'), '--out', ['.npy'])).toThrow(/d\.npy: is a directory/);
    expect(() => checkOutputPath('/dev/null', '--out', ['.json', ''])).toThrow(/exists and is not a regular file/);
    expect(() => checkOutputPath(join(dir, 'r.NPY'), '--out', ['.npy'])).not.toThrow();
    expect(() => checkOutputPath(join(dir, 'a', 'b', 'r.npy'), '--out', ['.npy'])).not.toThrow();
    expect(readdirSync(dir)).toEqual(['d.npy']);
  });
});

describe('image inputs of the 3×32×32 zoo models (readInput, no GPU: it reads model.info only)', () => {
  const resnet = { info: zooEntry('resnet').build().info } as unknown as Model;

  it('a 28×28 colour PNG is one image, padded channel by channel, never 3 gray images', () => {
    const dir = scratch();
    const rgb = new Uint8Array(28 * 28 * 3);
    for (let p = 0; p < 28 * 28; p++) rgb.set([p % 256, 255 - (p % 256), (7 * p) % 256], 3 * p);
    const file = join(dir, 'colour.png');
    writeFileSync(file, encode({ width: 28, height: 28, data: rgb, channels: 3, depth: 8 }));
    const x = readInput(file, resnet, 'mnist');
    expect(x.data.length).toBe(3 * 32 * 32);
    expect(x.what).toBe(`${file} (padded to 3×32×32)`);
    for (let k = 0; k < 3; k++) {
      for (let y = 0; y < 32; y++) {
        for (let xx = 0; xx < 32; xx++) {
          const inside = y >= 2 && y < 30 && xx >= 2 && xx < 30;
          const expected = inside ? rgb[3 * ((y - 2) * 28 + xx - 2) + k]! / 255 : 0;
          expect(x.data[(k * 32 + y) * 32 + xx]).toBeCloseTo(expected, 6);
        }
      }
    }
  });

  it('single-channel 28×28 images (a gray PNG, a bundled sample) are padded with their gray in R, G and B', () => {
    const dir = scratch();
    const sample = loadSample('mnist', 0);
    const file = join(dir, 'gray.png');
    writeFileSync(file, encodeGrayPng(sample.image, 28, 28));
    const fromSample = readInput('sample:0', resnet, 'mnist');
    expect(Array.from(fromSample.data)).toEqual(Array.from(toRgb32(sample.image, 1)));
    const fromPng = readInput(file, resnet, 'mnist');
    expect(fromPng.data.length).toBe(3 * 32 * 32);
    fromPng.data.forEach((v, i) => expect(Math.abs(v - fromSample.data[i]!)).toBeLessThanOrEqual(0.5 / 255));
  });
});

describe('error lines', () => {
  it('are one line for every kind of error', () => {
    expect(errorLine(new PathlightError('bad'), false)).toBe('pathlight: bad');
    expect(errorLine(new GpuError('conv2d', 'validation', 'line one\n  line two\n'), false)).toBe(
      'pathlight: GPU validation error in conv2d: line one | line two',
    );
    const eisdir = Object.assign(new Error('EISDIR: illegal operation on a directory, read'), {
      code: 'EISDIR',
      syscall: 'read',
    });
    expect(errorLine(eisdir, false)).toBe('pathlight: EISDIR: illegal operation on a directory, read');
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.bin'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: 'x.bin',
    });
    expect(errorLine(enoent, false)).toBe("pathlight: ENOENT: no such file or directory, open 'x.bin'");
    const eacces = Object.assign(new Error('EACCES: permission denied'), {
      code: 'EACCES',
      syscall: 'open',
      path: '/root/x',
    });
    expect(errorLine(eacces, false)).toBe('pathlight: /root/x: EACCES: permission denied');
    expect(errorLine(new TypeError("Cannot read properties of undefined (reading 'x')"), false)).toBe(
      "pathlight: internal error: TypeError: Cannot read properties of undefined (reading 'x') (--debug shows the stack)",
    );
    expect(errorLine(new Error('boom'), true)).toMatch(/^pathlight: Error: boom\n\s+at /);
  });
});

describe('bench flags', () => {
  it('accept --json and --debug (bench.mjs output switches) anywhere without changing the plan', () => {
    expect(parseBenchArgs(['--json'])).toEqual(DEFAULT_PLAN);
    expect(parseBenchArgs(['--models', 'lenet', '--json', '--steps', '8', '--debug'])).toEqual(
      parseBenchArgs(['--models', 'lenet', '--steps', '8']),
    );
  });

  it('parse in the browser too: the bundled parser imports no node: module (bench.mjs also runs it in Node first)', async () => {
    const js = await bundle('bench/bench-grid.ts');
    expect(js.match(/^import [^\n]*"node:[^\n]*/gm)).toBeNull();
  });

  it('are strict', () => {
    expect(() => parseBenchArgs(['--models', '--json'])).toThrow(/--models needs a value/);
    expect(() => parseBenchArgs(['--steps', '0x10'])).toThrow(/positive integers \(decimal digits\), got '0x10'/);
    expect(() => parseBenchArgs(['--steps', '8,,16'])).toThrow(/empty value/);
    expect(() => parseBenchArgs(['--reps', '1e1'])).toThrow(/positive integers \(decimal digits\)/);
    expect(() => parseBenchArgs(['--steps', '8', '--steps', '16'])).toThrow(/given twice/);
    expect(() => parseBenchArgs(['lenet'])).toThrow(/unexpected argument 'lenet'/);
  });
});
