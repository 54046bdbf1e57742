/**
 * `pathlight/node`: the root API plus Node-only helpers that read files synchronously — the
 * bundled samples, the MNIST / Fashion-MNIST datasets, the package's assets folder.
 */
export * from './index.js';
export { samplesRoot, listSamples, loadSample } from './data/samples.js';
export { loadMnist, loadFashionMnist, FASHION_MNIST_DIR, type Split } from './data/datasets.js';
export type { IdxDataset } from './data/idx.js';
export { assetsRoot } from './platform/node.js';
