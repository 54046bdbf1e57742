#!/usr/bin/env node
/**
 * `npm run bench:methods [-- --models lenet,resnet --methods ig,idgi --steps 32,64 --reps 3 --runtimes node,chrome --record]`:
 * path-method timing in Node (Dawn) and in headless Chromium, JSON to stdout and to methods-node.json,
 * methods-chrome.json in out/results/ (bench/results/ with --record). No arguments: the default grid (bench/methods.ts).
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundle, nodeOptions, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';
import { resultsDir } from '../scripts/results-dir.mjs';

const commit = sourceCommit(ROOT);

const { dir: out, argv } = resultsDir();
// the narrow input IG / layer IG pair gets its own files, so it never replaces the grid's
const stem = argv.includes('--layer-ig') ? 'methods-layer-ig' : 'methods';
const at = argv.indexOf('--runtimes');
const runtimes = at >= 0 ? (argv[at + 1] ?? '').split(',') : ['node', 'chrome'];
const unknown = runtimes.filter((r) => r !== 'node' && r !== 'chrome');
if (unknown.length > 0 || runtimes.length === 0)
  throw new Error(`--runtimes takes node and/or chrome, got '${argv[at + 1]}'`);

mkdirSync(out, { recursive: true });
const results = {};

if (runtimes.includes('node')) {
  await esbuild.build({
    ...nodeOptions,
    entryPoints: [`${ROOT}/bench/methods-node.ts`],
    outfile: `${ROOT}/.tmp/bench-methods-node.mjs`,
  });
  console.error('== Node (Dawn) ==');
  const nodeJson = execFileSync(process.execPath, [`${ROOT}/.tmp/bench-methods-node.mjs`, ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  })
    .toString()
    .trim();
  results.node = { ...JSON.parse(nodeJson), commit };
  writeFileSync(`${out}/${stem}-node.json`, JSON.stringify(results.node, null, 2) + '\n');
}

if (runtimes.includes('chrome')) {
  console.error('== headless Chromium ==');
  const js = await bundle('bench/methods-page.ts');
  const server = await serve({
    files: {
      '/index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>',
      '/entry.js': js,
    },
    quiet: true,
  });
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage();
    page.setDefaultTimeout(0); // the default grid runs for minutes
    page.on('console', (m) => console.error(`[chrome] ${m.text()}`));
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.runMethodBench === 'function');
    results.chrome = { ...(await page.evaluate((args) => window.runMethodBench(args), argv)), commit };
    writeFileSync(`${out}/${stem}-chrome.json`, JSON.stringify(results.chrome, null, 2) + '\n');
  } finally {
    await chromium.close();
    await server.close();
  }
}
console.log(JSON.stringify(results));
