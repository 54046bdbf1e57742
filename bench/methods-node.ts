/** Node side of `npm run bench:methods`: Dawn (npm `webgpu`). JSON on stdout, progress on stderr. */
import { createEngine } from '../src/gpu/engine.js';
import { parseGridArgs, resolveGrid, runMethodBench } from './methods.js';

const args = parseGridArgs(process.argv.slice(2));
const grid = resolveGrid(args);
const cpuTime = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const result = await runMethodBench(() => createEngine(), {
  grid,
  log: (s) => console.error(s),
  cpuTime,
  abReps: args.abReps,
  layerIg: args.layerIg === undefined ? undefined : { layer: args.layerIg, steps: args.steps },
});
console.log(JSON.stringify({ runtime: 'node', date: new Date().toISOString(), ...result }));
