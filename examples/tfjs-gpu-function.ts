/**
 * A TensorFlow.js model explained by pathlight on one GPUDevice, with no copy through the CPU:
 * TF.js's WebGPU backend runs on pathlight's `engine.device`, reads each batch of path points
 * straight from pathlight's buffer (`points.share()` + `tf.tensor({ buffer, zeroCopy: true })`),
 * and hands f and ∇f back as its own GPU buffers (`dataToGPU()`), which pathlight borrows with
 * `Tensor.wrap` until it is done with them. The README's gpuFunction example is this file;
 * test/kernels/interop.cases.ts runs it.
 *
 *   await shareDeviceWithTfjs(engine.device);
 *   const r = await explain(engine, tfjsClassifier((x) => net.predict(x), { inputShape: [1, 28, 28] }), images, { method: 'idgi', target: [3, 7] });
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gpuFunction, PathlightError, Tensor, type Explainable, type GpuFunctionOptions } from '../src/index.js';

/**
 * Run TF.js's 'webgpu' backend on `device` (TF.js's WebGPU kernels are registered under that
 * name, so the backend must carry it). Reuses the backend already on this device.
 */
export async function shareDeviceWithTfjs(device: GPUDevice): Promise<WebGPUBackend> {
  const current = tf.engine().registry.webgpu;
  if (!(current instanceof WebGPUBackend && current.device === device)) {
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    const backend = withNavigatorGpu(() => new WebGPUBackend(device));
    tf.registerBackend('webgpu', () => backend);
  }
  if (!(await tf.setBackend('webgpu')))
    throw new PathlightError('TF.js could not start its webgpu backend on the shared device');
  return tf.engine().backend as WebGPUBackend;
}

/**
 * WebGPUBackend's constructor refuses to run without `navigator.gpu`. In Node the device comes
 * from Dawn (npm `webgpu`) and there is no navigator: lend one for the constructor only.
 */
function withNavigatorGpu<T>(make: () => T): T {
  const g = globalThis as { navigator?: object };
  if (g.navigator && 'gpu' in g.navigator) return make();
  const lent = !g.navigator;
  const nav = (g.navigator ??= {});
  Object.defineProperty(nav, 'gpu', { value: {}, configurable: true });
  try {
    return make();
  } finally {
    delete (nav as { gpu?: unknown }).gpu;
    if (lent) delete g.navigator;
  }
}

/**
 * A TF.js classifier (`logits`: NHWC images [B, H, W, C] → [B, classes]) as a pathlight subject
 * with NCHW inputs `inputShape` [C, H, W]: f per row is the logit of that row's target class,
 * ∇f its gradient (TF.js's autodiff carries it back through the NCHW → NHWC transpose).
 * explain() must be given the targets (`target: k` or one per input).
 */
export function tfjsClassifier(logits: (x: tf.Tensor4D) => tf.Tensor2D, options: GpuFunctionOptions): Explainable {
  return gpuFunction(
    (points, { targets }) => {
      if (!targets)
        throw new PathlightError(
          `${options.name ?? 'tfjsClassifier'}: explain() needs explicit targets (target: k or one per input)`,
        );
      const shared = points.share(); // pathlight's work is submitted: the points are final in queue order
      try {
        const { value, grad } = tf.tidy(() => {
          const x = tf.tensor({ buffer: shared.buffer, zeroCopy: true }, [...points.shape], 'float32');
          const target = (z: tf.Tensor) => {
            const y = logits(tf.transpose(z, [0, 2, 3, 1]) as tf.Tensor4D);
            return tf.sum(tf.mul(y, tf.oneHot(tf.tensor1d(targets, 'int32'), y.shape[1])), 1);
          };
          return tf.valueAndGrad(target)(x); // rows are independent: ∇ of Σ f is ∇f per row
        });
        // dataToGPU submits TF.js's queue (so it has read the points) and copies on the GPU
        const [f, g] = [value.dataToGPU(), grad.dataToGPU()];
        value.dispose();
        grad.dispose();
        return {
          f: Tensor.wrap(points.engine, f.buffer!, [points.shape[0]!], {
            label: 'tfjs f',
            release: () => f.tensorRef.dispose(),
          }),
          grad: Tensor.wrap(points.engine, g.buffer!, points.shape, {
            label: 'tfjs grad',
            release: () => g.tensorRef.dispose(),
          }),
        };
      } finally {
        shared.release();
      }
    },
    { name: 'tfjsClassifier', ...options },
  );
}
