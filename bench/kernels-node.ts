/** Node side of `npm run bench:kernels`: Dawn (npm `webgpu`). */
import { createEngine } from '../src/gpu/engine.js';
import { runKernelBench } from './kernel-suite.js';

const engine = await createEngine();
const result = await runKernelBench(engine, { log: (s) => console.error(s) });
engine.dispose();
console.log(JSON.stringify({ runtime: 'node', date: new Date().toISOString(), ...result }));
