#!/usr/bin/env node
/**
 * `node bench/compile.mjs [--models lenet,resnet] [--steps 64] [--reps 3] [--runtimes node,chrome] [--tag name]`:
 * cold / warm IG and per-pipeline compile times (bench/compile.ts) in Node (Dawn) and headless
 * Chromium, JSON to stdout and to bench/results/compile-<runtime>[-<tag>].json.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundle, nodeOptions, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';

const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const runtimes = flag('--runtimes', 'node,chrome').split(',');
const tag = flag('--tag', '');
const out = `${ROOT}/bench/results`;
mkdirSync(out, { recursive: true });
const commit = sourceCommit(ROOT);
const save = (runtime, r) => writeFileSync(`${out}/compile-${runtime}${tag ? `-${tag}` : ''}.json`, JSON.stringify({ ...r, commit, date: new Date().toISOString() }, null, 2) + '\n');
const results = {};

if (runtimes.includes('node')) {
  await esbuild.build({ ...nodeOptions, entryPoints: [`${ROOT}/bench/compile.ts`], outfile: `${ROOT}/.tmp/bench-compile-node.mjs` });
  console.error('== Node (Dawn) ==');
  const json = execFileSync(process.execPath, [`${ROOT}/.tmp/bench-compile-node.mjs`, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 }).toString().trim();
  save('node', (results.node = JSON.parse(json)));
}

if (runtimes.includes('chrome')) {
  console.error('== headless Chromium ==');
  const js = await bundle('bench/compile.ts');
  const server = await serve({ files: { '/index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>', '/entry.js': js }, quiet: true });
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage();
    page.setDefaultTimeout(0);
    page.on('console', (m) => console.error(`[chrome] ${m.text()}`));
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.runCompileBench === 'function');
    save('chrome', (results.chrome = await page.evaluate((args) => window.runCompileBench(args), argv)));
  } finally {
    await chromium.close();
    await server.close();
  }
}
console.log(JSON.stringify(results));
