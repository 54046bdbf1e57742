/**
 * `npm run train -- --model lenet --dataset mnist ...`: bundles src/train/cli.ts (TypeScript +
 * WGSL as text) with esbuild into .tmp/ and runs it. Flags: see src/train/cli.ts.
 */
import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(ROOT, '.tmp', 'train.bundle.mjs');
await esbuild.build({
  entryPoints: [join(ROOT, 'src/train/cli.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  loader: { '.wgsl': 'text' },
  outfile,
  logLevel: 'warning',
});
const { main } = await import(pathToFileURL(outfile).href);
await main(process.argv.slice(2));
