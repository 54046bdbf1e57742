/**
 * The bundled sample images (assets/samples/<dataset>/: 8 test images as 28×28 grayscale PNGs
 * plus labels.json, made by scripts/make-samples.mjs). Node-only: reads with fs. A browser
 * fetches the same files and decodes them with `decodePng` from ./png.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathlightError } from '../gpu/errors.js';
import type { DatasetName } from './classes.js';
import { decodePng } from './png.js';

export type { DatasetName } from './classes.js';

/** One entry of a samples folder's labels.json. */
export interface SampleEntry {
  file: string;
  label: number;
  className: string;
}

export interface Sample extends SampleEntry {
  /** 1×28×28, values in [0, 1]. */
  image: Float32Array;
  shape: [1, number, number];
}

const SAMPLES_SUBDIR = join('assets', 'samples');

/**
 * The assets/samples folder, found by walking up from this module: it sits two levels up from
 * src/data/ but one level up from a bundle in dist/.
 */
export function samplesRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SAMPLES_SUBDIR);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new PathlightError(`samples: no ${SAMPLES_SUBDIR} folder above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The labels.json entries of one dataset's samples. */
export function listSamples(dataset: DatasetName, root = samplesRoot()): SampleEntry[] {
  const path = join(root, dataset, 'labels.json');
  if (!existsSync(path)) throw new PathlightError(`samples: no samples for dataset "${dataset}" (${path} is missing)`);
  return JSON.parse(readFileSync(path, 'utf8')) as SampleEntry[];
}

/** Sample `index` of `dataset` as a 1×28×28 float image with its label. */
export function loadSample(dataset: DatasetName, index: number, root = samplesRoot()): Sample {
  const entries = listSamples(dataset, root);
  const entry = entries[index];
  if (!Number.isInteger(index) || entry === undefined) {
    throw new PathlightError(`samples: index ${index} is out of range for "${dataset}" (0..${entries.length - 1})`);
  }
  const path = join(root, dataset, entry.file);
  const { data, width, height } = decodePng(new Uint8Array(readFileSync(path)), { channels: 1, source: path });
  return { ...entry, image: data, shape: [1, height, width] };
}
