/**
 * A responsive host (issue #12): explain() yields to the event loop between chunks (and prepare
 * between compiles), and in Node it waits on the GPU without leaving Dawn polling (src/gpu/pacer.ts),
 * so a 5 ms timer never waits long. Targets: no gap above 500 ms during a cold ResNet IG-64 (its
 * compiles included) and none above 100 ms during a warm one. The pacer learns a submission's
 * duration from the first warm call (a cold call's GPU time includes SwiftShader's first-dispatch
 * compiles), so the warm calls measured come after it. Gaps that other processes cause (a loaded
 * machine) are not the host's: the warm target is met if one of two warm calls meets it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadZooModel } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { describeCheck, explain } from '../src/index.js';
import { loadSample } from '../src/data/samples.js';
import { toRgb32 } from '../src/data/transforms.js';

let engine: Engine;
let resnet: Model;
beforeAll(async () => {
  engine = await createEngine();
  resnet = await loadZooModel(engine, 'resnet');
});
afterAll(() => {
  resnet?.dispose();
  engine?.dispose();
});

/** The longest wait of a 5 ms interval timer while `work` runs. */
async function maxGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(gap, performance.now() - last);
}

it(
  'ResNet IG-64: the event loop never waits > 500 ms cold (compiles included), > 100 ms warm',
  { timeout: 570_000 },
  async () => {
    const x = toRgb32(loadSample('fashion-mnist', 0).image, 1);
    const run = () => explain(engine, resnet, x, { method: 'ig', steps: 64 });
    const cold = await maxGap(run);
    const learning = await maxGap(run);
    const warms = [await maxGap(run), await maxGap(run)];
    const warm = Math.min(...warms);
    console.log(
      `event-loop gaps: ResNet IG-64 cold ${cold.toFixed(0)} ms, first warm ${learning.toFixed(0)} ms, warm ${warms.map((g) => g.toFixed(0)).join(' / ')} ms`,
    );
    expect(cold, 'cold gap (ms)').toBeLessThanOrEqual(500);
    expect(warm, 'warm gap (ms)').toBeLessThanOrEqual(100);
  },
);

// Issue #22: the CLI printed "completeness error 191.584 %" for IG2 on a ResNet sample. IG2's fixed-length
// steps end near its counterfactual, not at it: its check is an approximate gap, reported as such.
it('IG2 on a ResNet sample: an approximate gap to f(x) − mean f(counterfactual), not a completeness error', async () => {
  const x = toRgb32(loadSample('fashion-mnist', 0).image, 1);
  const reference = toRgb32(loadSample('fashion-mnist', 1).image, 1); // another class (the CLI picks relevant ones: the same check applies)
  const r = await explain(engine, resnet, x, { method: 'ig2', steps: 3, methodOptions: { references: reference } });
  const im = r.images[0]!;
  expect([r.check, r.complete, r.start, im.check]).toEqual([
    'approximate',
    false,
    'mean f(counterfactual)',
    'approximate',
  ]);
  expect(im.gap).toBe(Math.abs(im.sum - (im.fx - im.fStart)) / Math.abs(im.fx - im.fStart));
  expect(describeCheck(r, im)).toBe(
    `gap ${(100 * im.gap!).toFixed(3)} % to f(x) − mean f(counterfactual) (approximate: not promised by ig2)`,
  );
});
