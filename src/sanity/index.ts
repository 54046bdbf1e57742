/** Sanity checks of attribution methods (MPRT, random logit, data randomisation): docs/sanity.md. */
export * from './similarity.js';
export * from './randomise.js';
export * from './checks.js';
export * from './load.js';
export * from './figure.js';
