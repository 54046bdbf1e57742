/**
 * Browser bundle for the Chromium kernel-case runs (test/harness/chromium-cases.ts): the same
 * kernel cases as the Node runner, run in the page against navigator.gpu. The Node side calls
 * `window.runPathlightCases(indices)` once and turns each result into a vitest test.
 */
import { createEngine, type Engine } from '../../src/gpu/engine.js';
import type { AdapterDescription } from '../../src/gpu/acquire.js';
import { cases } from '../kernels/index.js';
import { caseTitle } from '../harness/cases.js';

export interface CaseResult {
  suite: string;
  name: string;
  ok: boolean;
  /** the thrown error's message, and its class name (e.g. PathlightError) */
  error: string | null;
  errorName: string | null;
  stack: string | null;
  ms: number;
}

export interface BrowserRun {
  adapter: AdapterDescription;
  /** the engine's device really is a browser GPUDevice (not something handed in) */
  isGpuDevice: boolean;
  userAgent: string;
  results: CaseResult[];
}

declare global {
  interface Window {
    runPathlightCases?: (filter?: string | readonly number[]) => Promise<BrowserRun>;
  }
}

/** Same per-test limit as vitest's in Node: a hung case fails alone instead of stalling the run. */
const CASE_TIMEOUT_MS = 120_000;

let engine: Promise<Engine> | null = null;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms in the browser`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Run the cases `filter` picks, in list order, one engine for all: those whose title ("suite:
 * name") contains it, or those at its indices into test/kernels/index.ts's list; all without one.
 */
async function runPathlightCases(filter?: string | readonly number[]): Promise<BrowserRun> {
  engine ??= createEngine();
  const e = await engine;
  const results: CaseResult[] = [];
  const chosen = typeof filter === 'string' || filter === undefined ? undefined : new Set(filter);
  for (const [i, c] of cases.entries()) {
    const title = caseTitle(c);
    if (typeof filter === 'string' && filter && !title.includes(filter)) continue;
    if (chosen && !chosen.has(i)) continue;
    const t0 = performance.now();
    try {
      await withTimeout(c.run(e), CASE_TIMEOUT_MS, title);
      results.push({
        suite: c.suite,
        name: c.name,
        ok: true,
        error: null,
        errorName: null,
        stack: null,
        ms: performance.now() - t0,
      });
    } catch (err) {
      const x = err instanceof Error ? err : new Error(String(err));
      results.push({
        suite: c.suite,
        name: c.name,
        ok: false,
        error: x.message,
        errorName: x.name,
        stack: x.stack ?? null,
        ms: performance.now() - t0,
      });
    }
  }
  return { adapter: e.adapter, isGpuDevice: e.device instanceof GPUDevice, userAgent: navigator.userAgent, results };
}

window.runPathlightCases = runPathlightCases;
