/** The attribution API: explain(), the composable pieces, and the built-in methods (registered on import). */
export * from './explain.js';
export * from './methods.js';
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
import './guided-ig.js';
import './blur-ig.js';
import './ig2.js';
export * from './ig2-references.js';
