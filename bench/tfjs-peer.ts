/**
 * The TF.js peers of `npm run bench`: the same network, built in TF.js (NHWC; the webgpu, wasm and
 * cpu backends, one at a time) from
 * the same folded parameters (ModelSpec after fuseModel), and the same Integrated Gradients: the
 * same quadrature points and weights in chunks of the same size, `tf.grad` of the target logit,
 * Σ_k w_k ∇f(x' + α_k (x − x')) × (x − x'). The network comes from tfjs-net.ts; inputs are
 * transposed to NHWC once.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { version as versionWebgpu } from '@tensorflow/tfjs-backend-webgpu/dist/version';
import { version as versionWasm } from '@tensorflow/tfjs-backend-wasm/dist/version';
import { version as versionCpu } from '@tensorflow/tfjs-backend-cpu/dist/version';
import type { TfNet } from './tfjs-net.js';

export const TF_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type TfBackend = (typeof TF_BACKENDS)[number];

/** Where bench/bench.mjs serves @tensorflow/tfjs-backend-wasm's dist/ (its three .wasm builds). */
export const TF_WASM_PATH = '/tfjs-wasm/';

export interface TfBackendInfo {
  backend: TfBackend;
  library: string;
  /** wasm: SIMD and threads support as TF.js detected them, and its thread count */
  simd?: boolean;
  multithread?: boolean;
  threads?: number;
  /** the .wasm build the page fetched (threaded-simd, simd or plain) */
  wasmFile?: string;
}

/**
 * Switch TF.js to `backend` (throws when it cannot start). The wasm backend loads its .wasm from
 * TF_WASM_PATH; it runs threaded only in a cross-origin-isolated page (SharedArrayBuffer), with one
 * thread per core (its default is half the cores).
 */
export async function initTf(backend: TfBackend): Promise<TfBackendInfo> {
  if (backend === 'wasm') {
    setWasmPaths(TF_WASM_PATH);
    setThreadsCount(navigator.hardwareConcurrency);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js: the ${backend} backend failed to initialise`);
  await tf.ready();
  const version = { webgpu: versionWebgpu, wasm: versionWasm, cpu: versionCpu }[backend];
  const info: TfBackendInfo = {
    backend,
    library: `@tensorflow/tfjs-core ${tf.version_core} + @tensorflow/tfjs-backend-${backend} ${version}`,
  };
  if (backend === 'wasm') {
    info.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.multithread = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    info.threads = getThreadsCount();
    info.wasmFile = performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .find((url) => url.includes(TF_WASM_PATH) && url.endsWith('.wasm'))
      ?.split('/')
      .pop();
  }
  return info;
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
  // the target logit by slice (its gradient is a pad): tf.gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks
  const grad = tf.grad((z: tf.Tensor) => tf.sum(tf.slice(net.predict(z as tf.Tensor4D), [0, o.target], [-1, 1])));
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
