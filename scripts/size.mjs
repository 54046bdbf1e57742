#!/usr/bin/env node
/**
 * Lines of the runtime + methods: non-blank, non-comment lines of src/gpu, src/tensor, src/ops,
 * src/nn and src/attribution (TypeScript), and of the WGSL files those modules import. Importers,
 * metrics, training, CLI, data and viz do not count. Prints TS, WGSL and the total (last line).
 * `--json` prints the same as JSON. `--check` fails (exit 1) above the budget in
 * scripts/size-budget.json (`.ci/run` runs it): a feature raises the budget only by the allowance
 * its issue states, recorded there. The TypeScript is Prettier-formatted (width 120), so the count
 * cannot be won by width; Prettier does not format WGSL, so `--check` also fails on a WGSL line over
 * 120 characters (every .wgsl file of the repository).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COUNTED = ['src/gpu', 'src/tensor', 'src/ops', 'src/nn', 'src/attribution'];

function filesUnder(dir, ext) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, ext));
    else if (path.endsWith(ext)) out.push(path);
  }
  return out;
}

/** Non-blank lines outside // and /* *\/ comments (TS and WGSL share the comment syntax). */
export function codeLines(text) {
  let inBlock = false;
  let n = 0;
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (inBlock) {
      const end = line.indexOf('*/');
      if (end < 0) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    while (line.startsWith('/*')) {
      const end = line.indexOf('*/', 2);
      if (end < 0) {
        inBlock = true;
        line = '';
        break;
      }
      line = line.slice(end + 2).trim();
    }
    if (line === '' || line.startsWith('//')) continue;
    n++;
  }
  return n;
}

export function measure() {
  const ts = COUNTED.flatMap((d) => filesUnder(join(ROOT, d), '.ts'));
  const wgsl = new Set();
  for (const file of ts) {
    for (const m of readFileSync(file, 'utf8').matchAll(/from\s+'([^']+\.wgsl)'/g))
      wgsl.add(resolve(dirname(file), m[1]));
  }
  const count = (files) => files.reduce((s, f) => s + codeLines(readFileSync(f, 'utf8')), 0);
  const tsLines = count(ts);
  const wgslLines = count([...wgsl]);
  return {
    ts: tsLines,
    wgsl: wgslLines,
    total: tsLines + wgslLines,
    files: ts.length + wgsl.size,
    wgslFiles: [...wgsl].map((f) => relative(ROOT, f)).sort(),
  };
}

/** WGSL lines over `WGSL_WIDTH` characters in every .wgsl file under shaders/ and src/, as "path:line (n chars)". */
export const WGSL_WIDTH = 120;
export function wideWgslLines() {
  const files = ['shaders', 'src'].flatMap((d) => filesUnder(join(ROOT, d), '.wgsl'));
  return files.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (line.length > WGSL_WIDTH ? [`${relative(ROOT, f)}:${i + 1} (${line.length} chars)`] : [])),
  );
}

export function budget() {
  const b = JSON.parse(readFileSync(join(ROOT, 'scripts/size-budget.json'), 'utf8'));
  return b.base + Object.values(b.allowances).reduce((s, a) => s + a.lines, 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = measure();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else if (process.argv.includes('--check')) {
    const limit = budget();
    console.log(
      `line budget: runtime + methods ${r.total} lines (${r.ts} TypeScript + ${r.wgsl} WGSL), budget ${limit}: ${r.total <= limit ? 'ok' : 'OVER'}`,
    );
    const wide = wideWgslLines();
    for (const w of wide) console.log(`WGSL line over ${WGSL_WIDTH} characters: ${w}`);
    if (r.total > limit || wide.length > 0) process.exit(1);
  } else console.log(`runtime + methods: ${r.ts} TypeScript + ${r.wgsl} WGSL lines in ${r.files} files\n${r.total}`);
}
