/**
 * The commands that produce results (benchmarks, reproduce, verify:torchvision) write to the
 * ignored out/results/ unless given --record (scripts/results-dir.mjs); none names the committed
 * bench/results/ itself. Checked without running a benchmark.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from '../esbuild.config.mjs';
import { earlierResult, fromRoot, RECORDED_RESULTS, resultsDir, SCRATCH_RESULTS } from '../scripts/results-dir.mjs';

/** The scripts behind `npm run bench`, `bench:kernels`, `bench:methods`, `bench:replay`, bench/compile.mjs, `reproduce` and `verify:torchvision`. */
const PRODUCERS = [
  'bench/bench.mjs',
  'bench/kernels.mjs',
  'bench/methods.mjs',
  'bench/node-and-chrome.mjs',
  'bench/replay.mjs',
  'bench/compile.mjs',
  'scripts/reproduce.mjs',
  'scripts/verify-torchvision.mjs',
];

describe('results folder', () => {
  it('is out/results/ by default, which git ignores, and bench/results/ with --record', () => {
    const plain = resultsDir(['--models', 'lenet', '--json']);
    expect(relative(ROOT, plain.dir)).toBe(join('out', 'results'));
    expect(plain).toMatchObject({ dir: SCRATCH_RESULTS, record: false, argv: ['--models', 'lenet', '--json'] });
    // git check-ignore exits 0 when the path is ignored
    expect(
      execFileSync('git', ['-C', ROOT, 'check-ignore', '-q', join(SCRATCH_RESULTS, 'bench-chrome.json')]).toString(),
    ).toBe('');
    const recorded = resultsDir(['--record', '--models', 'lenet']);
    expect(recorded).toMatchObject({ dir: RECORDED_RESULTS, record: true, argv: ['--models', 'lenet'] });
    expect(relative(ROOT, recorded.dir)).toBe(join('bench', 'results'));
    expect(fromRoot(join(SCRATCH_RESULTS, 'x.json'))).toBe('out/results/x.json');
  });

  it("an earlier result is read from the run's folder first, then from the recorded one", () => {
    mkdirSync(join(ROOT, 'out'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, 'out', 'results-test-'));
    try {
      expect(earlierResult(dir, 'torchvision.json')).toBe(join(RECORDED_RESULTS, 'torchvision.json'));
      expect(earlierResult(dir, 'none.json')).toBeNull();
      writeFileSync(join(dir, 'torchvision.json'), '{}');
      expect(earlierResult(dir, 'torchvision.json')).toBe(join(dir, 'torchvision.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every result-producing script takes its folder from results-dir.mjs and names no bench/results path in code', () => {
    for (const file of PRODUCERS) {
      const code = readFileSync(join(ROOT, file), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/bench[/'", ]+results/);
      if (file !== 'bench/replay.mjs' && file !== 'bench/compile.mjs') expect(code, file).toMatch(/resultsDir\(/);
    }
  });
});
