/**
 * The package's entry points and platform seam, on the sources (test/consumer.e2e.test.ts checks the
 * packed tarball): `core` registers only the core methods and the method modules add theirs,
 * the root exports exactly core's API plus the registrations, and the zoo weights and bundled
 * samples load from files, file: URLs or bytes with one-line errors for bad input.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../esbuild.config.mjs';
import { loadSample } from '../src/data/samples.js';
import { readAsset, readUrl } from '../src/platform/node.js';
import * as browserPlatform from '../src/platform/browser.js';
import type { Engine } from '../src/gpu/engine.js';

// explain()'s `layer` and `neuron` options come with their methods (attribution/layer/)
const LAYER_METHODS = [
  'layer-ig',
  'conductance',
  'internal-influence',
  'gradcam',
  'layer-gradxactivation',
  'neuron-ig',
];
const CORE_METHODS = ['grad', 'gradxinput', 'ig', 'idgi', ...LAYER_METHODS];

describe('entry points', () => {
  it('core registers the core methods; each method module adds its own; the root adds all', async () => {
    const core = await import('../src/core.js');
    expect(core.methodNames()).toEqual(CORE_METHODS);
    await import('../src/attribution/methods/guided-ig.js');
    expect(core.methodNames()).toEqual([...CORE_METHODS, 'gig', 'gig-idgi']);
    const root = await import('../src/index.js');
    expect(new Set(root.methodNames())).toEqual(
      new Set([
        ...CORE_METHODS,
        'gig',
        'gig-idgi',
        'blurig',
        'blurig-idgi',
        'ig2',
        'expected-gradients',
        'split-ig',
        'idg',
      ]),
    );
  });

  it('the root exports what core does (src/core.ts must list every module src/attribution/index.ts exports)', async () => {
    const core = await import('../src/core.js');
    const root = await import('../src/index.js');
    expect(Object.keys(root).sort()).toEqual(Object.keys(core).sort());
  });

  it('pathlight/engine is the low-level engine alone: a part of core, without importers or attribution', async () => {
    const core = await import('../src/core.js');
    const engine = await import('../src/engine.js');
    const names = Object.keys(engine);
    expect(names.filter((k) => !(k in core))).toEqual([]);
    for (const k of [
      'createEngine',
      'Engine',
      'Tensor',
      'ReplayCache',
      'relu',
      'conv2d',
      'Model',
      'GraphBuilder',
      'PathlightError',
    ])
      expect(names).toContain(k);
    for (const k of ['explain', 'methodNames', 'modelFromOnnx', 'loadZooModel', 'loadBundledSample', 'crossEntropy'])
      expect(names).not.toContain(k);
  });

  it('pathlight/node adds the synchronous file readers to the root API', async () => {
    const root = await import('../src/index.js');
    const node = await import('../src/node.js');
    const added = Object.keys(node)
      .filter((k) => !(k in root))
      .sort();
    expect(added).toEqual([
      'FASHION_MNIST_DIR',
      'assetsRoot',
      'listSamples',
      'loadFashionMnist',
      'loadMnist',
      'loadSample',
      'samplesRoot',
    ]);
  });
});

describe('zoo weights and bundled samples', () => {
  const assetsUrl = pathToFileURL(join(ROOT, 'assets/'));
  const noEngine = null as unknown as Engine; // every case below fails or reads before touching the GPU

  it('a bundled sample reads the same from the package, a file: URL of the assets folder and the sync reader', async () => {
    const { loadBundledSample, listBundledSamples } = await import('../src/core.js');
    const fromPackage = await loadBundledSample('fashion-mnist', 3);
    const fromUrl = await loadBundledSample('fashion-mnist', 3, { assetsUrl });
    const sync = loadSample('fashion-mnist', 3);
    expect(fromPackage.shape).toEqual([1, 28, 28]);
    expect(fromPackage.image).toEqual(sync.image);
    expect(fromUrl.image).toEqual(sync.image);
    expect(fromPackage.label).toBe(sync.label);
    expect((await listBundledSamples('mnist')).map((s) => s.label)).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
  });

  it('assets come from the package folder or a URL, byte for byte', async () => {
    const file = readFileSync(join(ROOT, 'assets/models/lenet-mnist.safetensors'));
    expect(Buffer.from(await readAsset('models/lenet-mnist.safetensors', 'weights')).equals(file)).toBe(true);
    expect(Buffer.from(await readAsset('models/lenet-mnist.safetensors', 'weights', assetsUrl)).equals(file)).toBe(
      true,
    );
    expect(
      Buffer.from(await readUrl(new URL('models/lenet-mnist.safetensors', assetsUrl), 'weights')).equals(file),
    ).toBe(true);
  });

  it('bad sample requests are one-line PathlightErrors', async () => {
    const { loadBundledSample } = await import('../src/core.js');
    await expect(loadBundledSample('cifar' as 'mnist', 0)).rejects.toThrow(
      /^samples: unknown dataset 'cifar' \(bundled: mnist, fashion-mnist\)$/,
    );
    await expect(loadBundledSample('mnist', 8)).rejects.toThrow(/index 8 is out of range for "mnist" \(0\.\.7\)/);
    await expect(loadBundledSample('mnist', 0, { assetsUrl: pathToFileURL('/nonexistent/') })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('bad weights are one-line PathlightErrors, before any GPU work', async () => {
    const { loadZooModel, PathlightError } = await import('../src/core.js');
    await expect(
      loadZooModel(noEngine, 'lenet', { weights: new ArrayBuffer(8) as unknown as Uint8Array }),
    ).rejects.toThrow(/weights must be \.safetensors bytes \(Uint8Array\) or a file path, got \[object ArrayBuffer\]/);
    await expect(loadZooModel(noEngine, 'lenet', { weights: '/nonexistent/lenet.safetensors' })).rejects.toThrow(
      /file \/nonexistent\/lenet\.safetensors does not exist/,
    );
    await expect(loadZooModel(noEngine, 'lenet', { weightsUrl: 'lenet.safetensors' })).rejects.toThrow(
      /'lenet\.safetensors' is not a URL/,
    );
    await expect(loadZooModel(noEngine, 'lenet', { assetsUrl: pathToFileURL('/nonexistent/') })).rejects.toThrow(
      /does not exist; produce it with `npm run train` or pass weights \/ weightsUrl/,
    );
    await expect(loadZooModel(noEngine, 'lenet', { weights: new Uint8Array(16) })).rejects.toBeInstanceOf(
      PathlightError,
    );
  });

  it('the browser platform refuses file paths and needs a location (or assetsUrl) for assets', async () => {
    await expect(browserPlatform.readFileBytes('/x.onnx', 'ONNX model')).rejects.toThrow(
      /only works in Node; in a browser pass the bytes \(Uint8Array\) or a URL/,
    );
    await expect(browserPlatform.readAsset('models/lenet-mnist.safetensors', 'weights')).rejects.toThrow(
      /no page location to find assets\/ from; pass assetsUrl/,
    );
    await expect(browserPlatform.readUrl('models/x', 'weights')).rejects.toThrow(/'models\/x' is not a URL/);
  });
});
