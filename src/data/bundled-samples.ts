/**
 * The bundled sample images (assets/samples/<dataset>/: 28×28 grayscale test images as PNGs plus
 * labels.json, made by scripts/make-samples.mjs) on any platform: the package's files in Node,
 * fetched from `assets/` beside the page (or `assetsUrl`) in a browser, decoded with decodePng.
 * src/data/samples.ts reads the same files synchronously in Node, with the parsers below.
 */
import { fail } from '../errors.js';
import { readAsset } from '#platform';
import { CLASS_NAMES, type DatasetName } from './classes.js';
import { decodePng } from './png.js';

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

export interface SampleOptions {
  /** the assets folder URL (holding samples/); default: the package's assets in Node, `assets/` beside the page in a browser */
  assetsUrl?: string | URL;
}

export function checkDataset(dataset: string): asserts dataset is DatasetName {
  if (!Object.hasOwn(CLASS_NAMES, dataset))
    fail(`samples: unknown dataset '${dataset}' (bundled: ${Object.keys(CLASS_NAMES).join(', ')})`);
}

export function parseSampleLabels(bytes: Uint8Array, source: string): SampleEntry[] {
  let entries: unknown;
  try {
    entries = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    fail(`samples: ${source} is not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(entries)) fail(`samples: ${source} must hold an array of { file, label, className }`);
  return entries as SampleEntry[];
}

/** The entry at `index`, or a readable range error. */
export function sampleEntry(dataset: DatasetName, entries: SampleEntry[], index: number): SampleEntry {
  const entry = entries[index];
  if (!Number.isInteger(index) || entry === undefined) {
    fail(`samples: index ${index} is out of range for "${dataset}" (0..${entries.length - 1})`);
  }
  return entry;
}

export function decodeSample(entry: SampleEntry, png: Uint8Array, source: string): Sample {
  const { data, width, height } = decodePng(png, { channels: 1, source });
  return { ...entry, image: data, shape: [1, height, width] };
}

/** The labels.json entries of one dataset's bundled samples. */
export async function listBundledSamples(dataset: DatasetName, options: SampleOptions = {}): Promise<SampleEntry[]> {
  checkDataset(dataset);
  const file = `samples/${dataset}/labels.json`;
  return parseSampleLabels(await readAsset(file, `samples of "${dataset}"`, options.assetsUrl), file);
}

/** Bundled sample `index` of `dataset` as a 1×28×28 float image with its label. */
export async function loadBundledSample(
  dataset: DatasetName,
  index: number,
  options: SampleOptions = {},
): Promise<Sample> {
  const entry = sampleEntry(dataset, await listBundledSamples(dataset, options), index);
  const file = `samples/${dataset}/${entry.file}`;
  return decodeSample(entry, await readAsset(file, `sample ${index} of "${dataset}"`, options.assetsUrl), file);
}
