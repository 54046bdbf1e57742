/**
 * The commit a benchmark ran on, for its JSON: `git rev-parse HEAD` (+ "-dirty" with uncommitted
 * changes under src/, shaders/ or bench/ outside bench/results/), or null outside a git checkout.
 */
import { execFileSync } from 'node:child_process';

export function sourceCommit(root) {
  try {
    const git = (...args) =>
      execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    const head = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'shaders', 'bench', ':(exclude)bench/results')
      ? `${head}-dirty`
      : head;
  } catch {
    return null;
  }
}
