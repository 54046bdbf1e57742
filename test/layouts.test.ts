/**
 * .npy inputs by shape and layout (issue #12): exactly [N, ...inputShape] or one row; a
 * channels-last image array is refused with a hint naming --layout nhwc, or converted with it.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../src/models/npy.js';
import { npyValues, readInput } from '../src/cli/inputs.js';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { channelsFirst } from '../src/data/transforms.js';
import type { Model } from '../src/nn/model.js';

/** Only the model's declared input matters here: no GPU. */
const model = (name: string, inputShape: number[]) => ({ info: { name, inputShape } }) as unknown as Model;
const lenet = model('lenet', [1, 28, 28]);
const rgb = model('vgg', [3, 32, 32]);
const mlp = model('mlp', [10]);
const dir = mkdtempSync(join(tmpdir(), 'pathlight-layouts-'));
const npyFile = (name: string, shape: number[], fill = (i: number) => i) => {
  const path = join(dir, name);
  writeFileSync(
    path,
    writeNpy(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)),
      shape,
    ),
  );
  return path;
};

describe('.npy layouts', () => {
  it('channels-first shapes pass as they are: [N, C, H, W], [C, H, W], and a vector model’s [N, D], [D]', () => {
    for (const shape of [
      [2, 1, 28, 28],
      [1, 28, 28],
    ])
      expect(readInput(npyFile('a.npy', shape), lenet, undefined).data.length).toBe(784 * (shape.length === 4 ? 2 : 1));
    for (const shape of [[3, 10], [10]])
      expect(readInput(npyFile('v.npy', shape), mlp, undefined).data.length).toBe(shape.length === 2 ? 30 : 10);
  });

  it('channels-last arrays are refused with a hint naming --layout nhwc; (784,) and other shapes without one', () => {
    expect(() => readInput(npyFile('hwc.npy', [1, 32, 32, 3]), rgb, undefined)).toThrow(
      /hwc\.npy has shape \[1, 32, 32, 3\], model vgg expects \[N, 3, 32, 32\] or \[3, 32, 32\]; it looks channels-last \[N, H, W, C\]: pass --layout nhwc to convert it$/,
    );
    expect(() => readInput(npyFile('l.npy', [28, 28, 1]), lenet, undefined)).toThrow(/--layout nhwc/);
    expect(() => readInput(npyFile('flat.npy', [784]), lenet, undefined)).toThrow(
      /^--input .*flat\.npy has shape \[784\], model lenet expects \[N, 1, 28, 28\] or \[1, 28, 28\]$/,
    );
    expect(() => readInput(npyFile('n0.npy', [0, 1, 28, 28]), lenet, undefined)).toThrow(/has shape \[0, 1, 28, 28\]/);
    expect(() => readInput(npyFile('v5.npy', [2, 5]), mlp, undefined)).toThrow(
      /model mlp expects \[N, 10\] or \[10\]$/,
    );
  });

  it('--layout nhwc converts [N, H, W, C] and [H, W, C] to channels-first, and refuses anything else', () => {
    const v = (i: number) => i % 7;
    const x = readInput(npyFile('c.npy', [2, 32, 32, 3], v), rgb, undefined, 'nhwc').data;
    // pixel p of channel k of image i came from NHWC index (i·HW + p)·C + k
    for (const [i, k, p] of [
      [0, 0, 0],
      [1, 2, 1023],
      [1, 1, 77],
    ] as const)
      expect(x[(i * 3 + k) * 1024 + p]).toBe(v((i * 1024 + p) * 3 + k));
    expect(readInput(npyFile('d.npy', [28, 28, 1]), lenet, undefined, 'nhwc').data.length).toBe(784);
    expect(() => readInput(npyFile('e.npy', [1, 3, 32, 32]), rgb, undefined, 'nhwc')).toThrow(
      /with --layout nhwc, model vgg expects \[N, 32, 32, 3\] or \[32, 32, 3\]/,
    );
    expect(() => npyValues({ shape: [10], data: new Float32Array(10) }, 'v.npy', '--input', mlp, 'nhwc')).toThrow(
      /--layout nhwc: model mlp takes \[N, 10\], not images/,
    );
    expect(() => readInput('sample:0', lenet, 'mnist', 'nhwc')).toThrow(/--layout nhwc applies to .npy inputs/);
  });

  it('channelsFirst is the inverse of a channels-last transpose', () => {
    const nchw = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i);
    const nhwc = new Float32Array(nchw.length);
    for (let i = 0; i < 2; i++)
      for (let c = 0; c < 3; c++) for (let p = 0; p < 20; p++) nhwc[(i * 20 + p) * 3 + c] = nchw[(i * 3 + c) * 20 + p]!;
    expect(channelsFirst(nhwc, 3, 4, 5)).toEqual(nchw);
    expect(() => channelsFirst(new Float32Array(7), 3, 4, 5)).toThrow(/not a whole number of 4×5×3 images/);
  });

  it('--layout is a strict flag, --steps is bounded, and --baseline is passed only when given', () => {
    const base = ['--model', 'lenet', '--input', 'sample:0'];
    expect(parseExplainFlags(parseFlags([...base, '--layout', 'nhwc'])).layout).toBe('nhwc');
    expect(() => parseExplainFlags(parseFlags([...base, '--layout', 'NHWC']))).toThrow(
      /--layout must be nchw, nhwc; got 'NHWC'/,
    );
    expect(() => parseExplainFlags(parseFlags([...base, '--steps', '1000000000']))).toThrow(
      /--steps 1000000000 is above the maximum 100000/,
    );
    expect(parseExplainFlags(parseFlags([...base, '--method', 'blurig'])).baseline).toBeUndefined();
  });
});
