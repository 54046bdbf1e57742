/**
 * `pathlight/core`: the public API with the core methods only (grad, gradxinput, ig, idgi, the layer
 * and neuron methods (attribution/layer/), and
 * SmoothGrad around any of them). Guided IG, Blur IG and IG2 register when their module is
 * imported (`pathlight/methods/guided-ig`, `…/blur-ig`, `…/ig2`), so a bundle carries only the
 * methods it uses. The root entry (src/index.ts) is this plus every built-in method. Browser-safe:
 * whatever differs by platform goes through `#platform` (src/platform/).
 */
// the low-level engine: gpu, tensor, ops, nn (./engine.ts, also `pathlight/engine`)
export * from './engine.js';
export * from './train/cross-entropy.js';

// models
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
export {
  preprocessPixels,
  pixelBaseline,
  declareInput,
  declaredRange,
  checkInputDeclaration,
} from './data/preprocess.js';
export { resizeBilinear, centreCrop } from './data/resize.js';

// attribution, without the optional methods (src/attribution/index.ts lists the same modules)
export * from './attribution/explain.js';
export * from './attribution/registry.js';
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
export * from './attribution/baseline-set.js';
export * from './attribution/targets.js';
export * from './attribution/path-spec.js';
export type { BaselineSensitivity } from './attribution/fan-out.js';
export * from './attribution/methods/ig2/references.js';

// metrics
export * from './metrics/index.js';

// sanity checks (MPRT, random logit, data randomisation)
export * from './sanity/index.js';
