/**
 * The bundled sample images read synchronously from the package's assets/samples/ (Node only:
 * fs). Any platform, asynchronously: loadBundledSample in ./bundled-samples.ts, which shares the
 * parsers used here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../errors.js';
import { assetsRoot } from '../platform/node.js';
import type { DatasetName } from './classes.js';
import {
  checkDataset,
  decodeSample,
  parseSampleLabels,
  sampleEntry,
  type Sample,
  type SampleEntry,
} from './bundled-samples.js';

export type { DatasetName } from './classes.js';
export type { Sample, SampleEntry } from './bundled-samples.js';

/** The package's assets/samples folder. */
export function samplesRoot(): string {
  const root = join(assetsRoot(), 'samples');
  if (!existsSync(root)) fail(`samples: the folder ${root} is missing`);
  return root;
}

/** The labels.json entries of one dataset's samples. */
export function listSamples(dataset: DatasetName, root = samplesRoot()): SampleEntry[] {
  checkDataset(dataset);
  const path = join(root, dataset, 'labels.json');
  if (!existsSync(path)) fail(`samples: no samples for dataset "${dataset}" (${path} is missing)`);
  return parseSampleLabels(new Uint8Array(readFileSync(path)), path);
}

/** Sample `index` of `dataset` as a 1×28×28 float image with its label. */
export function loadSample(dataset: DatasetName, index: number, root = samplesRoot()): Sample {
  const entry = sampleEntry(dataset, listSamples(dataset, root), index);
  const path = join(root, dataset, entry.file);
  return decodeSample(entry, new Uint8Array(readFileSync(path)), path);
}
