/** The ONNX case of layer-attribution.test.ts (a 16×16 ResNet block: its float64 reference takes ~15 s here). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { readFileSync } from 'node:fs';
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
