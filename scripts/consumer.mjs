/**
 * pathlight as a library author gets it: `npm pack` (which runs `prepack`, the full build), the
 * tarball installed into a fresh project, and browser bundles of that project's entries built
 * with esbuild's defaults. Used by test/consumer.e2e.test.ts and scripts/package-size.mjs.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../esbuild.config.mjs';

const npm = (args, cwd) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

/**
 * Pack the repository into `dest`; returns npm's report of the tarball (its path, size and
 * unpacked size in bytes, and the files in it).
 * @param {string} dest
 */
export function packPackage(dest) {
  const out = npm(['pack', '--json', '--pack-destination', dest], ROOT);
  // prepack's own output comes first; npm's JSON array starts on a line of its own
  const [report] = JSON.parse(out.slice(out.search(/^\[/m)));
  return { ...report, tarball: join(dest, report.filename), files: report.files.map((f) => f.path) };
}

/**
 * A new project (`"type": "module"`) in a temporary folder with `tarball` installed from the
 * npm cache where possible (`--prefer-offline`); the registry is only asked for what is missing.
 * `webgpu`: install Node's WebGPU (Dawn) beside it, as the README's Node quick start does; it is
 * an optional peer dependency, so a browser project (the default here) does not download it.
 * @param {string} tarball
 * @param {{ webgpu?: boolean }} [options]
 * @returns {string} the project folder
 */
export function createConsumer(tarball, { webgpu = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pathlight-consumer-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  const peer = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).peerDependencies.webgpu;
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, ...(webgpu ? [`webgpu@${peer}`] : [])], dir);
  return dir;
}

/**
 * Bundle `entry` (a file in the consumer project `dir`) the way `esbuild entry --bundle` does:
 * no platform, externals, conditions or defines, so esbuild's browser defaults apply.
 * @param {string} dir
 * @param {string} entry
 * @param {{ minify?: boolean }} [options]
 * @returns {Promise<{ js: string, bytes: number, gzipBytes: number }>}
 */
export async function bundleEntry(dir, entry, { minify = false } = {}) {
  const r = await esbuild.build({
    entryPoints: [join(dir, entry)],
    bundle: true,
    minify,
    write: false,
    absWorkingDir: dir,
    logLevel: 'silent',
  });
  const js = r.outputFiles[0].text;
  return { js, bytes: Buffer.byteLength(js), gzipBytes: gzipSync(js, { level: 9 }).length };
}

/**
 * The consumer entries whose bundle sizes the README states: one explanation of a bundled
 * sample through `pathlight/core` (core methods only), the same with one more built-in method
 * imported, with ONNX import, and through the root entry (every method).
 */
export const SIZE_ENTRIES = {
  'core, ig': { from: 'pathlight/core', imports: [] },
  '+ guided-ig': { from: 'pathlight/core', imports: ['pathlight/methods/guided-ig'] },
  '+ blur-ig': { from: 'pathlight/core', imports: ['pathlight/methods/blur-ig'] },
  '+ ig2': { from: 'pathlight/core', imports: ['pathlight/methods/ig2'] },
  '+ modelFromOnnx': { from: 'pathlight/core', imports: [], onnx: true },
  'pathlight (all methods)': { from: 'pathlight', imports: [] },
};

/** Write the size entries into `dir` as size-<n>.js; returns [label, file] pairs. */
export function writeSizeEntries(dir) {
  return Object.entries(SIZE_ENTRIES).map(([label, e], i) => {
    const names = [
      'createEngine',
      'loadZooModel',
      'loadBundledSample',
      'explain',
      ...(e.onnx ? ['modelFromOnnx'] : []),
    ];
    const code = [
      `import { ${names.join(', ')} } from '${e.from}';`,
      ...e.imports.map((m) => `import '${m}';`),
      // a global, so the default (iife) bundle keeps the code
      'globalThis.run = async function run(onnx) {',
      '  const engine = await createEngine();',
      `  const model = ${e.onnx ? 'onnx ? modelFromOnnx(engine, onnx).model : ' : ''}await loadZooModel(engine, 'lenet');`,
      "  const sample = await loadBundledSample('mnist', 0);",
      "  return explain(engine, model, sample.image, { method: 'ig' });",
      '};',
    ].join('\n');
    const file = `size-${i}.js`;
    writeFileSync(join(dir, file), code + '\n');
    return [label, file];
  });
}
