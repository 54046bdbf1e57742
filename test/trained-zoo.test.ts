/**
 * The shipped 3×32×32 zoo weights (assets/models/{vgg,resnet,mobilenet}-fashion-mnist.safetensors):
 * each model classifies the bundled Fashion-MNIST samples, and `pathlight explain --model resnet
 * --input sample:0 --method grad` works from a fresh checkout (issue #3's acceptance).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadZooModel } from '../src/models/load.js';
import { listSamples, loadSample } from '../src/data/samples.js';
import { toRgb32 } from '../src/data/transforms.js';
import { argmaxRows } from '../src/attribution/kernels/explain-seed.js';
import { Tensor } from '../src/tensor/tensor.js';
import { CLASS_NAMES } from '../src/data/classes.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
  await build();
});
afterAll(() => engine?.dispose());

const samples = listSamples('fashion-mnist').map((_, i) => loadSample('fashion-mnist', i));
const images = toRgb32(Float32Array.from(samples.flatMap((s) => Array.from(s.image))), samples.length);

for (const name of ['vgg', 'resnet', 'mobilenet']) {
  it(`the shipped ${name} classifies the bundled Fashion-MNIST samples`, async () => {
    const model = await loadZooModel(engine, name);
    const x = Tensor.from(engine, images, [samples.length, 3, 32, 32]);
    const logits = model.logits(x);
    const preds = argmaxRows(logits);
    const got = Array.from(await preds.download());
    for (const t of [x, logits, preds]) t.dispose();
    model.dispose();
    const correct = got.filter((p, i) => p === samples[i]!.label).length;
    // far above chance (10 %): a model guessing gets ≥ 5 of 8 right with probability 4e-4
    expect(correct, `predictions ${got} vs labels ${samples.map((s) => s.label)}`).toBeGreaterThanOrEqual(5);
  });
}

it('pathlight explain --model resnet --input sample:0 --method grad (shipped weights)', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pathlight-resnet-')), 'grad.png');
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'explain', '--model', 'resnet', '--input', 'sample:0', '--method', 'grad', '--out', out, '--json'], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout);
  expect(s.model).toBe('resnet');
  expect(s.images[0].className).toBe(CLASS_NAMES['fashion-mnist'][s.images[0].target]);
  expect(Number.isFinite(s.images[0].fx)).toBe(true);
  const npy = readFileSync(out.replace(/\.png$/, '.npy'));
  expect(npy.length).toBeGreaterThan(3 * 32 * 32 * 4);
});
