/** Public pieces for adaptive paths: the stepper interface, per-image row pieces, Guided IG's path. */
export * from './stepper.js';
export * from './rows.js';
export * from './guided-path.js';
