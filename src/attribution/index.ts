/** The attribution API: explain(), the composable pieces, and the built-in methods (registered on import). */
export * from './explain.js';
export * from './registry.js';
export * from './paths.js';
export * from './integrators.js';
export * from './adaptive/index.js';
export * from './quadrature.js';
export * from './evaluate.js';
export * from './context.js';
export * from './subject.js';
export * from './functions.js';
export { modelSubject, rowsForBudget } from './model-subject.js';
export * from './baselines.js';
import './methods/guided-ig.js';
import './methods/blur-ig.js';
import './methods/ig2/index.js';
export * from './methods/ig2/references.js';
