/**
 * The public API (`pathlight`): everything in ./core.ts plus every built-in method, registered on
 * import (Guided IG, Blur IG, IG2 come in through ./attribution/index.ts). Browser-safe; Node-only
 * helpers are in ./node.ts (`pathlight/node`). Add a module to ./core.ts.
 */
export * from './core.js';
export * from './attribution/index.js';
