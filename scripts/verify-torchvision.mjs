#!/usr/bin/env node
/**
 * `npm run verify:torchvision [-- --sizes 64,224 --archs resnet18,… --ig-sizes 64]`: the torchvision
 * zoo (fixtures from scripts/torchvision-export.py, under out/torchvision/) imported, checked against
 * PyTorch float64 and timed in Node (bench/torchvision-node.ts); writes out/results/torchvision.json,
 * or bench/results/torchvision.json with --record. A run over some sizes or architectures replaces
 * only those rows of the earlier file (out/results/'s, else the recorded one). Exits 1 when an
 * architecture that has a fixture fails. `--table`: print the docs' table from the recorded file
 * (bench/results/torchvision.json), run nothing.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';
import { sourceCommit } from './source-commit.mjs';
import { earlierResult, RECORDED_RESULTS, resultsDir } from './results-dir.mjs';

const { dir, record, argv } = resultsDir();
const outfile = `${dir}/torchvision.json`;
if (argv.includes('--table')) {
  console.log(table(JSON.parse(readFileSync(`${RECORDED_RESULTS}/torchvision.json`, 'utf8'))));
  process.exit(0);
}
const earlier = earlierResult(record ? RECORDED_RESULTS : dir, 'torchvision.json');
await esbuild.build({
  ...nodeOptions,
  entryPoints: [`${ROOT}/bench/torchvision-node.ts`],
  outfile: `${ROOT}/.tmp/torchvision-node.mjs`,
});
const run = JSON.parse(
  execFileSync(process.execPath, [`${ROOT}/.tmp/torchvision-node.mjs`, ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 << 20,
  }).toString(),
);

// Merge with the rows of earlier runs (the 224 set is run on its own: it takes far longer).
const key = (r) => `${r.size} ${r.arch}`;
const previous = earlier ? JSON.parse(readFileSync(earlier, 'utf8')) : { results: [], exports: {} };
const commit = sourceCommit(ROOT);
const rows = run.results.map((r) => ({ ...r, commit, date: run.date }));
const fresh = new Set(rows.map(key));
const results = [...previous.results.filter((r) => !fresh.has(key(r))), ...rows].sort(
  (a, b) => a.size - b.size || a.arch.localeCompare(b.arch),
);
const merged = {
  ...run,
  commit,
  exports: { ...previous.exports, ...run.exports },
  results,
  methods: run.methods ?? previous.methods ?? null,
};
mkdirSync(dir, { recursive: true });
writeFileSync(outfile, JSON.stringify(merged, null, 2) + '\n');
const failed = run.results.filter((r) => r.status !== 'ok');
console.log(`${run.results.length - failed.length} of ${run.results.length} ok → ${outfile}`);
for (const r of failed) console.log(`  ${r.size} ${r.arch}: ${r.status}: ${r.error}`);
if (failed.length) process.exitCode = 1;

/** The README table: one row per architecture and size. */
function table({ results }) {
  const num = (v, unit = '') => (v === undefined ? '—' : `${v}${unit}`);
  const s = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
  const lines = [
    '| architecture | input | imports | status | logit error (rel. max) | gradient error (rel. L2) | import | first forward | warm forward + backward (2 images) | IG-64 (1 image) |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const status = r.status === 'ok' ? 'ok' : `${r.status}: ${r.error}`.replaceAll('|', '\\|');
    lines.push(
      `| ${r.arch} | 3×${r.size}×${r.size} | ${r.imports ? 'yes' : 'no'} | ${status} | ${num(r.logitRelErr)} | ${num(r.gradRelL2)} | ${s(r.importMs)} | ${s(r.firstForwardMs)} | ${s(r.warmGradMs)} | ${s(r.ig64Ms)} |`,
    );
  }
  return lines.join('\n');
}
