/**
 * The public API. One line per module; add yours here (prefer `export *` unless a module exports
 * internals that should stay private).
 */
export { createEngine, Engine, type EngineOptions, type EngineStats, type Kernel, type Binding, type OpProfile, type ProfileReport } from './gpu/engine.js';
export { type AdapterDescription } from './gpu/acquire.js';
export { PathlightError, GpuError } from './gpu/errors.js';
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
export * from './ops/cross-entropy.js';
export * from './ops/arithmetic.js';
export { sliceBatch, concatBatch } from './tensor/batch.js';

// models and autograd
export * from './nn/graph.js';
export * from './nn/model.js';
export * from './nn/init.js';
export * from './models/safetensors.js';
export * from './models/npy.js';
export * from './models/onnx.js';
export * from './models/zoo.js';
export * from './models/load.js';
export * from './models/fuse.js';
export * from './viz/heatmap.js';

// attribution
export * from './attribution/index.js';

// metrics
export * from './metrics/index.js';
