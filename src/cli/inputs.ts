/**
 * Inputs of the `pathlight` commands: a .npy of exactly the model's input shape (any model, no
 * preprocessing), or, for image models, a PNG, a JPEG or a bundled sample fitted to the model's
 * [C, H, W] (resized or centre-cropped when the model declares it, 28×28 padded for the RGB zoo) and mapped by the model's
 * declared preprocessing (data/preprocess.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { PathlightError } from '../errors.js';
import { readNpy } from '../models/npy.js';
import { decodePng } from '../data/png.js';
import { decodeJpeg } from '../data/jpeg.js';
import { centreCrop, resizeBilinear } from '../data/resize.js';
import { listSamples, loadSample } from '../data/samples.js';
import { loadFashionMnist, loadMnist } from '../data/datasets.js';
import { channelsFirst, toRgb32 } from '../data/transforms.js';
import type { NpyArray } from '../models/npy.js';
import { preprocessPixels } from '../data/preprocess.js';
import type { DatasetName } from '../data/classes.js';
import { batchShapeStr, imageInputShape, type Model } from '../nn/model.js';

/**
 * Images of `channels` × `ih` × `iw` (one, or a batch of dataset images) as the model's input: as
 * they are when they have its shape, or 28×28 padded to 32×32 for the RGB zoo models (a 2-pixel
 * zero border): a single-channel dataset image with its gray replicated into R, G and B, a colour
 * image channel by channel. A colour image is one image, never several gray ones.
 */
export function fitImage(
  img: Float32Array,
  channels: number,
  ih: number,
  iw: number,
  model: Model,
  what: string,
): { data: Float32Array; what: string } {
  const [c, h, w] = imageInputShape(model.info, `input ${what}`);
  const count = img.length / (channels * ih * iw);
  if (ih === h && iw === w && channels === c && count >= 1 && Number.isInteger(count)) return { data: img, what };
  if (c === 3 && ih === 28 && iw === 28 && h === 32 && w === 32) {
    if (channels === 1 && count >= 1 && Number.isInteger(count))
      return { data: toRgb32(img, count), what: `${what} (padded to 3×32×32)` };
    if (channels === 3 && count === 1)
      return { data: padBorder(img, 3, 28, 28, 2), what: `${what} (padded to 3×32×32)` };
  }
  throw new PathlightError(
    `input ${what} is ${count === 1 ? '' : `${count} × `}${channels}×${ih}×${iw}, model ${model.info.name} expects ${c}×${h}×${w}`,
  );
}

/** A C×H×W image with a zero border of `border` pixels on every side, channel by channel. */
function padBorder(img: Float32Array, c: number, h: number, w: number, border: number): Float32Array {
  const pw = w + 2 * border;
  const ph = h + 2 * border;
  const out = new Float32Array(c * ph * pw);
  for (let k = 0; k < c; k++) {
    for (let y = 0; y < h; y++)
      out.set(img.subarray((k * h + y) * w, (k * h + y + 1) * w), (k * ph + y + border) * pw + border);
  }
  return out;
}

/** The input as [N, ...inputShape] values for `model`, plus a description. */
export function readInput(
  spec: string,
  model: Model,
  dataset: DatasetName | undefined,
  layout: Layout = 'nchw',
): { data: Float32Array; pixels?: Float32Array; label?: number; what: string } {
  if (layout === 'nhwc' && !spec.toLowerCase().endsWith('.npy'))
    throw new PathlightError(`--layout nhwc applies to .npy inputs; --input ${spec} is not one`);
  // images are pixels in [0, 1]: the model's declared preprocessing maps them (`pixels` keeps them, for the heatmap)
  const fit = (img: Float32Array, channels: number, ih: number, iw: number, what: string, label?: number) => {
    const fitted = fitImage(img, channels, ih, iw, model, what);
    return { data: preprocessPixels(fitted.data, model.info), pixels: fitted.data, what: fitted.what, label };
  };
  const sample = /^sample:(\d+)$/.exec(spec);
  if (sample) {
    imageInputShape(model.info, `--input ${spec} (a bundled image sample)`);
    if (!dataset) throw new PathlightError(`--input ${spec}: say which samples with --dataset mnist|fashion-mnist`);
    const s = flagged(`--input ${spec}`, () => loadSample(dataset, Number(sample[1])));
    return fit(s.image, s.shape[0], s.shape[1], s.shape[2], `${dataset} sample ${sample[1]} (${s.className})`, s.label);
  }
  if (!existsSync(spec)) throw new PathlightError(`input file ${spec} does not exist`);
  const bytes = new Uint8Array(readFileSync(spec));
  const image = /\.(png|jpe?g)$/i.exec(spec);
  if (image) {
    const png = image[1]!.toLowerCase() === 'png';
    const [c, h, w] = imageInputShape(model.info, `--input ${spec} (${png ? 'a PNG' : 'a JPEG'})`);
    const resize = model.info.preprocess?.resize;
    // the size is checked from the header, before decoding: the model's (any, when it declares a resize), or 28×28 padded for the RGB zoo
    const expectedSizes = resize
      ? []
      : [{ width: w, height: h }, ...(c === 3 && h === 32 && w === 32 ? [{ width: 28, height: 28 }] : [])];
    const options = { channels: c === 3 ? 3 : 1, source: spec, expectedSizes } as const;
    const img = png ? decodePng(bytes, options) : decodeJpeg(bytes, options);
    if (!resize || (img.width === w && img.height === h))
      return fit(img.data, img.channels, img.height, img.width, spec);
    const fitted =
      resize === 'crop'
        ? centreCrop(img.data, img.channels, img.height, img.width, h, w, spec)
        : resizeBilinear(img.data, img.channels, img.height, img.width, h, w);
    return fit(
      fitted,
      img.channels,
      h,
      w,
      `${spec} (${resize === 'crop' ? 'centre-cropped' : 'resized'} from ${img.width}×${img.height})`,
    );
  }
  if (spec.toLowerCase().endsWith('.npy'))
    return {
      data: npyValues(npyOf(bytes, spec), spec, '--input', model, layout),
      what: layout === 'nhwc' ? `${spec} (channels-last, converted)` : spec,
    };
  throw new PathlightError(`input ${spec}: use a .png, .jpg, a .npy or sample:N`);
}

export type Layout = 'nchw' | 'nhwc';

/** A .npy file's array; its errors name the file. */
export function readNpyFile(path: string): NpyArray {
  return npyOf(new Uint8Array(readFileSync(path)), path);
}

function npyOf(bytes: Uint8Array, path: string): NpyArray {
  return flagged(path, () => readNpy(bytes));
}

/** `read()`, its one-line errors prefixed with the flag or file they came from. */
function flagged<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    throw e instanceof PathlightError ? new PathlightError(`${what}: ${e.message}`) : e;
  }
}

/** Does `shape` hold `row` once ([...row]) or N > 0 times ([N, ...row])? */
function holds(shape: readonly number[], row: readonly number[]): boolean {
  const lead = shape.length - row.length;
  return (lead === 0 || (lead === 1 && shape[0]! > 0)) && row.every((d, i) => shape[lead + i] === d);
}

/**
 * A .npy input (or baseline) as [N, ...inputShape] values: it must have exactly the model's shape,
 * one row of it or a batch of rows. A channels-last image array ([N, H, W, C], [H, W, C]) is refused
 * with a hint, or converted when `layout` is 'nhwc' (--layout nhwc).
 */
export function npyValues(a: NpyArray, spec: string, flag: string, model: Model, layout: Layout): Float32Array {
  const row = model.info.inputShape;
  const hwc = row.length === 3 ? [row[1]!, row[2]!, row[0]!] : null;
  const shape = `[${a.shape.join(', ')}]`;
  if (layout === 'nhwc') {
    if (!hwc)
      throw new PathlightError(`--layout nhwc: model ${model.info.name} takes ${batchShapeStr(row)}, not images`);
    if (!holds(a.shape, hwc))
      throw new PathlightError(
        `${flag} ${spec} has shape ${shape}; with --layout nhwc, model ${model.info.name} expects [N, ${hwc.join(', ')}] or [${hwc.join(', ')}]`,
      );
    return channelsFirst(a.data, row[0]!, row[1]!, row[2]!);
  }
  if (holds(a.shape, row)) return a.data;
  const hint =
    hwc && holds(a.shape, hwc) ? `; it looks channels-last [N, H, W, C]: pass --layout nhwc to convert it` : '';
  throw new PathlightError(
    `${flag} ${spec} has shape ${shape}, model ${model.info.name} expects ${batchShapeStr(row)} or [${row.join(', ')}]${hint}`,
  );
}

/**
 * The first `count` test images of a dataset as model inputs, with labels: the bundled samples (the
 * first 8 test images, no data package needed) or, for more, the dataset's test split.
 */
export function testImages(
  dataset: DatasetName,
  count: number,
  model: Model,
  offset = 0,
): { data: Float32Array; labels: number[]; source: string } {
  const bundled = listSamples(dataset).length;
  if (offset + count <= bundled) {
    const samples = Array.from({ length: count }, (_, i) => loadSample(dataset, offset + i));
    const raw = new Float32Array(count * 28 * 28);
    samples.forEach((s, i) => raw.set(s.image, i * 28 * 28));
    return {
      data: fitImage(raw, 1, 28, 28, model, `${dataset} samples`).data,
      labels: samples.map((s) => s.label),
      source: `bundled ${dataset} samples ${offset}–${offset + count - 1}`,
    };
  }
  const split = dataset === 'mnist' ? loadMnist('test') : loadFashionMnist('test');
  if (offset + count > split.count)
    throw new PathlightError(`${dataset} has ${split.count} test images, ${offset + count} asked for`);
  const raw = split.images.slice(offset * 28 * 28, (offset + count) * 28 * 28);
  return {
    data: fitImage(raw, 1, 28, 28, model, `${dataset} test images`).data,
    labels: Array.from(split.labels.slice(offset, offset + count)),
    source: `${dataset} test images ${offset}–${offset + count - 1}`,
  };
}
