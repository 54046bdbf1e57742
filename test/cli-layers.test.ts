/** `--layer` and `--neuron` of `pathlight explain` (cli/layer-flags.ts): parsed before the model loads, bad values refused in one line. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { layerFile } from '../src/cli/layer-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-layers-'));
const request = (...args: string[]) =>
  parseExplainFlags(parseFlags(['--model', 'lenet', '--input', 'sample:0', '--out', join(dir, 'r.npy'), ...args]));

describe('--layer and --neuron', () => {
  it('takes --layer more than once, in order, and splits --neuron at its last colon (TF.js names hold colons)', () => {
    expect(request('--method', 'gradcam', '--layer', 'conv1', '--layer', '/b2/Relu_1_output_0').layers).toEqual([
      'conv1',
      '/b2/Relu_1_output_0',
    ]);
    expect(request('--method', 'neuron-ig', '--neuron', 'model/conv:0:1,2,3').neuron).toEqual({
      layer: 'model/conv:0',
      index: [1, 2, 3],
    });
    expect(request('--method', 'ig').layers).toBeUndefined();
  });

  it.each([
    [['--layer', 'a', '--neuron', 'a:1'], /give --layer or --neuron, not both/],
    [['--neuron', 'conv1'], /--neuron conv1: use NAME:i,j,k/],
    [['--neuron', 'conv1:1,x'], /--neuron conv1:1,x: use NAME:i,j,k/],
    [['--neuron', ':1,2'], /use NAME:i,j,k/],
    [['--method', 'smoothgrad:ig', '--layers', 'a'], /unknown flag|--layers/],
  ])('refuses %j', (args, message) => {
    expect(() => request(...args)).toThrow(message);
  });

  it('writes one file per layer beside --out when there are several, named safely', () => {
    expect(layerFile('out/r.npy', '/b2/Relu_1_output_0', false)).toBe('out/r.npy');
    expect(layerFile('out/r.npy', '/b2/Relu_1_output_0', true)).toBe('out/r-b2_Relu_1_output_0.npy');
    expect(layerFile('out/r.npy', 'block/conv:0', true)).toBe('out/r-block_conv_0.npy');
  });
});
