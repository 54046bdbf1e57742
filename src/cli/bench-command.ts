/**
 * `pathlight bench [--json] [flags]`: runs the headless-Chrome benchmark (bench/bench.mjs, the
 * script behind `npm run bench`) of a source checkout with the same flags; the benchmark is not
 * part of the published package, so elsewhere this is a clear error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathlightError } from '../errors.js';

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
  // bench.mjs parses the flags (--json: the JSON result on stdout), prints progress on stderr and
  // reports its own errors in one line, so its exit status is passed on without another message
  const r = spawnSync(process.execPath, [script, ...argv], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new PathlightError(`bench: cannot run ${script}: ${r.error.message}`);
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
