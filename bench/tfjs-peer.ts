/**
 * The TF.js peer of `npm run bench`: the same network, built in TF.js (webgpu backend, NHWC) from
 * the same folded parameters (ModelSpec after fuseModel), and the same Integrated Gradients: the
 * same quadrature points and weights in chunks of the same size, `tf.grad` of the target logit,
 * Σ_k w_k ∇f(x' + α_k (x − x')) × (x − x'). The network comes from tfjs-net.ts; inputs are
 * transposed to NHWC once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import { version as versionWebgpu } from '@tensorflow/tfjs-backend-webgpu/dist/version';
import type { TfNet } from './tfjs-net.js';

/** Switch TF.js to its WebGPU backend (throws when it cannot start). */
export async function initTfWebgpu(): Promise<{ core: string; webgpu: string; backend: string }> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend failed to initialise');
  await tf.ready();
  return { core: tf.version_core, webgpu: versionWebgpu, backend: tf.getBackend() };
}

export interface TfIgOptions {
  /** one image, NCHW [C, H, W] */
  image: Float32Array;
  baseline: Float32Array;
  inputShape: readonly [number, number, number];
  target: number;
  alphas: ArrayLike<number>;
  weights: ArrayLike<number>;
  /** path points per tf.grad call */
  chunk: number;
}

/** IG of one image in TF.js; returns the attribution in NCHW (one readback, at the end). */
export async function tfIntegratedGradients(net: TfNet, o: TfIgOptions): Promise<Float32Array> {
  const [c, h, w] = o.inputShape;
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(o.image, [1, c, h, w]), [0, 2, 3, 1]));
  const base = tf.tidy(() => tf.transpose(tf.tensor4d(o.baseline, [1, c, h, w]), [0, 2, 3, 1]));
  const diff = tf.sub(x, base);
  const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.gather(net.predict(z as tf.Tensor4D), [o.target], 1)));
  let acc: tf.Tensor = tf.zerosLike(x);
  const n = o.alphas.length;
  for (let start = 0; start < n; start += o.chunk) {
    const b = Math.min(o.chunk, n - start);
    const next = tf.tidy(() => {
      const a = tf.tensor4d(
        Float32Array.from({ length: b }, (_, i) => o.alphas[start + i]!),
        [b, 1, 1, 1],
      );
      const wk = tf.tensor4d(
        Float32Array.from({ length: b }, (_, i) => o.weights[start + i]!),
        [b, 1, 1, 1],
      );
      const points = tf.add(base, tf.mul(a, diff));
      const g = grad(points);
      return tf.add(acc, tf.sum(tf.mul(g, wk), 0, true));
    });
    acc.dispose();
    acc = next;
  }
  const attr = tf.tidy(() => tf.transpose(tf.mul(acc, diff), [0, 3, 1, 2]));
  const out = (await attr.data()) as Float32Array;
  for (const t of [x, base, diff, acc, attr]) t.dispose();
  return out;
}

/** Logits of one NCHW image (sanity check: the same function as pathlight's model). */
export async function tfLogits(
  net: TfNet,
  image: Float32Array,
  inputShape: readonly [number, number, number],
): Promise<Float32Array> {
  const [c, h, w] = inputShape;
  const y = tf.tidy(() => net.predict(tf.transpose(tf.tensor4d(image, [1, c, h, w]), [0, 2, 3, 1])));
  const out = (await y.data()) as Float32Array;
  y.dispose();
  return out;
}

/** Tensors TF.js holds (leak check between calls). */
export function tfNumTensors(): number {
  return tf.memory().numTensors;
}
