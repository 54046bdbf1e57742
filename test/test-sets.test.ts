/**
 * How the test files and kernel cases are split between `npm test`, `npm run test:quick` and
 * `npm run test:e2e` (vitest.config.ts): every file in exactly one set, every kernel case in
 * Chromium once across the two Chromium files, and the quick lists naming what exists.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join, matchesGlob, relative } from 'node:path';
import { ROOT } from '../esbuild.config.mjs';
import { NOT_QUICK, TEST_PROJECTS } from '../vitest.config.js';
import { cases } from './kernels/index.js';
import { MODEL_SCALE, quickCases } from './kernels/quick.js';
import { allBut, firstOfEachSuite } from './harness/chromium-cases.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(path);
    return e.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

const inProject = (file: string, p: { include: string[]; exclude: string[] }) =>
  p.include.some((g) => matchesGlob(file, g)) && !p.exclude.some((g) => matchesGlob(file, g));

describe('test files', () => {
  const files = testFiles(join(ROOT, 'test'));

  it('each file is in exactly one project: node, chromium or e2e', () => {
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const projects = Object.entries(TEST_PROJECTS)
        .filter(([, p]) => inProject(file, p))
        .map(([name]) => name);
      expect(projects, file).toHaveLength(1);
    }
  });

  it('the e2e project holds the *.e2e.test.ts files, the chromium project the browser kernel cases', () => {
    const of = (name: keyof typeof TEST_PROJECTS) => files.filter((f) => inProject(f, TEST_PROJECTS[name])).sort();
    expect(of('chromium')).toEqual(['test/browser.test.ts']);
    expect(of('e2e')).toEqual(files.filter((f) => f.endsWith('.e2e.test.ts')).sort());
    expect(of('e2e')).toEqual(
      expect.arrayContaining([
        'test/consumer.e2e.test.ts',
        'test/demo.e2e.test.ts',
        'test/cli.e2e.test.ts',
        'test/browser-rest.e2e.test.ts',
      ]),
    );
  });

  it('the files test:quick leaves out exist and are in the node project', () => {
    for (const file of NOT_QUICK) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      expect(inProject(file, TEST_PROJECTS.node), file).toBe(true);
    }
  });
});

describe('kernel cases', () => {
  it('the two Chromium selections split the list: each case once, the first of every suite in npm test', () => {
    const first = firstOfEachSuite();
    const rest = allBut(first);
    expect([...first, ...rest].sort((a, b) => a - b)).toEqual(cases.map((_, i) => i));
    expect(new Set(first.map((i) => cases[i]!.suite))).toEqual(new Set(cases.map((c) => c.suite)));
    expect(first).toHaveLength(new Set(cases.map((c) => c.suite)).size);
  });

  it('every model-scale prefix names a case, and test:quick keeps a case of every suite', () => {
    const titles = cases.map((c) => `${c.suite}: ${c.name}`);
    for (const prefix of MODEL_SCALE)
      expect(
        titles.some((t) => t.startsWith(prefix)),
        prefix,
      ).toBe(true);
    const quick = quickCases(cases);
    expect(quick.length).toBeLessThan(cases.length);
    expect(new Set(quick.map((c) => c.suite))).toEqual(new Set(cases.map((c) => c.suite)));
  });
});
