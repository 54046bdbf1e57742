/**
 * The timestamp-query profiler (test/kernels/profiling.cases.ts) on its own, in Node (Dawn), on a
 * device with and one without 'timestamp-query' (Chromium's side: test/browser-profiling.e2e.test.ts).
 * Each case checks real per-op GPU times where the device offers 'timestamp-query' and a clear
 * `{ supported: false }` where it does not; this file logs which of the two it ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { requestAdapter } from '../src/gpu/acquire.js';
import { cases } from './kernels/index.js';
import { caseTitle } from './harness/cases.js';

const profiling = cases.filter((c) => c.suite === 'profiling');

describe('Node (Dawn)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine();
    console.log(
      `Node: timestamp-query ${engine.hasTimestamps ? 'available' : 'not offered'} on ${engine.adapter.architecture || engine.adapter.description}`,
    );
  });
  afterAll(() => engine?.dispose());
  for (const c of profiling) it(caseTitle(c), () => c.run(engine));
});

describe('Node (Dawn), a device without timestamp-query', () => {
  let engine: Engine;
  beforeAll(async () => {
    const { adapter } = await requestAdapter();
    engine = await createEngine({ device: await adapter.requestDevice() }); // no required features
    expect(engine.hasTimestamps).toBe(false);
  });
  afterAll(() => {
    engine?.dispose();
    engine?.device.destroy(); // the caller's device: the engine leaves it alone
  });
  for (const c of profiling) it(caseTitle(c), () => c.run(engine));
  it('says why there is no profile', async () => {
    expect(engine.startProfiling()).toBe(false);
    const report = await engine.stopProfiling();
    expect(report).toEqual({ supported: false, reason: expect.stringMatching(/no 'timestamp-query' feature/) });
  });
});
