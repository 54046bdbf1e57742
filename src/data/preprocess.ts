/**
 * A model's declared image input (`ModelInfo.preprocess`, given to importers by their `input`
 * option, or by the CLI's --preprocess): pixels in [0, 1], RGB (gray by `rgbToGray` when the
 * declaration says `gray`), C×H×W, become the model's input by
 *   channel order (BGR swaps R and B) → x · scale + offset, or (x − mean[c]) / std[c].
 * Baselines made as pixels (black, white, uniform) go through the same map, so they mean black,
 * white and noise images; the map of [0, 1] is the model's input range (`ModelInfo.inputRange`).
 */
import { fail } from '../errors.js';
import type { InputDeclaration, ModelInfo } from '../nn/model.js';

/** Per-channel affine map (a, b): input = pixel · a[c] + b[c]. */
function affine(p: InputDeclaration, channels: number): { a: number[]; b: number[] } {
  const per = (v: readonly number[] | undefined, fallback: number) =>
    Array.from({ length: channels }, (_, c) => (v ? (v.length === 1 ? v[0]! : v[c]!) : fallback));
  if (p.mean || p.std) {
    const std = per(p.std, 1);
    return { a: std.map((s) => 1 / s), b: per(p.mean, 0).map((m, c) => -m / std[c]!) };
  }
  return { a: per(undefined, p.scale ?? 1), b: per(undefined, p.offset ?? 0) };
}

/** A declaration checked against the model's input [C, H, W]; every problem is one line naming the model. */
export function checkInputDeclaration(
  p: InputDeclaration,
  inputShape: readonly number[],
  model: string,
): InputDeclaration {
  const at = `model ${model}: input declaration`;
  if (inputShape.length !== 3) fail(`${at} needs an image input [C, H, W], the model takes [${inputShape.join(', ')}]`);
  const c = inputShape[0]!;
  const finite = (name: string, v: unknown) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v)))
      fail(`${at}: ${name} must be a finite number, got ${String(v)}`);
  };
  if ((p.mean || p.std) && (p.scale !== undefined || p.offset !== undefined))
    fail(`${at}: give mean/std or scale/offset, not both`);
  for (const name of ['mean', 'std'] as const) {
    const v = p[name];
    if (v === undefined) continue;
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== c))
      fail(`${at}: ${name} needs 1 or ${c} values (one per channel), got ${Array.isArray(v) ? v.length : String(v)}`);
    v.forEach((x, i) => finite(`${name}[${i}]`, x));
  }
  if (p.std?.some((s) => s === 0)) fail(`${at}: std must not be 0`);
  finite('scale', p.scale);
  finite('offset', p.offset);
  if (p.scale === 0) fail(`${at}: scale must not be 0`);
  if (p.channelOrder !== undefined && p.channelOrder !== 'rgb' && p.channelOrder !== 'bgr')
    fail(`${at}: channelOrder must be rgb or bgr, got ${String(p.channelOrder)}`);
  if (p.channelOrder === 'bgr' && c !== 3) fail(`${at}: channelOrder bgr needs 3 channels, the model takes ${c}`);
  if (p.gray && c !== 1) fail(`${at}: gray needs 1 channel, the model takes ${c}`);
  if (p.resize !== undefined && p.resize !== 'bilinear' && p.resize !== 'crop')
    fail(`${at}: resize must be bilinear or crop, got ${String(p.resize)}`);
  return p;
}

/** The range [lo, hi] that [0, 1] pixels map to (over all channels). */
export function declaredRange(p: InputDeclaration, channels: number): [number, number] {
  const { a, b } = affine(p, channels);
  const ends = a.flatMap((ac, c) => [b[c]!, ac + b[c]!]);
  return [Math.min(...ends), Math.max(...ends)];
}

/** The ModelInfo fields an importer sets for a declared input: the checked declaration and its range. */
export function declareInput(
  p: InputDeclaration | undefined,
  inputShape: readonly number[],
  model: string,
): Pick<ModelInfo, 'preprocess' | 'inputRange'> {
  if (!p) return {};
  checkInputDeclaration(p, inputShape, model);
  return { preprocess: p, inputRange: declaredRange(p, inputShape[0]!) };
}

/** [0, 1] pixels (C×H×W per image, C = the model's channels, RGB order) as the model's input. */
export function preprocessPixels(pixels: Float32Array, info: ModelInfo): Float32Array {
  const p = info.preprocess;
  if (!p) return pixels;
  const [c, h, w] = [info.inputShape[0]!, info.inputShape[1] ?? 1, info.inputShape[2] ?? 1];
  if (p.gray && c !== 1) fail(`model ${info.name}: declares gray preprocessing but takes ${c} channels`);
  const { a, b } = affine(p, c);
  const plane = h * w;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const ch = Math.floor(i / plane) % c;
    // BGR: model channel k holds pixel channel 2 − k
    const from = p.channelOrder === 'bgr' ? i + (2 - 2 * ch) * plane : i;
    out[i] = pixels[from]! * a[ch]! + b[ch]!;
  }
  return out;
}

/** A constant-pixel baseline (0: black, 1: white) as one model input. */
export function pixelBaseline(value: number, info: ModelInfo): Float32Array {
  return preprocessPixels(new Float32Array(info.inputShape.reduce((x, y) => x * y, 1)).fill(value), info);
}
