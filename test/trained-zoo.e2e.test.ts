/**
 * `pathlight explain --model resnet --input sample:0 --method grad` works from a fresh checkout with
 * the shipped weights (issue #3's acceptance), through the built CLI. The weights' accuracy:
 * test/trained-zoo.test.ts.
 */
import { beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { CLASS_NAMES } from '../src/data/classes.js';

beforeAll(async () => {
  await build();
});

it('pathlight explain --model resnet --input sample:0 --method grad (shipped weights)', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pathlight-resnet-')), 'grad.png');
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'dist/cli.js'),
      'explain',
      '--model',
      'resnet',
      '--input',
      'sample:0',
      '--method',
      'grad',
      '--out',
      out,
      '--json',
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  expect(r.status, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout);
  expect(s.model).toBe('resnet');
  expect(s.images[0].className).toBe(CLASS_NAMES['fashion-mnist'][s.images[0].target]);
  expect(Number.isFinite(s.images[0].fx)).toBe(true);
  const npy = readFileSync(out.replace(/\.png$/, '.npy'));
  expect(npy.length).toBeGreaterThan(3 * 32 * 32 * 4);
});
