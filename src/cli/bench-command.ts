/**
 * `pathlight bench [--json] [flags]`: in a source checkout, runs the headless-Chrome benchmark
 * (bench/bench.mjs, the script behind `npm run bench`) with the same flags. An installed package
 * has neither that script nor its development dependencies (Chromium's driver, the TF.js peers):
 * there it runs pathlight's own rows in Node (dist/bench.js, built from bench/bench-node.ts) and
 * lists the peers as not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathlightError } from '../errors.js';

/** bench/bench.mjs of the checkout holding `from` (the nearest folder above it with one), or null. */
export function checkoutBenchScript(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'bench', 'bench.mjs');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** What dist/bench.js exports (bench/bench-node.ts). */
interface InstalledBench {
  runInstalledBench(argv: readonly string[]): Promise<unknown>;
}

/** The installed package's Node benchmark: dist/bench.js beside dist/lib/ (this module is dist/lib/cli/bench-command.js). */
export async function installedBench(
  argv: readonly string[],
  bundle: URL = new URL('../../bench.js', import.meta.url),
): Promise<void> {
  if (!existsSync(fileURLToPath(bundle)))
    throw new PathlightError(
      `bench: neither a checkout's bench/bench.mjs nor the package's ${fileURLToPath(bundle)} was found`,
    );
  const { runInstalledBench } = (await import(bundle.href)) as InstalledBench;
  const t0 = performance.now();
  const result = await runInstalledBench(argv);
  if (argv.includes('--json')) console.log(JSON.stringify(result));
  else
    console.log(
      `bench: done in ${((performance.now() - t0) / 1000).toFixed(0)} s (pathlight rows in Node; the TF.js peer comparison is \`npm run bench\` in a checkout)`,
    );
}

export async function benchCommand(argv: readonly string[]): Promise<void> {
  const script = checkoutBenchScript();
  if (!script) return installedBench(argv);
  // bench.mjs parses the flags (--json: the JSON result on stdout), prints progress on stderr and
  // reports its own errors in one line, so its exit status is passed on without another message
  const r = spawnSync(process.execPath, [script, ...argv], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new PathlightError(`bench: cannot run ${script}: ${r.error.message}`);
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
