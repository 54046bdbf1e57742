/**
 * `--preprocess` end to end (the built CLI): explain on an ONNX model with a declared ImageNet
 * mean/std, whose PNG input and black baseline equal the same values mapped here in float64 and
 * given as .npy files. The flags' parsing: test/cli-method-options.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { build, ROOT } from '../esbuild.config.mjs';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { Rng } from './harness/random.js';

describe('explain an ONNX model with a declared mean/std', () => {
  const cli = join(ROOT, 'dist/cli.js');
  const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [cli, 'explain', '--model', onnx, '--method', 'ig', '--steps', '8', '--target', '3', '--json', ...args],
      { encoding: 'utf8', timeout: 120_000 },
    );
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
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 256; p++) mapped[c * 256 + p] = (rgb[p * 3 + c]! / 255 - mean[c]!) / std[c]!;
    const black = Float32Array.from(
      { length: 3 * 256 },
      (_, i) => -mean[Math.floor(i / 256)]! / std[Math.floor(i / 256)]!,
    );
    writeFileSync(join(dir, 'in.npy'), writeNpy(mapped, [3, 16, 16]));
    writeFileSync(join(dir, 'black.npy'), writeNpy(black, [3, 16, 16]));
    const pre = ['--preprocess', `mean=${mean.join(',')}`, '--preprocess', `std=${std.join(',')}`];
    const declared = run('--input', png, '--baseline', 'black', ...pre, '--out', join(dir, 'a.npy'));
    expect(declared.status, declared.stderr).toBe(0);
    const byHand = run(
      '--input',
      join(dir, 'in.npy'),
      '--baseline',
      join(dir, 'black.npy'),
      '--out',
      join(dir, 'b.npy'),
    );
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
    const resized = run(
      '--input',
      jpg,
      '--preprocess',
      'resize=bilinear',
      '--preprocess',
      'mean=0.5',
      '--preprocess',
      'std=0.25',
      '--out',
      join(dir, 'j.npy'),
    );
    expect(resized.status, resized.stderr).toBe(0);
    expect(JSON.parse(resized.stdout).input).toBe(`${jpg} (resized from 20×12)`);
    expect(readNpy(readFileSync(join(dir, 'j.npy'))).shape).toEqual([3, 16, 16]);
    const strict = run('--input', jpg, '--out', join(dir, 'k.npy'));
    expect(strict.stderr.trim()).toMatch(/tiny\.jpg: the JPEG is 20×12 pixels, expected 16×16$/);
    const crop = run('--input', jpg, '--preprocess', 'resize=crop', '--out', join(dir, 'l.npy'));
    expect(crop.stderr.trim()).toMatch(
      /tiny\.jpg is 20×12 pixels, smaller than the model's 16×16: a centre crop needs at least that/,
    );
  });

  it('refuses a declaration the model cannot take, in one line', () => {
    const r = run(
      '--input',
      join(ROOT, 'test/fixtures/small_resnet_input.npy'),
      '--preprocess',
      'mean=0.5,0.5',
      '--out',
      join(dir, 'd.npy'),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /model small_resnet: input declaration: mean needs 1 or 3 values \(one per channel\), got 2/,
    );
  });
});
