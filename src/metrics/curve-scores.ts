/** Shared by the curve metrics: upload checks, reference images, batched target scores. */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { imageInputShape, type Model } from '../nn/model.js';
import { gaussianBlur } from '../ops/gaussian-blur.js';
import { softmax } from '../ops/softmax.js';
import { Tensor } from '../tensor/tensor.js';

/** 'black' = zeros, 'blur' = the image blurred with blurSigma, or a given [C, H, W] image. */
export type ReferenceImage = 'black' | 'blur' | Float32Array;

export function imageTensor(engine: Engine, model: Model, x: Float32Array, op: string, what = 'x'): Tensor {
  const shape = imageInputShape(model.info, `${op} (an image-only metric)`);
  const d = shape[0] * shape[1] * shape[2];
  if (x.length !== d)
    fail(`${op}: ${what} has ${x.length} values, the model takes one [${shape.join(', ')}] image (${d})`);
  return Tensor.from(engine, x, [1, ...shape], { label: `${op} ${what}` });
}

export function referenceTensor(
  engine: Engine,
  model: Model,
  x: Tensor,
  reference: ReferenceImage,
  blurSigma: number,
  op: string,
): Tensor {
  if (reference === 'black') return Tensor.zeros(engine, x.shape, `${op} black reference`);
  if (reference === 'blur') {
    if (!(blurSigma >= 0 && Number.isFinite(blurSigma)))
      fail(`${op}: blurSigma must be a finite number ≥ 0, got ${blurSigma}`);
    return gaussianBlur(x, [blurSigma]);
  }
  if (reference instanceof Float32Array) return imageTensor(engine, model, reference, op, 'reference');
  return fail(`${op}: reference must be 'black', 'blur' or a Float32Array image`);
}

export function checkTarget(model: Model, target: number, op: string): void {
  if (!Number.isInteger(target) || target < 0 || target >= model.info.numClasses)
    fail(`${op}: target ${target} is not a class index in [0, ${model.info.numClasses})`);
}

/** Softmax rows [N, classes] of a batch of images (recorded, not read). */
export function softmaxRows(model: Model, images: Tensor): Tensor {
  const logits = model.logits(images);
  const probs = softmax(logits);
  logits.dispose();
  return probs;
}

export function trapezoidAuc(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i]! - xs[i - 1]!) * (ys[i]! + ys[i - 1]!)) / 2;
  return area;
}
