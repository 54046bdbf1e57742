/**
 * Runs one benchmark module in Node (Dawn) and in headless Chromium and saves each runtime's JSON
 * to out/results/<name>-<runtime>[-<tag>].json (bench/results/ with --record). The module
 * (bench/<name>.ts) prints its JSON on stdout when run by Node and defines `window[global](argv)` in a page.
 * Flags read here: `--runtimes node,chrome`, `--tag name` and `--record`; the others are passed to the module.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { bundle, nodeOptions, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';
import { resultsDir } from '../scripts/results-dir.mjs';

export async function runInNodeAndChrome(name, global, args = process.argv.slice(2)) {
  const { dir: out, argv } = resultsDir(args);
  const flag = (f, fallback) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : fallback);
  const runtimes = flag('--runtimes', 'node,chrome').split(',');
  const tag = flag('--tag', '');
  mkdirSync(out, { recursive: true });
  const commit = sourceCommit(ROOT);
  const save = (runtime, r) =>
    writeFileSync(
      `${out}/${name}-${runtime}${tag ? `-${tag}` : ''}.json`,
      JSON.stringify({ ...r, commit, date: new Date().toISOString() }, null, 2) + '\n',
    );
  const results = {};
  if (runtimes.includes('node')) {
    await esbuild.build({
      ...nodeOptions,
      entryPoints: [`${ROOT}/bench/${name}.ts`],
      outfile: `${ROOT}/.tmp/bench-${name}-node.mjs`,
    });
    console.error('== Node (Dawn) ==');
    const json = execFileSync(process.execPath, [`${ROOT}/.tmp/bench-${name}-node.mjs`, ...argv], {
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 << 20,
    })
      .toString()
      .trim();
    save('node', (results.node = JSON.parse(json)));
  }
  if (runtimes.includes('chrome')) {
    console.error('== headless Chromium ==');
    const js = await bundle(`bench/${name}.ts`);
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
      page.setDefaultTimeout(0);
      page.on('console', (m) => console.error(`[chrome] ${m.text()}`));
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForFunction((g) => typeof window[g] === 'function', {}, global);
      save('chrome', (results.chrome = await page.evaluate((g, args) => window[g](args), global, argv)));
    } finally {
      await chromium.close();
      await server.close();
    }
  }
  return results;
}
