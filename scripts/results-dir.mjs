/**
 * Where the commands that produce results (the benchmarks, `npm run reproduce`,
 * `npm run verify:torchvision`) write: the ignored out/results/ by default, so a trial or partial
 * run rewrites no tracked file, and the committed bench/results/ only with `--record`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The committed results, which the docs' figures are read from. */
export const RECORDED_RESULTS = join(ROOT, 'bench', 'results');
/** A run's results unless it is recorded (out/ is in .gitignore). */
export const SCRATCH_RESULTS = join(ROOT, 'out', 'results');

/**
 * The folder a run writes to, whether it records, and its flags without `--record` (the flag is
 * the script's own, so it is not passed on to the strict flag parsers of the benchmark modules).
 */
export function resultsDir(argv = process.argv.slice(2)) {
  const record = argv.includes('--record');
  return { dir: record ? RECORDED_RESULTS : SCRATCH_RESULTS, record, argv: argv.filter((a) => a !== '--record') };
}

/** An earlier run's `file` to build on: the one in `dir` if there is one, else the recorded one, else null. */
export function earlierResult(dir, file) {
  for (const d of [dir, RECORDED_RESULTS]) if (existsSync(join(d, file))) return join(d, file);
  return null;
}

/** `path` relative to the repository root, for the line that says where a run wrote. */
export function fromRoot(path) {
  return path.startsWith(ROOT + '/') ? path.slice(ROOT.length + 1) : path;
}
