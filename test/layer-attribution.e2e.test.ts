/** The ONNX case of layer-attribution.test.ts (a 16×16 ResNet block: its float64 reference takes ~15 s here) and the CLI end to end. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { build, ROOT } from '../esbuild.config.mjs';
import { readNpy } from '../src/models/npy.js';
import { join } from 'node:path';
import { importOnnxBytes } from '../src/models/onnx/import.js';
import { checkImported, load } from './harness/layers.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

describe('layers of an ONNX model, by its value names', () => {
  it('ONNX: a value name inside a residual block (BN folded away, split at the tap)', async () => {
    const bytes = new Uint8Array(readFileSync(join(__dirname, 'fixtures', 'small_resnet.onnx')));
    const model = load(engine, importOnnxBytes(bytes, 'small_resnet.onnx').spec);
    expect(model.layers().find((l) => l.name === '/bn2/BatchNormalization_output_0')).toEqual({
      name: '/bn2/BatchNormalization_output_0',
      shape: [8, 16, 16],
      tappable: false,
    });
    await checkImported(engine, model, '/bn2/BatchNormalization_output_0', [2, 3, 4], 3 * 16 * 16);
    model.dispose();
  });
});

describe('the CLI contract', () => {
  const cli = join(ROOT, 'dist/cli.js');
  const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
  const input = join(ROOT, 'test/fixtures/small_resnet_input.npy');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  let dir: string;
  beforeAll(async () => {
    await build();
    dir = mkdtempSync(join(tmpdir(), 'pathlight-layers-'));
  });

  it('layers lists the values; explain --layer writes [N, ...layer] per layer, --neuron the input shape', () => {
    const listed = run('layers', '--model', onnx, '--json');
    expect(listed.status, listed.stderr).toBe(0);
    const layers = (JSON.parse(listed.stdout) as { layers: { name: string; tappable: boolean }[] }).layers;
    expect(layers).toContainEqual({ name: '/Relu_1_output_0', shape: [8, 16, 16], tappable: true });
    const out = join(dir, 'g.npy');
    const base = ['explain', '--model', onnx, '--input', input, '--quiet', '--json', '--steps', '4'];
    const g = run(
      ...base,
      '--method',
      'gradcam',
      '--layer',
      '/Relu_1_output_0',
      '--layer',
      '/conv2/Conv_output_0',
      '--out',
      out,
    );
    expect(g.status, g.stderr).toBe(0);
    expect(readNpy(readFileSync(join(dir, 'g-Relu_1_output_0.npy'))).shape).toEqual([2, 1, 16, 16]);
    const c = run(...base, '--method', 'conductance', '--layer', '/conv2/Conv_output_0', '--out', join(dir, 'c.npy'));
    expect(c.status, c.stderr).toBe(0);
    expect(readNpy(readFileSync(join(dir, 'c.npy'))).shape).toEqual([2, 8, 16, 16]);
    const n = run(...base, '--method', 'neuron-ig', '--neuron', '/Relu_1_output_0:1,2,3', '--out', join(dir, 'n.npy'));
    expect(n.status, n.stderr).toBe(0);
    expect(readNpy(readFileSync(join(dir, 'n.npy'))).shape).toEqual([2, 3, 16, 16]);
    const bad = run(...base, '--method', 'gig', '--layer', '/Relu_1_output_0', '--out', join(dir, 'x.npy'));
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/gig does not attribute to a layer/)]);
  });
});
