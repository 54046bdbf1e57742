/**
 * What the demo page loads over HTTP: zoo weights (assets/models, served at models/) and the
 * bundled samples (assets/samples, served at samples/), the TF.js emotion model and its face
 * sample when the server has them (scripts/demo.mjs), plus turning any image into pixels.
 */
import type { Engine } from '../src/gpu/engine.js';
import { PathlightError } from '../src/errors.js';
import type { Model } from '../src/nn/model.js';
import { ZOO, ZOO_NAMES, type ZooName } from '../src/models/zoo.js';
import { createZooModel, defaultWeightsFile, loadZooModel } from '../src/models/load.js';
import { decodePng } from '../src/data/png.js';
import { checkPngSize, readPngHeader } from '../src/data/png-limits.js';
import { rgbToGray } from '../src/data/gray.js';
import { toRgb32 } from '../src/data/transforms.js';
import type { DatasetName } from '../src/data/classes.js';
import type { SampleEntry } from '../src/data/samples.js';
import { modelFromTfjs, type TfjsModelJson } from '../src/models/tfjs/load.js';
import { shardPaths } from '../src/models/tfjs/format.js';

/** The page's name for @vladmandic/human's FER-2013 classifier, beside the zoo's names. */
export const EMOTION = 'emotion';
export type DemoModelName = ZooName | typeof EMOTION;
const EMOTION_DIR = 'node_modules/@vladmandic/human/models/';
/** test/fixtures/face-64.png, served by scripts/demo.mjs with the model */
const FACE_SAMPLE = 'faces/face-64.png';
export const EMOTION_SAMPLES: SampleEntry[] = [
  { file: FACE_SAMPLE, label: -1, className: 'face (face-api sample1.jpg)' },
];

export interface DemoModel {
  name: DemoModelName;
  model: Model;
  /** false: seeded random weights because the weights file is not there (yet) */
  trained: boolean;
}

function weightsUrl(name: ZooName): string {
  return `models/${defaultWeightsFile(name)}`;
}

/** Does the server have this model's weights? Asked each time, so freshly trained weights show up. */
export async function hasWeights(name: ZooName): Promise<boolean> {
  const r = await fetch(weightsUrl(name), { method: 'HEAD', cache: 'no-store' });
  return r.ok;
}

/**
 * Zoo models the page offers: those whose weights exist, and always lenet (random-init when its
 * weights are missing, so the page and its test work before training has finished).
 */
export async function availableModels(): Promise<{ name: ZooName; trained: boolean }[]> {
  const present = await Promise.all(ZOO_NAMES.map(hasWeights));
  return ZOO_NAMES.map((name, i) => ({ name, trained: present[i]! })).filter((m) => m.trained || m.name === 'lenet');
}

/** Does the server have the emotion model (it does not without devDependencies)? */
export async function hasEmotionModel(): Promise<boolean> {
  const r = await fetch(`${EMOTION_DIR}emotion.json`, { method: 'HEAD', cache: 'no-store' });
  return r.ok;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new PathlightError(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** The emotion model from its model.json and the shards it names beside it; its class names and preprocessing come from KNOWN_TFJS_MODELS. */
export async function loadEmotionModel(engine: Engine): Promise<DemoModel> {
  const url = `${EMOTION_DIR}emotion.json`;
  const json = JSON.parse(new TextDecoder().decode(await fetchBytes(url))) as TfjsModelJson;
  const shards: Uint8Array[] = [];
  for (const p of shardPaths(json)) {
    if (typeof p !== 'string' || !/^[\w.-]+$/.test(p) || p.startsWith('.'))
      throw new PathlightError(`${url}: weight shard path ${JSON.stringify(p)} is not a file beside the model`);
    shards.push(await fetchBytes(EMOTION_DIR + p));
  }
  return { name: EMOTION, model: modelFromTfjs(engine, json, shards, { source: url }).model, trained: true };
}

export async function loadDemoModel(engine: Engine, name: ZooName): Promise<DemoModel> {
  const r = await fetch(weightsUrl(name), { cache: 'no-store' });
  if (r.ok) {
    const weights = new Uint8Array(await r.arrayBuffer());
    return { name, model: await loadZooModel(engine, name, { weights }), trained: true };
  }
  return { name, model: createZooModel(engine, name, { seed: 1, foldBatchNorm: true }), trained: false };
}

export function datasetOf(name: ZooName): DatasetName {
  return ZOO[name].dataset;
}

export async function listSamples(dataset: DatasetName): Promise<SampleEntry[]> {
  const r = await fetch(`samples/${dataset}/labels.json`);
  if (!r.ok) throw new PathlightError(`samples for ${dataset}: HTTP ${r.status}`);
  return (await r.json()) as SampleEntry[];
}

/** A sample PNG (28×28 gray) as the model's input: as is for 1×28×28, padded and replicated for 3×32×32. */
export async function sampleInput(
  dataset: DatasetName,
  entry: SampleEntry,
  inputShape: readonly number[],
): Promise<Float32Array> {
  const url = `samples/${dataset}/${entry.file}`;
  const r = await fetch(url);
  if (!r.ok) throw new PathlightError(`${url}: HTTP ${r.status}`);
  const img = decodePng(new Uint8Array(await r.arrayBuffer()), {
    channels: 1,
    source: url,
    expectedSizes: [{ width: 28, height: 28 }],
  });
  const [c, h, w] = inputShape;
  if (c === 1 && h === img.height && w === img.width) return img.data;
  if (c === 3 && h === 32 && w === 32 && img.width === 28 && img.height === 28) return toRgb32(img.data, 1);
  throw new PathlightError(`${url}: a ${img.width}×${img.height} sample does not fit input ${inputShape.join('×')}`);
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];

/** A dropped PNG's declared size is checked (the library's pixel cap) before the browser decodes it. */
export async function checkDroppedPng(file: Blob): Promise<void> {
  const head = new Uint8Array(await file.slice(0, 33).arrayBuffer());
  if (PNG_SIGNATURE.some((b, i) => head[i] !== b)) return; // not a PNG: left to the browser's decoder
  checkPngSize(readPngHeader(head, 'the dropped PNG'), {}, 'the dropped PNG');
}

/** The emotion model's sample: the face PNG as gray pixels of the model's size. */
export async function faceSample(inputShape: readonly number[]): Promise<Float32Array> {
  const r = await fetch(FACE_SAMPLE);
  if (!r.ok) throw new PathlightError(`${FACE_SAMPLE}: HTTP ${r.status}`);
  return fileInput(await r.blob(), inputShape);
}

/** Any image the browser can decode, resized to the model's input in a canvas (gray: `rgbToGray`), as [0, 1] pixels. */
export async function fileInput(file: Blob, inputShape: readonly number[]): Promise<Float32Array> {
  const [c, h, w] = inputShape as [number, number, number];
  await checkDroppedPng(file);
  const bitmap = await createImageBitmap(file).catch((e: Error) => {
    throw new PathlightError(`cannot decode the dropped file as an image: ${e.message}`);
  });
  const canvas = new OffscreenCanvas(w, h);
  const g = canvas.getContext('2d')!;
  g.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const rgba = g.getImageData(0, 0, w, h).data;
  const plane = h * w;
  const out = new Float32Array(c * plane);
  for (let p = 0; p < plane; p++) {
    const [r, gr, b] = [rgba[4 * p]! / 255, rgba[4 * p + 1]! / 255, rgba[4 * p + 2]! / 255];
    if (c === 1) out[p] = rgbToGray(r, gr, b);
    else [r, gr, b].forEach((v, k) => (out[k * plane + p] = v));
  }
  return out;
}
