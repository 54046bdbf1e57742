/**
 * Inputs of the `pathlight` commands: a .npy of exactly the model's input shape (any model, no
 * preprocessing), or, for image models, a PNG or a bundled sample fitted to the model's [C, H, W]
 * and mapped by the model's declared preprocessing (data/preprocess.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { PathlightError } from '../errors.js';
import { readNpy } from '../models/npy.js';
import { decodePng } from '../data/png.js';
import { listSamples, loadSample } from '../data/samples.js';
import { loadFashionMnist, loadMnist } from '../data/datasets.js';
import { toRgb32 } from '../data/transforms.js';
import { preprocessPixels } from '../data/preprocess.js';
import type { DatasetName } from '../data/classes.js';
import { batchShapeStr, imageInputShape, type Model } from '../nn/model.js';

/** A 1×28×28 dataset image as the model's input: as is, or padded to 3×32×32 for the RGB zoo models. */
export function fitImage(img: Float32Array, ih: number, iw: number, model: Model, what: string): { data: Float32Array; what: string } {
  const [c, h, w] = imageInputShape(model.info, `input ${what}`);
  if (ih === h && iw === w && img.length > 0 && img.length % (c * h * w) === 0) return { data: img, what };
  if (c === 3 && ih === 28 && iw === 28 && h === 32 && w === 32 && img.length % (28 * 28) === 0) return { data: toRgb32(img, img.length / (28 * 28)), what: `${what} (padded to 3×32×32)` };
  throw new PathlightError(`input ${what} is ${img.length / (ih * iw)}×${ih}×${iw}, model ${model.info.name} expects ${c}×${h}×${w}`);
}

/** The input as [N, ...inputShape] values for `model`, plus a description. */
export function readInput(spec: string, model: Model, dataset: DatasetName | undefined): { data: Float32Array; pixels?: Float32Array; label?: number; what: string } {
  // images are pixels in [0, 1]: the model's declared preprocessing maps them (`pixels` keeps them, for the heatmap)
  const fit = (img: Float32Array, ih: number, iw: number, what: string, label?: number) => {
    const fitted = fitImage(img, ih, iw, model, what);
    return { data: preprocessPixels(fitted.data, model.info), pixels: fitted.data, what: fitted.what, label };
  };
  const sample = /^sample:(\d+)$/.exec(spec);
  if (sample) {
    imageInputShape(model.info, `--input ${spec} (a bundled image sample)`);
    if (!dataset) throw new PathlightError(`--input ${spec}: say which samples with --dataset mnist|fashion-mnist`);
    const s = loadSample(dataset, Number(sample[1]));
    return fit(s.image, s.shape[1], s.shape[2], `${dataset} sample ${sample[1]} (${s.className})`, s.label);
  }
  if (!existsSync(spec)) throw new PathlightError(`input file ${spec} does not exist`);
  const bytes = new Uint8Array(readFileSync(spec));
  if (spec.toLowerCase().endsWith('.png')) {
    const [c, h, w] = imageInputShape(model.info, `--input ${spec} (a PNG)`);
    // the size is checked from the header, before decoding: the model's, or 28×28 padded for the RGB zoo
    const expectedSizes = [{ width: w, height: h }, ...(c === 3 && h === 32 && w === 32 ? [{ width: 28, height: 28 }] : [])];
    const img = decodePng(bytes, { channels: c === 3 ? 3 : 1, source: spec, expectedSizes });
    return fit(img.data, img.height, img.width, spec);
  }
  if (spec.toLowerCase().endsWith('.npy')) {
    const a = readNpy(bytes);
    const row = model.info.inputShape;
    const single = a.shape.length === row.length;
    const fits = (single || a.shape.length === row.length + 1) && a.data.length > 0 && row.every((d, i) => a.shape[i + (single ? 0 : 1)] === d);
    if (!fits) throw new PathlightError(`input ${spec} has shape [${a.shape.join(', ')}], model ${model.info.name} expects ${batchShapeStr(row)} or [${row.join(', ')}]`);
    return { data: a.data, what: spec };
  }
  throw new PathlightError(`input ${spec}: use a .png, a .npy or sample:N`);
}


/**
 * The first `count` test images of a dataset as model inputs, with labels: the bundled samples (the
 * first 8 test images, no data package needed) or, for more, the dataset's test split.
 */
export function testImages(dataset: DatasetName, count: number, model: Model, offset = 0): { data: Float32Array; labels: number[]; source: string } {
  const bundled = listSamples(dataset).length;
  if (offset + count <= bundled) {
    const samples = Array.from({ length: count }, (_, i) => loadSample(dataset, offset + i));
    const raw = new Float32Array(count * 28 * 28);
    samples.forEach((s, i) => raw.set(s.image, i * 28 * 28));
    return { data: fitImage(raw, 28, 28, model, `${dataset} samples`).data, labels: samples.map((s) => s.label), source: `bundled ${dataset} samples ${offset}–${offset + count - 1}` };
  }
  const split = dataset === 'mnist' ? loadMnist('test') : loadFashionMnist('test');
  if (offset + count > split.count) throw new PathlightError(`${dataset} has ${split.count} test images, ${offset + count} asked for`);
  const raw = split.images.slice(offset * 28 * 28, (offset + count) * 28 * 28);
  return { data: fitImage(raw, 28, 28, model, `${dataset} test images`).data, labels: Array.from(split.labels.slice(offset, offset + count)), source: `${dataset} test images ${offset}–${offset + count - 1}` };
}
