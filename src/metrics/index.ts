/** Attribution metrics: insertion/deletion, MS-SSIM, PIC (SIC/AIC), Gini sparsity, completeness error, and the Quantus-style ROAD, faithfulness correlation, infidelity, sensitivity, sparseness and complexity. */
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
