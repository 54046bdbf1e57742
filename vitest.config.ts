import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Three sets of test files, one vitest project each (`--project` picks):
 *   node      every file that needs neither Chromium nor a build
 *   chromium  the kernel cases in headless Chromium, the first of each suite (test/browser.test.ts)
 *   e2e       *.e2e.test.ts: the packed tarball, the demo page, the built CLI, the TF.js emotion
 *             model, and the other kernel cases in Chromium: `npm run test:e2e`
 * `npm test` runs node + chromium. A file given by name (`npx vitest run test/x.test.ts`) runs in
 * whichever project holds it.
 */
export const TEST_PROJECTS = {
  node: { include: ['test/**/*.test.ts'], exclude: ['test/**/*.e2e.test.ts', 'test/browser.test.ts'] },
  chromium: { include: ['test/browser.test.ts'], exclude: [] as string[] },
  e2e: { include: ['test/**/*.e2e.test.ts'], exclude: [] as string[] },
};

/**
 * `npm run test:quick` (PATHLIGHT_TEST_QUICK=1, the node project): leaves out these files, whose
 * time goes into whole models (training, the shipped zoo, ONNX's suites, 200 engines, fuzzing, LeNet
 * chunked under small memory budgets),
 * and test/kernels.test.ts leaves out its model-scale cases (test/kernels/quick.ts).
 */
export const NOT_QUICK = [
  'test/structure.test.ts',
  'test/train.test.ts',
  'test/trained.test.ts',
  'test/trained-zoo.test.ts',
  'test/replay.test.ts',
  'test/churn.test.ts',
  'test/event-loop.test.ts',
  'test/fuzz.test.ts',
  'test/onnx-conformance.test.ts',
  'test/onnx-exports.test.ts',
  'test/entries.test.ts',
  'test/limits.test.ts',
];
const quick = process.env.PATHLIGHT_TEST_QUICK === '1';

export default defineConfig({
  // Tests run on the sources in Node: the platform seam's Node side (package.json `imports` maps
  // #platform to the built dist/ files for everyone else).
  resolve: { alias: { '#platform': fileURLToPath(new URL('./src/platform/node.ts', import.meta.url)) } },
  plugins: [
    {
      name: 'wgsl-as-text',
      enforce: 'pre',
      load(id: string) {
        if (id.endsWith('.wgsl')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
        return null;
      },
    },
  ],
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One file at a time: nearly all the time is SwiftShader (Dawn in Node, Chromium's GPU process),
    // which already keeps every core busy; the CPU-only files add up to seconds.
    fileParallelism: false,
    reporters: ['default'],
    projects: Object.entries(TEST_PROJECTS).map(([name, files]) => ({
      extends: true as const,
      test: {
        name,
        include: files.include,
        exclude: quick ? [...files.exclude, ...NOT_QUICK] : files.exclude,
        // quick: the files share one process (no fresh module graph per file), saving ~15 s of imports
        isolate: !quick,
      },
    })),
  },
});
