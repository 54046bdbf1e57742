/**
 * The build. `node esbuild.config.mjs` writes
 *   dist/lib/**.js            the library as per-module ESM (src/ transpiled one file per module,
 *                             imports kept), so a consumer's bundler drops what it does not use
 *   dist/shaders/*.wgsl.js    each shader as a string module (`export default "…"`); the lib's
 *                             `import x from '…/x.wgsl'` become `…/x.wgsl.js`
 *   dist/cli.js               the `pathlight` command (runs dist/lib/cli/main.js)
 *   dist/train.js             the trainer (src/train/cli.ts): `npm run train -- --model lenet ...`
 *   dist/bench.js             an installed package's `pathlight bench` (bench/bench-node.ts)
 * and, with `--types`, declarations in dist/types (tsc). Tests and tools import `build()` and
 * `bundle()` (an in-memory browser bundle of any entry, e.g. the browser test page).
 *
 * Everything built from src/ here resolves `#platform` (package.json `imports`) through the
 * `pathlight-source` condition to src/platform/{node,browser}.ts; the published package resolves
 * it to dist/lib/platform/*.js by the `node` condition.
 */
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(fileURLToPath(import.meta.url));
const at = (p) => join(ROOT, p);

/** The package.json `imports` condition that maps #platform to the TypeScript sources. */
export const SOURCE_CONDITIONS = ['pathlight-source'];

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
  absWorkingDir: ROOT,
  conditions: SOURCE_CONDITIONS,
};

// Bundles of the repository's own programs and pages (trainer, tests, demo, bench) from src/:
// package.json's `sideEffects` describes dist/lib, so it must not drop src modules that register methods.
export const nodeOptions = { ...common, platform: 'node', external: ['webgpu'], sourcemap: true, ignoreAnnotations: true };
const browser = { ...common, platform: 'browser', sourcemap: true, ignoreAnnotations: true };

/** Build the per-module library, the shaders, the CLI and the trainer. */
export async function build({ types = false } = {}) {
  // no stale modules from deleted sources in the package
  for (const d of ['dist/lib', 'dist/shaders', ...(types ? ['dist/types'] : [])]) rmSync(at(d), { recursive: true, force: true });
  writeShaderModules();
  await Promise.all([
    esbuild.build({
      entryPoints: sourceFiles('src').filter((f) => f !== 'src/train/cli.ts'),
      outdir: at('dist/lib'),
      outbase: at('src'),
      bundle: true, // only so the plugin sees every import; it keeps them all external
      plugins: [keepImports],
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      logLevel: 'warning',
      absWorkingDir: ROOT,
    }),
    esbuild
      .build({ ...nodeOptions, entryPoints: [at('src/train/cli.ts')], outfile: at('dist/train.js'), banner: { js: '#!/usr/bin/env node' } })
      .then((r) => (chmodSync(at('dist/train.js'), 0o755), r)),
    // an installed package's `pathlight bench` (src/cli/bench-command.ts): pathlight's rows in Node
    // (its library imports point at dist/lib, which the package has: only bench/'s own modules are bundled)
    esbuild.build({ ...nodeOptions, entryPoints: [at('bench/bench-node.ts')], outfile: at('dist/bench.js'), sourcemap: false, plugins: [libraryFromDist] }),
  ]);
  writeFileSync(at('dist/cli.js'), "#!/usr/bin/env node\nimport './lib/cli/main.js';\n", { mode: 0o755 });
  chmodSync(at('dist/cli.js'), 0o755);
  if (types) emitTypes();
}

/** bench/'s imports of ../src/<module>.js as the package's ./lib/<module>.js (for dist/bench.js). */
const libraryFromDist = {
  name: 'library-from-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/src\// }, (args) => (args.importer.startsWith(at('bench/')) ? { path: `./lib/${args.path.slice('../src/'.length)}`, external: true } : undefined));
  },
};

/** Per-module output: every import stays an import; shader imports point at their .wgsl.js module. */
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: args.path.endsWith('.wgsl') ? `${args.path}.js` : args.path, external: true };
    });
  },
};

function writeShaderModules() {
  for (const f of readdirSync(at('shaders'), { recursive: true }).map(String).filter((n) => n.endsWith('.wgsl'))) {
    mkdirSync(dirname(at(`dist/shaders/${f}`)), { recursive: true });
    writeFileSync(at(`dist/shaders/${f}.js`), `export default ${JSON.stringify(readFileSync(at(`shaders/${f}`), 'utf8'))};\n`);
  }
}

/** The .ts files under `dir` (relative to ROOT), declarations excluded. */
function sourceFiles(dir) {
  return readdirSync(at(dir), { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => relative(ROOT, at(f)).split('\\').join('/'));
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

/** Public entry points: package.json `exports` subpath → module under src/ (without .ts). */
export const ENTRIES = {
  '.': 'index',
  './core': 'core',
  './engine': 'engine',
  './node': 'node',
  './methods/guided-ig': 'attribution/methods/guided-ig',
  './methods/blur-ig': 'attribution/methods/blur-ig',
  './methods/ig2': 'attribution/methods/ig2/index',
};

/**
 * Declarations for package.json's `types` and `exports`: the entries (and what they reach) only,
 * so tests and tools need not typecheck. @types/node is needed to check src/platform/node.ts;
 * the consumer test checks that the entries' declarations do not depend on it.
 */
function emitTypes() {
  const tsc = at('node_modules/typescript/bin/tsc');
  const flags = ['--declaration', '--emitDeclarationOnly', '--outDir', 'dist/types', '--rootDir', 'src', '--target', 'ES2022',
    '--module', 'ESNext', '--moduleResolution', 'Bundler', '--customConditions', SOURCE_CONDITIONS.join(','), '--lib', 'ES2022,DOM',
    '--types', '@webgpu/types,node', '--strict', '--skipLibCheck', '--isolatedModules'];
  const entries = Object.values(ENTRIES).map((e) => `src/${e}.ts`);
  execFileSync(process.execPath, [tsc, ...flags, ...entries, 'shaders/wgsl.d.ts'], { cwd: ROOT, stdio: 'inherit' });
  writeWebgpuEntries();
}

/**
 * TypeScript's DOM lib declares WebGPU from version 6 on; before that the types come from
 * @webgpu/types (a dependency). package.json's `types@<6` conditions point TypeScript 5 at
 * dist/types/ts5/<entry>.d.ts, which add them and re-export the entry. Referencing @webgpu/types
 * from the plain declarations instead would clash with TypeScript 6+'s own WebGPU declarations.
 */
function writeWebgpuEntries() {
  mkdirSync(at('dist/types/ts5'), { recursive: true });
  writeFileSync(
    at('dist/types/ts5/webgpu.d.ts'),
    [
      '/// <reference types="@webgpu/types" />',
      "// TypeScript < 5.1's DOM lib has no VideoFrame, which @webgpu/types names (an external-texture",
      '// source): an empty interface lets it check there, and merges with the real one elsewhere.',
      'interface VideoFrame {}',
      '',
    ].join('\n'),
  );
  for (const entry of Object.values(ENTRIES)) {
    writeFileSync(at(`dist/types/ts5/${entry.replaceAll('/', '-')}.d.ts`), `/// <reference path="./webgpu.d.ts" />\nexport * from '../${entry}.js';\n`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  await build({ types: process.argv.includes('--types') });
  console.log(`built dist/ in ${Math.round(performance.now() - t0)} ms`);
}
