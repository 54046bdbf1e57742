import { it } from 'vitest';
import { createEngine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { smallCnn } from './kernels/methods.cases.js';
it('timing', async () => {
  const engine = await createEngine();
  const { model } = smallCnn(engine);
  const x = new Float32Array(144).fill(0.3);
  for (const method of ['ig', 'blurig', 'blurig', 'ig', 'blurig-idgi', 'blurig-idgi']) {
    const t0 = performance.now(); const p0 = engine.stats.pipelines; const d0 = engine.stats.dispatches;
    await explain(engine, model, x, { method, steps: 6, target: 1 });
    console.log(method, (performance.now() - t0).toFixed(0), 'ms pipelines', engine.stats.pipelines - p0, 'dispatches', engine.stats.dispatches - d0);
  }
}, 300000);
