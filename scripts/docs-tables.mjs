#!/usr/bin/env node
/**
 * `node scripts/docs-tables.mjs --write | --check`: the generated blocks of README.md and docs/*.md.
 * Each block sits between `<!-- generated: NAME (scripts/docs-tables.mjs) -->` and
 * `<!-- end generated: NAME -->` and is rebuilt from the code or a committed results file, never
 * typed by hand:
 *   onnx-ops     the ONNX importer's op list and opsets (SUPPORTED_OPS, SUPPORTED_OPSET in src/models/onnx/decode.ts)
 *   models       the shipped models' training records (scripts/models-table.mjs, assets/models/*.safetensors)
 *   torchvision  the torchvision architectures (scripts/verify-torchvision.mjs --table, bench/results/torchvision.json)
 *   tfjs-peer    pathlight against TF.js's WebGPU backend (bench/results/bench-chrome.json)
 *   cli-usage    `pathlight --help` (src/cli/main.ts, bundled to .tmp/ and run), in a code block
 * --write rewrites the blocks in place; --check exits 1 naming every block that differs.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';

const at = (p) => join(ROOT, p);
const node = (script, ...args) => execFileSync(process.execPath, [at(script), ...args], { encoding: 'utf8' }).trimEnd();

/** SUPPORTED_OPS / SUPPORTED_OPSET, read from the importer's sources (bundled to .tmp/, packages external). */
async function onnxOps() {
  const outfile = await bundled(
    'docs-tables-onnx',
    "export { SUPPORTED_OPS, SUPPORTED_OPSET } from './src/models/onnx/decode.js';",
  );
  const { SUPPORTED_OPS, SUPPORTED_OPSET } = await import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
  const ops = [...SUPPORTED_OPS].sort((a, b) => a.localeCompare(b));
  return [
    `Opsets ${SUPPORTED_OPSET.min}–${SUPPORTED_OPSET.max}; ${ops.length} ops (default domain):`,
    '',
    ops.map((op) => `\`${op}\``).join(', '),
  ].join('\n');
}

/** A source module bundled to .tmp/<name>.mjs (packages external, #platform from the sources). */
async function bundled(name, contents) {
  const outfile = at(`.tmp/${name}.mjs`);
  mkdirSync(at('.tmp'), { recursive: true });
  await esbuild.build({
    ...nodeOptions,
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    packages: 'external',
    sourcemap: false,
    outfile,
  });
  return outfile;
}

async function cliUsage() {
  const outfile = await bundled('docs-tables-cli', "import './src/cli/main.js';");
  return ['```', execFileSync(process.execPath, [outfile, '--help'], { encoding: 'utf8' }).trimEnd(), '```'].join('\n');
}

function tfjsPeer() {
  const j = JSON.parse(readFileSync(at('bench/results/bench-chrome.json'), 'utf8'));
  const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
  const lines = [
    `From \`bench/results/bench-chrome.json\` (commit ${j.commit.slice(0, 7)}, ${j.date.slice(0, 10)}, ${j.runtime}, adapter ${j.adapter.architecture}; median of ${j.peer.rows[0]?.reps ?? '?'} timed calls):`,
    '',
    '| model | method | steps | pathlight | TF.js | TF.js / pathlight | attribution rel. L2 |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of j.peer.rows) {
    lines.push(
      `| ${r.model} | ${r.method} | ${r.steps} | ${ms(r.pathlightMs)} | ${ms(r.tfMs)} | ${r.ratio.toFixed(1)}× | ${r.relL2} |`,
    );
  }
  return lines.join('\n');
}

const GENERATORS = {
  'onnx-ops': onnxOps,
  models: () => node('scripts/models-table.mjs'),
  torchvision: () => node('scripts/verify-torchvision.mjs', '--table'),
  'tfjs-peer': tfjsPeer,
  'cli-usage': cliUsage,
};

const BLOCK = /(<!-- generated: ([\w-]+) \(scripts\/docs-tables\.mjs\) -->\n)([\s\S]*?)(\n<!-- end generated: \2 -->)/g;

const files = [
  'README.md',
  ...readdirSync(at('docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Every file with its generated blocks rebuilt: { file, text, expected, stale: block names }. */
async function generatedDocs() {
  const cache = new Map();
  const results = [];
  for (const file of files) {
    const text = readFileSync(at(file), 'utf8');
    const stale = [];
    let expected = text;
    for (const m of text.matchAll(BLOCK)) {
      const name = m[2];
      if (!GENERATORS[name])
        throw new Error(`${file}: unknown generated block '${name}' (known: ${Object.keys(GENERATORS).join(', ')})`);
      if (!cache.has(name)) cache.set(name, await GENERATORS[name]());
      if (m[3] !== cache.get(name)) stale.push(name);
      expected = expected.replace(m[0], () => `${m[1]}${cache.get(name)}${m[4]}`);
    }
    results.push({ file, text, expected, stale });
  }
  return results;
}

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--write') {
  console.error('usage: node scripts/docs-tables.mjs --check | --write');
  process.exit(2);
}
let stale = 0;
for (const { file, expected, stale: names } of await generatedDocs()) {
  if (!names.length) continue;
  stale += names.length;
  if (mode === '--write') {
    writeFileSync(at(file), expected);
    console.log(`${file}: rewrote ${names.join(', ')}`);
  } else console.log(`${file}: ${names.join(', ')} differ from the generator (node scripts/docs-tables.mjs --write)`);
}
if (mode === '--check') {
  console.log(stale ? `${stale} generated block(s) stale` : 'generated blocks up to date');
  if (stale) process.exitCode = 1;
}
