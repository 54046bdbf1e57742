/**
 * ONNX as PyTorch exports it (issue #13): every fixture of test/fixtures/onnx-exports/<exporter>/
 * (made by test/fixtures/export_onnx_patterns.py, one small model per export pattern, from torch
 * 1.13's TorchScript exporter and torch 2.13's dynamo exporter) imports, reproduces PyTorch's
 * float64 logits within 1e-4 relative to the largest |logit| of the batch, and its input gradient
 * of each image's target logit within 1e-3 relative L2 per image.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { readNpy } from '../src/models/npy.js';
import { modelFromOnnx } from '../src/models/load.js';
import { explain } from '../src/attribution/index.js';
import { maxAbsDiff, relL2 } from './harness/assert.js';

const ROOT = join(__dirname, 'fixtures', 'onnx-exports');
const LOGIT_RTOL = 1e-4;
const GRAD_REL_L2 = 1e-3;
/** onnxruntime (float32) vs PyTorch float64, as the export script checks it: a wrong fixture fails here too. */
const ORT_RTOL = 1e-5;

interface FixtureEntry {
  patterns: string;
  input_shape: number[];
  targets: number[];
  final: string | null;
  ops: string[];
  ort_max_abs_diff: number;
}
interface Manifest {
  torch: string;
  exporter: string;
  fixtures: Record<string, FixtureEntry>;
}

const exporters = readdirSync(ROOT).sort();
const manifest = (exporter: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, exporter, 'manifest.json'), 'utf8')) as Manifest;
const file = (exporter: string, name: string) => new Uint8Array(readFileSync(join(ROOT, exporter, name)));
const maxAbs = (a: ArrayLike<number>) => Array.from(a, Math.abs).reduce((m, v) => Math.max(m, v), 0);

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

it('fixtures from both exporters', () => {
  expect(exporters).toEqual(['torch-1.13', 'torch-2.13']);
  expect(Object.keys(manifest('torch-1.13').fixtures)).toEqual(Object.keys(manifest('torch-2.13').fixtures));
});

describe.each(exporters)('%s exports', (exporter) => {
  const fixtures = Object.entries(manifest(exporter).fixtures);

  it.each(fixtures)('%s', async (name, entry) => {
    const input = readNpy(file(exporter, `${name}.input.npy`));
    const want = readNpy(file(exporter, `${name}.logits.npy`));
    const wantGrad = readNpy(file(exporter, `${name}.grad.npy`));
    expect(input.shape).toEqual(entry.input_shape);
    expect(entry.ort_max_abs_diff, 'the fixture itself: onnxruntime vs PyTorch').toBeLessThanOrEqual(
      ORT_RTOL * maxAbs(want.data),
    );

    const { model } = modelFromOnnx(engine, file(exporter, `${name}.onnx`), { source: `${exporter}/${name}.onnx` });
    try {
      expect(model.info.inputShape).toEqual(entry.input_shape.slice(1));
      const x = Tensor.from(engine, input.data, input.shape);
      const out = model.logits(x);
      const logits = await out.download();
      x.dispose();
      out.dispose();
      expect(logits.length).toBe(want.data.length);
      expect(maxAbsDiff(logits, want.data), 'max |logit − PyTorch|').toBeLessThanOrEqual(
        LOGIT_RTOL * maxAbs(want.data),
      );

      const r = await explain(engine, model, input.data, { method: 'grad', target: entry.targets });
      const d = wantGrad.data.length / entry.targets.length;
      entry.targets.forEach((t, i) => {
        expect(r.images[i]!.target).toBe(t);
        const got = r.attribution.subarray(i * d, (i + 1) * d);
        expect(
          relL2(got, wantGrad.data.subarray(i * d, (i + 1) * d)),
          `input gradient of image ${i}, logit ${t}`,
        ).toBeLessThan(GRAD_REL_L2);
      });
    } finally {
      model.dispose();
    }
  });
});
