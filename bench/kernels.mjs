#!/usr/bin/env node
/**
 * `npm run bench:kernels [-- --record]`: kernel GFLOP/s in Node (Dawn) and in headless Chromium, JSON
 * to stdout and to kernels-node.json, kernels-chrome.json in out/results/ (bench/results/ with --record).
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

const { dir: out } = resultsDir();
mkdirSync(out, { recursive: true });

await esbuild.build({
  ...nodeOptions,
  entryPoints: [`${ROOT}/bench/kernels-node.ts`],
  outfile: `${ROOT}/.tmp/bench-kernels-node.mjs`,
});
console.error('== Node (Dawn) ==');
const nodeJson = execFileSync(process.execPath, [`${ROOT}/.tmp/bench-kernels-node.mjs`], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
  .toString()
  .trim();
const node = { ...JSON.parse(nodeJson), commit };
writeFileSync(`${out}/kernels-node.json`, JSON.stringify(node, null, 2) + '\n');

console.error('== headless Chromium ==');
const js = await bundle('bench/kernels-page.ts');
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
  page.on('console', (m) => console.error(`[chrome] ${m.text()}`));
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForFunction(() => typeof window.runKernelBench === 'function');
  const chrome = { ...(await page.evaluate(() => window.runKernelBench())), commit };
  writeFileSync(`${out}/kernels-chrome.json`, JSON.stringify(chrome, null, 2) + '\n');
  console.log(JSON.stringify({ node, chrome }));
} finally {
  await chromium.close();
  await server.close();
}
