/**
 * Attribution metrics: insertion/deletion, MS-SSIM, PIC (SIC/AIC), Gini sparsity, completeness
 * error, and the Quantus-style ROAD, faithfulness correlation, infidelity, max/avg-sensitivity,
 * sparseness and complexity (docs/metrics.md).
 */
export * from './pixel-order.js';
export * from './curve-scores.js';
export * from './insertion-deletion.js';
export * from './ms-ssim.js';
export * from './pic.js';
export * from './gini.js';
export * from './completeness.js';
export * from './evaluate-methods.js';
export * from './perturbations.js';
export * from './noisy-linear-imputation.js';
export * from './road.js';
export * from './replace-pixels.js';
export * from './target-scores.js';
export * from './quantus-normalise.js';
export * from './faithfulness-correlation.js';
export * from './infidelity.js';
export * from './sensitivity.js';
export * from './complexity.js';
export * from './quantus-scores.js';
