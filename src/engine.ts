/**
 * `pathlight/engine`: the low-level engine alone, for libraries that bring their own models or
 * methods: the GPU runtime (src/gpu), tensors and the replay cache (src/tensor), the tensor ops
 * (src/ops) and graph models with autograd (src/nn). No importers, attribution, images or metrics.
 * Browser-safe, like `pathlight/core`, which exports all of this too.
 */
export {
  createEngine,
  Engine,
  type EngineOptions,
  type EngineStats,
  type Binding,
  type OpProfile,
  type ProfileReport,
} from './gpu/engine.js';
export { type Kernel } from './gpu/program.js';
export { type AdapterDescription, type DeviceOptions } from './gpu/acquire.js';
export { type Capture, type CapturedCommand, type Recording, type RecordedCommand } from './gpu/capture.js';
export { ReplayCache } from './tensor/replay-cache.js';
export { PathlightError, GpuError } from './errors.js';
export { Tensor } from './tensor/tensor.js';
export { renderShader, type ShaderParams } from './gpu/wgsl.js';

// ops (internal helpers such as elementwise.ts and pool2d.ts stay private)
export * from './ops/add.js';
export * from './ops/relu.js';
export * from './ops/matmul.js';
export * from './ops/linear.js';
export * from './ops/conv2d.js';
export * from './ops/batch-norm.js';
export * from './ops/max-pool.js';
export * from './ops/avg-pool.js';
export * from './ops/global-avg-pool.js';
export * from './ops/reduce.js';
export * from './ops/softmax.js';
export * from './ops/arithmetic.js';
export { sliceBatch, concatBatch } from './tensor/batch.js';

// models and autograd
export * from './nn/graph.js';
export * from './nn/model.js';
export * from './nn/init.js';
