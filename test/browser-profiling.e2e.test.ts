/**
 * The timestamp-query profiler (test/kernels/profiling.cases.ts) in headless Chromium (the browser
 * test page, filtered to the profiling cases): real per-op GPU times where the page's adapter offers
 * 'timestamp-query', a clear `{ supported: false }` where it does not; logs which of the two ran.
 * Node's side: test/profiling.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { cases } from './kernels/index.js';
import type { BrowserRun } from './browser/entry.js';

const profiling = cases.filter((c) => c.suite === 'profiling');

describe('headless Chromium', () => {
  it('runs the profiling cases in the page', async () => {
    const js = await bundle('test/browser/entry.ts');
    const server = await serve({
      files: { '/index.html': readFileSync(`${ROOT}/test/browser/index.html`, 'utf8'), '/entry.js': js },
      quiet: true,
    });
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
