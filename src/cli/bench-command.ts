/**
 * `pathlight bench [--json] [flags]`: runs the headless-Chrome benchmark (bench/bench.mjs, the
 * script behind `npm run bench`) of a source checkout; the benchmark is not part of the published
 * package, so elsewhere this is a clear error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathlightError } from '../gpu/errors.js';

/** The checkout root: the nearest folder above this module with bench/bench.mjs. */
function benchScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bench', 'bench.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new PathlightError('bench: bench/bench.mjs not found; the benchmark runs from a source checkout of pathlight (npm run bench)');
    dir = parent;
  }
}

export async function benchCommand(argv: readonly string[]): Promise<void> {
  const script = benchScript();
  const json = argv.includes('--json');
  const args = argv.filter((a) => a !== '--json');
  // the benchmark prints progress on stderr and its JSON on stdout
  const r = spawnSync(process.execPath, [script, ...args], { stdio: ['ignore', json ? 'inherit' : 'ignore', 'inherit'] });
  if (r.status !== 0) throw new PathlightError(`bench: ${script} exited with ${r.status ?? r.signal}`);
  if (!json) console.error('bench: results in bench/results/ (bench-chrome.json, bench-steps.svg)');
}
