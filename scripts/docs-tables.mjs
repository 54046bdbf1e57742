#!/usr/bin/env node
/**
 * `node scripts/docs-tables.mjs --write | --check`: the generated blocks of README.md and docs/*.md.
 * Each block sits between `<!-- generated: NAME (scripts/docs-tables.mjs) -->` and
 * `<!-- end generated: NAME -->` and is rebuilt from the code or a committed results file, never
 * typed by hand:
 *   onnx-ops     the ONNX importer's op list and opsets (SUPPORTED_OPS, SUPPORTED_OPSET in src/models/onnx/decode.ts)
 *   models       the shipped models' training records (scripts/models-table.mjs, assets/models/*.safetensors)
 *   torchvision  the torchvision architectures (scripts/verify-torchvision.mjs --table, bench/results/torchvision.json)
 *   tfjs-peer    pathlight's IG against TF.js's webgpu, wasm and cpu backends (bench/results/bench-chrome.json)
 *   ort-peer     pathlight's predict against onnxruntime-web's webgpu and wasm providers (the same file)
 *   cli-usage    `pathlight --help` (src/cli/main.ts, bundled to .tmp/ and run), in a code block
 *   zoo-*        docs/zoo.md's tables and commands, from the training records (scripts/zoo-docs.mjs,
 *                assets/models/ and assets/twins/*.safetensors)
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

const benchChrome = () => JSON.parse(readFileSync(at('bench/results/bench-chrome.json'), 'utf8'));
const ms = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
/** GFLOP/s and its fraction of the run's ceiling (files recorded before the ceiling probe have none) */
const rate = (t) => (t ? `${t.gflops.toFixed(2)}${t.ofCeiling ? ` (${(100 * t.ofCeiling).toFixed(0)} %)` : ''}` : '—');
const voidCell = (error) => `void: ${error.length > 60 ? `${error.slice(0, 57)}…` : error}`;

function runLine(j, what) {
  const ceiling = j.ceiling
    ? `; ceiling ${j.ceiling.gflops.toFixed(2)} GFLOP/s in ${j.ceiling.runtime === 'chromium' ? 'Chromium' : 'Node'} (FMA probe, same page; % = share of it)`
    : '; no ceiling probe in this file';
  return `From \`bench/results/bench-chrome.json\` (commit ${j.commit.slice(0, 7)}, ${j.date.slice(0, 10)}, ${j.runtime}, adapter ${j.adapter.architecture}; ${what}${ceiling}):`;
}

/** One row per model and IG step count, one column per TF.js backend (ms and TF.js / pathlight). */
function tfjsPeer() {
  const j = benchChrome();
  const rows = j.peer.rows.map((r) => ({ backend: 'webgpu', ...r }));
  const backends = [...new Set(rows.map((r) => r.backend))];
  const lines = [
    runLine(j, `median of ${rows[0]?.reps ?? '?'} timed calls; TF.js / pathlight in brackets`),
    '',
    `| model | IG steps | pathlight | ${backends.map((b) => `TF.js ${b}`).join(' | ')} | pathlight GFLOP/s | attribution rel. L2 (worst) |`,
    `|---|---:|---:|${backends.map(() => '---:|').join('')}---:|---:|`,
  ];
  const cells = [...new Set(rows.map((r) => `${r.model}\t${r.steps}`))];
  for (const key of cells) {
    const mine = rows.filter((r) => `${r.model}\t${r.steps}` === key);
    const first = mine[0];
    const peer = (b) => {
      const r = mine.find((m) => m.backend === b);
      if (!r) return '—';
      return r.error ? voidCell(r.error) : `${ms(r.tfMs)} (${r.ratio.toFixed(r.ratio < 10 ? 2 : 1)}×)`;
    };
    const agreed = mine.filter((r) => !r.error);
    const worst = agreed.length ? Math.max(...agreed.map((r) => r.relL2)) : null;
    const disagree = agreed.some((r) => r.agrees === false) ? ' (disagrees)' : '';
    lines.push(
      `| ${first.model} | ${first.steps} | ${ms(first.pathlightMs)} | ${backends.map(peer).join(' | ')} | ${rate(first.pathlight)} | ${worst === null ? '—' : `${worst}${disagree}`} |`,
    );
  }
  return lines.join('\n');
}

/** onnxruntime-web's batch forward beside pathlight's predict, one row per target. */
function ortPeer() {
  const j = benchChrome();
  if (!j.ort) return 'No onnxruntime-web rows in this file (recorded before `npm run bench` ran them).';
  const lines = [
    runLine(
      j,
      `${j.ort.library ?? 'onnxruntime-web'}; median of ${j.ort.rows[0]?.reps ?? '?'} timed calls; ORT / pathlight in brackets`,
    ),
    '',
    '| model | batch | pathlight predict | ORT webgpu | ORT wasm | pathlight GFLOP/s | max rel. output diff (worst) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of j.ort.rows) {
    if (r.error) {
      lines.push(`| ${r.target} | ${r.batch} | ${voidCell(r.error)} | — | — | — | — |`);
      continue;
    }
    const cell = (name) => {
      const p = r.providers.find((q) => q.provider === name);
      if (!p) return '—';
      return p.error ? voidCell(p.error) : `${ms(p.ms)} (${p.ratio.toFixed(p.ratio < 10 ? 2 : 1)}×)`;
    };
    const ran = r.providers.filter((p) => !p.error);
    const worst = ran.length ? Math.max(...ran.map((p) => p.maxRelDiff)) : null;
    lines.push(
      `| ${r.target} | ${r.batch} | ${ms(r.pathlightMs)} | ${cell('webgpu')} | ${cell('wasm')} | ${rate(r.pathlight)} | ${worst ?? '—'} |`,
    );
  }
  return lines.join('\n');
}

const GENERATORS = {
  'onnx-ops': onnxOps,
  models: () => node('scripts/models-table.mjs'),
  torchvision: () => node('scripts/verify-torchvision.mjs', '--table'),
  'tfjs-peer': tfjsPeer,
  'ort-peer': ortPeer,
  'cli-usage': cliUsage,
  'zoo-models': () => node('scripts/zoo-docs.mjs', 'models'),
  'zoo-model-commands': () => node('scripts/zoo-docs.mjs', 'model-commands'),
  'zoo-twins': () => node('scripts/zoo-docs.mjs', 'twins'),
  'zoo-twin-commands': () => node('scripts/zoo-docs.mjs', 'twin-commands'),
  'zoo-checkpoints': () => node('scripts/zoo-docs.mjs', 'checkpoints'),
  'zoo-checkpoint-commands': () => node('scripts/zoo-docs.mjs', 'checkpoint-commands'),
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
