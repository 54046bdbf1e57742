/**
 * Engine churn (issue #12): engines share one device per process, so creating and disposing 200
 * engines that each compile, run and read back leaves RSS where it was (Dawn keeps ~0.1–0.2 MB per
 * destroyed device, which is what a device per engine used to leak) and no GPU buffer live.
 */
import { expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEngine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { relu } from '../src/ops/relu.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

async function oneEngine(): Promise<number> {
  const engine = await createEngine();
  const x = Tensor.from(engine, [1, -2, 3, -4, 5], [5]);
  const y = relu(x);
  const got = await y.download();
  x.dispose();
  y.dispose();
  const live = engine.poolStats().liveBuffers;
  engine.dispose();
  expect(Array.from(got)).toEqual([1, 0, 3, 0, 5]);
  return live;
}

it('200 engines created, used and disposed: RSS grows ≤ 20 MB, nothing left live', async () => {
  for (let i = 0; i < 20; i++) await oneEngine(); // JIT, allocator and driver warm-up
  gc();
  const before = rssMiB();
  let live = 0;
  for (let i = 0; i < 200; i++) live += await oneEngine();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const growth = rssMiB() - before;
  expect(live, 'pool buffers live at dispose').toBe(0);
  expect(growth, `RSS grew ${growth.toFixed(1)} MiB`).toBeLessThanOrEqual(20);
  // and the per-engine device is still available, destroyed by dispose
  const own = await createEngine({ ownDevice: true });
  own.dispose();
}, 180_000);
