/** Browser side of `npm run bench:methods`: the same suite on navigator.gpu; the driver passes the CLI arguments. */
import { createEngine } from '../src/gpu/engine.js';
import { parseGridArgs, resolveGrid, runMethodBench } from './methods.js';

declare global {
  interface Window {
    runMethodBench?: (argv: string[]) => Promise<unknown>;
  }
}

window.runMethodBench = async (argv: string[]) => {
  const args = parseGridArgs(argv);
  const grid = resolveGrid(args);
  const layerIg = args.layerIg === undefined ? undefined : { layer: args.layerIg, steps: args.steps };
  return {
    runtime: 'chrome',
    userAgent: navigator.userAgent,
    date: new Date().toISOString(),
    ...(await runMethodBench(() => createEngine(), { grid, log: (s) => console.log(s), abReps: args.abReps, layerIg })),
  };
};
