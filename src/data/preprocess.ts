/**
 * A model's declared image preprocessing (`ModelInfo.preprocess`, set by importers for models
 * that need it, e.g. the TF.js emotion model): pixels in [0, 1] (gray by `rgbToGray` when the
 * declaration says `gray`) become the model's input as x · scale + offset. Baselines given as
 * pixels (black, white) go through the same map, so they mean black and white images.
 */
import { fail } from '../errors.js';
import type { ModelInfo } from '../nn/model.js';

/** [0, 1] pixels (C×H×W per image, C = the model's channels) as the model's input. */
export function preprocessPixels(pixels: Float32Array, info: ModelInfo): Float32Array {
  const p = info.preprocess;
  if (!p) return pixels;
  if (p.gray && info.inputShape[0] !== 1) fail(`model ${info.name}: declares gray preprocessing but takes ${info.inputShape[0]} channels`);
  return pixels.map((v) => v * p.scale + p.offset);
}

/** A constant-pixel baseline (0: black, 1: white) as one model input. */
export function pixelBaseline(value: number, info: ModelInfo): Float32Array {
  return preprocessPixels(new Float32Array(info.inputShape.reduce((a, b) => a * b, 1)).fill(value), info);
}
