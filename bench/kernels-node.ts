/** Node side of `npm run bench:kernels`: Dawn (npm `webgpu`). JSON on stdout, progress on stderr. */
import { createEngine } from '../src/gpu/engine.js';
import { runKernelBench } from './kernels.js';

const engine = await createEngine();
const cpuTime = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const only = process.argv[2]; // optional filter on the shape name, for tuning runs
const result = await runKernelBench(engine, { log: (s) => console.error(s), cpuTime, only });
engine.dispose();
console.log(JSON.stringify({ runtime: 'node', date: new Date().toISOString(), ...result }));
