/**
 * The build. `node esbuild.config.mjs` writes
 *   dist/index.js             Node ESM library (src/index.ts)
 *   dist/pathlight.browser.js browser ESM bundle of the same
 *   dist/cli.js               the `pathlight` command (src/cli/main.ts), when it exists
 *   dist/train.js             the trainer (src/train/cli.ts): `npm run train -- --model lenet ...`
 * and, with `--types`, declarations in dist/types (tsc). Tests and tools import `build()` and
 * `bundle()` (an in-memory browser bundle of any entry, e.g. the browser test page).
 */
import * as esbuild from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(fileURLToPath(import.meta.url));
const at = (p) => join(ROOT, p);

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
  absWorkingDir: ROOT,
};

// src/gpu/acquire.ts imports `webgpu` (and node:fs) through variables, so esbuild never sees them;
// listing `webgpu` anyway keeps a literal import from ever pulling Dawn into a bundle.
const node = { ...common, platform: 'node', external: ['webgpu'], sourcemap: true };
const browser = { ...common, platform: 'browser', external: ['webgpu', 'node:*'], sourcemap: true };

/** Build the library, the browser bundle and (if present) the CLI. */
export async function build({ types = false } = {}) {
  const jobs = [
    esbuild.build({ ...node, entryPoints: [at('src/index.ts')], outfile: at('dist/index.js') }),
    esbuild.build({ ...browser, entryPoints: [at('src/index.ts')], outfile: at('dist/pathlight.browser.js') }),
  ];
  // Node commands: the `pathlight` CLI and the trainer.
  for (const [src, out] of [['src/cli/main.ts', 'dist/cli.js'], ['src/train/cli.ts', 'dist/train.js']]) {
    if (!existsSync(at(src))) {
      console.warn(`esbuild.config.mjs: ${src} does not exist yet; skipping ${out}`);
      continue;
    }
    jobs.push(
      esbuild
        .build({ ...node, entryPoints: [at(src)], outfile: at(out), banner: { js: '#!/usr/bin/env node' } })
        .then((r) => (chmodSync(at(out), 0o755), r)),
    );
  }
  await Promise.all(jobs);
  if (types) emitTypes();
}

/**
 * Bundle `entry` for the browser in memory and return the JavaScript (inline source map, so
 * stack traces in the page point at the TypeScript).
 * @param {string} entry path, absolute or relative to the repository root
 */
export async function bundle(entry, { minify = false } = {}) {
  const r = await esbuild.build({ ...browser, entryPoints: [resolve(ROOT, entry)], write: false, sourcemap: 'inline', minify, outdir: at('dist/bundles') });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error(`esbuild produced no JavaScript for ${entry}`);
  return js.text;
}

/** Declarations for `types` in package.json: src only, so tests and tools need not typecheck. */
function emitTypes() {
  const tsc = at('node_modules/typescript/bin/tsc');
  const flags = ['--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types', '--rootDir', 'src', '--target', 'ES2022',
    '--module', 'ESNext', '--moduleResolution', 'Bundler', '--lib', 'ES2022,DOM', '--types', '@webgpu/types,node',
    '--strict', '--skipLibCheck', '--isolatedModules'];
  execFileSync(process.execPath, [tsc, ...flags, 'src/index.ts', 'shaders/wgsl.d.ts'], { cwd: ROOT, stdio: 'inherit' });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  await build({ types: process.argv.includes('--types') });
  console.log(`built dist/ in ${Math.round(performance.now() - t0)} ms`);
}
