/**
 * The timestamp-query profiler (test/kernels/profiling.cases.ts) on both sides, on its own: in
 * Node (Dawn) and in headless Chromium (the browser test page, filtered to the profiling cases).
 * Each case checks real per-op GPU times where the device offers 'timestamp-query' and a clear
 * `{ supported: false }` where it does not; this file logs which of the two each side ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { requestAdapter } from '../src/gpu/acquire.js';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { cases } from './kernels/index.js';
import { caseTitle } from './harness/cases.js';
import type { BrowserRun } from './browser/entry.js';

const profiling = cases.filter((c) => c.suite === 'profiling');

describe('Node (Dawn)', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine();
    console.log(`Node: timestamp-query ${engine.hasTimestamps ? 'available' : 'not offered'} on ${engine.adapter.architecture || engine.adapter.description}`);
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

describe('headless Chromium', () => {
  it('runs the profiling cases in the page', async () => {
    const js = await bundle('test/browser/entry.ts');
    const server = await serve({ files: { '/index.html': readFileSync(`${ROOT}/test/browser/index.html`, 'utf8'), '/entry.js': js }, quiet: true });
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction(() => typeof window.runPathlightCases === 'function');
      const features = await page.evaluate(async () => [...((await navigator.gpu.requestAdapter())?.features ?? [])]);
      console.log(`Chromium: timestamp-query ${features.includes('timestamp-query') ? 'available' : 'not offered'}`);
      const run: BrowserRun = await page.evaluate(() => window.runPathlightCases!('profiling:'));
      expect(run.results.map((r) => r.name)).toEqual(profiling.map((c) => c.name));
      for (const r of run.results) expect(r.ok, `${r.name}: ${r.error}`).toBe(true);
    } finally {
      await chromium.close();
      await server.close();
    }
  }, 180_000);
});
