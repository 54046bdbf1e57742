#!/usr/bin/env node
/**
 * `npm run bench [-- --models lenet,resnet --methods ig,idgi --steps 16,64 --reps 5 --peer-models lenet --peer-steps 64 --no-profile]`:
 * the headless-Chromium benchmark (bench/bench-page.ts): per zoo model and method ms per attribution,
 * gradient evaluations/s, peak pool memory, GFLOP/s against the matmul probe, per-kernel GPU time
 * (timestamp queries) and the TF.js peer's IG. JSON to stdout and bench/results/bench-chrome.json,
 * the ms-vs-steps plot to bench/results/bench-steps.svg, progress to stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';

const argv = process.argv.slice(2);
const t0 = performance.now();
const secs = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
const out = `${ROOT}/bench/results`;
mkdirSync(out, { recursive: true });

const js = await bundle('bench/bench-page.ts');
// assets/ is the server root, so the page fetches /models/<name>-<dataset>.safetensors (404 → random init)
const server = await serve({ root: `${ROOT}/assets`, files: { '/index.html': '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/entry.js"></script>', '/entry.js': js }, quiet: true });
const chromium = await launchChromium();
let result;
try {
  const page = await chromium.browser.newPage();
  page.setDefaultTimeout(0); // the grid runs for minutes
  page.on('console', (m) => {
    // a 404 for /models/<file> is expected (no trained weights yet: the page says 'random init')
    if (m.type() === 'error' && /status of 404/.test(m.text())) return;
    console.error(`[chrome ${secs()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.error(`[chrome pageerror] ${e instanceof Error ? e.message : String(e)}`));
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForFunction(() => typeof window.runBench === 'function');
  const disconnected = new Promise((_, reject) => chromium.browser.once('disconnected', () => reject(new Error('Chromium disconnected during the benchmark'))));
  result = await Promise.race([page.evaluate((args) => window.runBench(args), argv), disconnected]);
} finally {
  await chromium.close();
  await server.close();
}

const json = { ...result.json, commit: sourceCommit(ROOT), wallSeconds: Math.round((performance.now() - t0) / 1000) };
writeFileSync(`${out}/bench-chrome.json`, JSON.stringify(json, null, 2) + '\n');
writeFileSync(`${out}/bench-steps.svg`, result.svg);
for (const r of json.peer?.rows ?? []) {
  console.error(`TF.js / pathlight, ${r.model} IG-${r.steps}: ${r.tfMs} ms / ${r.pathlightMs} ms = ${r.ratio} (relative L2 ${r.relL2})`);
}
console.error(`bench: done in ${secs()}; wrote bench/results/bench-chrome.json and bench/results/bench-steps.svg`);
console.log(JSON.stringify(json));
