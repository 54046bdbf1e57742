/**
 * Runs kernel cases in headless Chromium (WebGPU through navigator.gpu; SwiftShader on a GPU-less
 * machine). The page runs the chosen cases once in beforeAll; each case then becomes one vitest
 * test that fails with the browser's error message. test/browser.test.ts runs the first case of
 * each suite (in `npm test`), test/browser-rest.e2e.test.ts all the others (in `npm run test:e2e`).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Page } from 'puppeteer-core';
import { bundle, ROOT } from '../../esbuild.config.mjs';
import { serve, type Served } from '../../scripts/serve.mjs';
import { checkChromium, launchChromium } from '../../scripts/chromium.mjs';
import { cases } from '../kernels/index.js';
import { caseTitle, type Case } from './cases.js';
import type { BrowserRun, CaseResult } from '../browser/entry.js';

const SETUP_TIMEOUT_MS = 30 * 60_000; // the whole suite runs inside beforeAll, on a CPU rasteriser

/** Indices (into test/kernels/index.ts's list) of the first case of every suite: each kernel family once. */
export function firstOfEachSuite(list: readonly Case[] = cases): number[] {
  const seen = new Set<string>();
  return list.flatMap((c, i) => (seen.has(c.suite) ? [] : (seen.add(c.suite), [i])));
}

/** The indices not in `chosen`: together with it, every case. */
export function allBut(chosen: readonly number[], list: readonly Case[] = cases): number[] {
  const skip = new Set(chosen);
  return list.flatMap((_, i) => (skip.has(i) ? [] : [i]));
}

function forwardConsole(page: Page): void {
  page.on('console', (msg) => {
    const type = msg.type();
    if (type === 'error' || type === 'warn') console.error(`[browser ${type}] ${msg.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[browser pageerror] ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => console.error(`[browser requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('error', (e) => console.error(`[browser crash] ${e.message}`));
}

function describe(r: BrowserRun): string {
  const a = r.adapter;
  return (
    [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') +
    (a.isFallbackAdapter ? ' (fallback)' : '')
  );
}

/**
 * One vitest test per case in `indices`, run in the page in that order on one engine, plus (with
 * `adapterTest`) one that checks the page's WebGPU adapter.
 */
export function runCasesInChromium(chosen: readonly number[], { adapterTest = false } = {}): void {
  const indices = [...chosen].sort((a, b) => a - b); // the page runs them in list order
  let server: Served | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let run: BrowserRun | undefined;
  // Kept instead of thrown from beforeAll, so every test fails with it (vitest would otherwise
  // report the tests as skipped, which reads as green).
  let setupError: Error | undefined;

  beforeAll(async () => {
    try {
      checkChromium();
      const t0 = performance.now();
      const js = await bundle('test/browser/entry.ts');
      const html = readFileSync(`${ROOT}/test/browser/index.html`, 'utf8');
      server = await serve({ files: { '/index.html': html, '/entry.js': js }, quiet: true });
      chromium = await launchChromium();
      const page = await chromium.browser.newPage();
      forwardConsole(page);
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e instanceof Error ? e.message : String(e)));
      await page.goto(server.url, { waitUntil: 'load', timeout: 60_000 });
      await page
        .waitForFunction(() => typeof window.runPathlightCases === 'function', { timeout: 60_000 })
        .catch((e: Error) => {
          throw new Error(`the test page never defined runPathlightCases (${pageErrors.join('; ') || e.message})`);
        });
      const t1 = performance.now();
      // A crashed renderer or browser would leave evaluate() waiting: race it against disconnection.
      const disconnected = new Promise<never>((_, reject) => {
        chromium!.browser.once('disconnected', () =>
          reject(new Error('Chromium disconnected while running the cases')),
        );
        page.once('error', (e) => reject(new Error(`the page crashed: ${e.message}`)));
      });
      run = await Promise.race([
        page.evaluate((chosen) => window.runPathlightCases!(chosen), [...indices]),
        disconnected,
      ]);
      const failed = run.results.filter((r) => !r.ok).length;
      const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        `browser: ${run.results.length} cases, ${failed} failed, in ${secs(performance.now() - t1)} (startup ${secs(t1 - t0)}) on ${describe(run)}`,
      );
    } catch (e) {
      setupError = e instanceof Error ? e : new Error(String(e));
    }
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  }, 60_000);

  /** The browser's result for the `at`-th chosen case; both sides list the same cases in the same order. */
  function result(at: number, c: Case): CaseResult {
    if (setupError) throw new Error(`browser runner setup failed: ${setupError.message}`, { cause: setupError });
    const r = run?.results[at];
    if (!r || r.suite !== c.suite || r.name !== c.name)
      throw new Error(`no result from the browser for "${caseTitle(c)}"`);
    return r;
  }

  if (adapterTest) {
    it('the browser engine runs on a WebGPU adapter', () => {
      if (setupError) throw new Error(`browser runner setup failed: ${setupError.message}`, { cause: setupError });
      const r = run!;
      console.log(`browser adapter: ${describe(r)}\n  ${r.userAgent}`);
      expect(r.adapter.source).toBe('browser');
      expect(r.isGpuDevice).toBe(true);
      expect(r.adapter.vendor || r.adapter.architecture || r.adapter.description).not.toBe('');
    });
  }

  indices.forEach((index, at) => {
    const c = cases[index]!;
    it(caseTitle(c), () => {
      const r = result(at, c);
      if (!r.ok) {
        const e = new Error(`${r.error ?? 'failed without a message'} (in Chromium)`);
        e.name = r.errorName ?? 'Error';
        // the page's frames (bundle line numbers) instead of this file's
        if (r.stack)
          e.stack = `${e.name}: ${e.message}\n${r.stack
            .split('\n')
            .filter((l) => /^\s+at /.test(l))
            .join('\n')}`;
        throw e;
      }
    });
  });
}
