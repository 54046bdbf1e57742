/**
 * `pathlight/core`: the public API with the core methods only (grad, gradxinput, ig, idgi, and
 * SmoothGrad around any of them). Guided IG, Blur IG and IG2 register when their module is
 * imported (`pathlight/methods/guided-ig`, `…/blur-ig`, `…/ig2`), so a bundle carries only the
 * methods it uses. The root entry (src/index.ts) is this plus every built-in method. Browser-safe:
 * whatever differs by platform goes through `#platform` (src/platform/).
 */
export { createEngine, Engine, type EngineOptions, type EngineStats, type Kernel, type Binding, type OpProfile, type ProfileReport } from './gpu/engine.js';
export { type AdapterDescription } from './gpu/acquire.js';
export { ReplayCache, type Recording, type RecordedCommand } from './gpu/replay.js';
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
export * from './train/cross-entropy.js';
export * from './ops/arithmetic.js';
export { sliceBatch, concatBatch } from './tensor/batch.js';

// models and autograd
export * from './nn/graph.js';
export * from './nn/model.js';
export * from './nn/init.js';
export * from './models/safetensors.js';
export * from './models/npy.js';
export * from './models/onnx/decode.js';
export * from './models/tfjs/load.js';
export * from './models/zoo.js';
export * from './models/load.js';
export * from './models/predict.js';
export * from './models/fuse.js';
export * from './viz/heatmap.js';

// images and the bundled samples (any platform; pathlight/node adds synchronous file readers)
export * from './data/png.js';
export * from './data/bundled-samples.js';
export * from './data/classes.js';
export { toRgb32 } from './data/transforms.js';
export { preprocessPixels, pixelBaseline, declareInput, declaredRange, checkInputDeclaration } from './data/preprocess.js';
export { resizeBilinear, centreCrop } from './data/resize.js';

// attribution, without the optional methods (src/attribution/index.ts lists the same modules)
export * from './attribution/explain.js';
export * from './attribution/methods.js';
export * from './attribution/paths.js';
export * from './attribution/integrators.js';
export * from './attribution/adaptive/index.js';
export * from './attribution/quadrature.js';
export * from './attribution/evaluate.js';
export * from './attribution/context.js';
export * from './attribution/subject.js';
export * from './attribution/functions.js';
export { modelSubject, rowsForBudget } from './attribution/model-subject.js';
export * from './attribution/baselines.js';
export * from './attribution/ig2-references.js';

// metrics
export * from './metrics/index.js';
