/**
 * pathlight installed from its tarball into a fresh project, used the ways a library author
 * would: a Node ESM script and `npx pathlight explain`, a browser bundle built by esbuild with no
 * flags and run in headless Chromium (on the page and in a Web Worker), and strict `tsc` over a
 * consumer file on TypeScript 5.0 and latest, with and without @webgpu/types in its tsconfig.
 * `webgpu` (Dawn) is an optional peer dependency: the Node project installs it as the README says;
 * a project without it downloads no Dawn and gets one line naming `npm i webgpu` from Node. The
 * low-level `pathlight/engine` entry runs an op in Node and bundles without the attribution layer.
 * Every explanation is checked: LeNet's predicted class on MNIST sample 0 (a 7), finite values,
 * and IG's completeness (Σ attribution ≈ f(x) − f(baseline)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../esbuild.config.mjs';
import { bundleEntry, createConsumer, packPackage, writeSizeEntries } from '../scripts/consumer.mjs';
import { serve, type Served } from '../scripts/serve.mjs';
import { checkChromium, launchChromium } from '../scripts/chromium.mjs';

interface ImageResult {
  target: number;
  fx: number;
  fStart: number;
  sum: number;
  completenessError: number;
}
interface RunResult {
  label: number;
  source: string;
  finite: boolean;
  values: number;
  image: ImageResult;
}

const STEPS = 32;
let packDir: string;
let app: string;
let pack: ReturnType<typeof packPackage>;

beforeAll(() => {
  packDir = join(tmpdir(), `pathlight-pack-${process.pid}`);
  mkdirSync(packDir, { recursive: true });
  pack = packPackage(packDir);
  app = createConsumer(pack.tarball, { webgpu: true });
}, 300_000);

afterAll(() => {
  for (const d of [app, packDir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** What every explanation of MNIST sample 0 must satisfy. */
function checkExplanation(r: RunResult, source: string): void {
  expect(r.source).toBe(source);
  expect(r.label).toBe(7);
  expect(r.image.target).toBe(7);
  expect(r.values).toBe(28 * 28);
  expect(r.finite).toBe(true);
  expect(r.image.fx).toBeGreaterThan(r.image.fStart);
  // IG's Riemann error at 32 steps on LeNet is ~1 %; a broken path or weights would be far off
  expect(Math.abs(r.image.sum - (r.image.fx - r.image.fStart))).toBeLessThan(
    0.05 * Math.abs(r.image.fx - r.image.fStart),
  );
  expect(r.image.completenessError).toBeLessThan(0.05);
}

/** The explanation code shared by the Node script, the page and the worker (JavaScript, in the consumer). */
const EXPLAIN_SAMPLE = `
import { createEngine, loadZooModel, loadBundledSample, explain } from 'pathlight';
export async function explainSample(modelOptions) {
  const engine = await createEngine();
  const model = await loadZooModel(engine, 'lenet', modelOptions);
  const sample = await loadBundledSample('mnist', 0);
  const r = await explain(engine, model, sample.image, { method: 'ig', steps: ${STEPS} });
  const result = { label: sample.label, source: engine.adapter.source, finite: r.attribution.every(Number.isFinite), values: r.attribution.length, image: r.images[0] };
  model.dispose();
  engine.dispose();
  return result;
}
`;

describe('the packed tarball', () => {
  it('holds the library, its declarations, the zoo weights and samples, and no tests, bench or sources', () => {
    const files = pack.files;
    for (const f of [
      'package.json',
      'dist/cli.js',
      'dist/lib/index.js',
      'dist/lib/core.js',
      'dist/lib/engine.js',
      'dist/lib/node.js',
      'dist/types/index.d.ts',
      'dist/types/engine.d.ts',
      'dist/types/ts5/engine.d.ts',
      'dist/shaders/conv2d.wgsl.js',
      'assets/models/lenet-mnist.safetensors',
      'assets/samples/mnist/labels.json',
      'assets/samples/mnist/0.png',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|bench|src|shaders|scripts|demo)\//.test(f) || f.endsWith('.map'))).toEqual([]);
    console.log(`tarball ${pack.size} B, unpacked ${pack.unpackedSize} B, ${pack.entryCount} files`);
  });
});

describe('Node', () => {
  it('an ESM script explains a bundled sample with loadZooModel(engine, "lenet")', () => {
    writeFileSync(join(app, 'explain-sample.js'), EXPLAIN_SAMPLE);
    writeFileSync(
      join(app, 'node-script.js'),
      "import { explainSample } from './explain-sample.js';\nconsole.log(JSON.stringify(await explainSample()));\n",
    );
    const r = spawnSync(process.execPath, ['node-script.js'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    checkExplanation(JSON.parse(r.stdout.trim().split('\n').pop()!), 'node');
  });

  it('npx pathlight explain --model lenet --input sample:0 (method defaults to ig)', () => {
    const r = spawnSync(
      'npx',
      [
        '--no-install',
        'pathlight',
        'explain',
        '--model',
        'lenet',
        '--input',
        'sample:0',
        '--steps',
        String(STEPS),
        '--json',
        '--out',
        'out/cli.npy',
      ],
      { cwd: app, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.method).toBe('ig');
    const im = s.images[0];
    checkExplanation(
      { label: 7, source: 'node', finite: true, values: 28 * 28, image: { ...im, fStart: im.fBaseline } },
      'node',
    );
  });
});

describe('pathlight/engine (gpu, tensor, ops, nn)', () => {
  const ENGINE_SCRIPT = `
import { createEngine, Tensor, relu } from 'pathlight/engine';
const engine = await createEngine();
const x = Tensor.from(engine, [-1, 2, -3, 4], [4]);
console.log(JSON.stringify({ y: Array.from(await relu(x).download()), capture: typeof engine.capture }));
engine.dispose();
`;

  it('runs an op in Node', () => {
    writeFileSync(join(app, 'engine-script.js'), ENGINE_SCRIPT);
    const r = spawnSync(process.execPath, ['engine-script.js'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ y: [0, 2, 0, 4], capture: 'function' });
  });

  it('bundles for the browser without importers, attribution or Node modules', async () => {
    const page = (from: string) =>
      `import { createEngine, Tensor, relu, Model } from '${from}';\nglobalThis.run = async () => relu(Tensor.from(await createEngine(), [1], [1])) instanceof Tensor && Model;\n`;
    writeFileSync(join(app, 'engine-page.js'), page('pathlight/engine'));
    writeFileSync(join(app, 'root-page.js'), page('pathlight'));
    const { js } = await bundleEntry(app, 'engine-page.js', { minify: true });
    const root = await bundleEntry(app, 'root-page.js', { minify: true });
    expect(js).not.toMatch(/["']node:|["']webgpu["']/);
    // the root entry registers its methods (side effects a bundle keeps); the engine entry has none
    expect(root.js).toMatch(/\("ig",/);
    expect(js).not.toMatch(/\("ig",|onnx|safetensors/i);
    expect(js.length).toBeLessThan(root.js.length);
  });
});

describe('Node without the optional peer webgpu', () => {
  let bare: string;
  beforeAll(() => {
    bare = createConsumer(pack.tarball);
  }, 300_000);
  afterAll(() => {
    if (bare) rmSync(bare, { recursive: true, force: true });
  });

  it('installing pathlight alone downloads no Dawn', () => {
    expect(existsSync(join(bare, 'node_modules/pathlight/package.json'))).toBe(true);
    expect(existsSync(join(bare, 'node_modules/webgpu'))).toBe(false);
  });

  it('createEngine() and the CLI fail with one line naming `npm i webgpu`', () => {
    writeFileSync(
      join(bare, 'engine.js'),
      "import { createEngine } from 'pathlight';\ntry { await createEngine(); } catch (e) { console.log(e.message); }\n",
    );
    const r = spawnSync(process.execPath, ['engine.js'], { cwd: bare, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/npm i webgpu/);
    const cli = spawnSync(
      'npx',
      ['--no-install', 'pathlight', 'explain', '--model', 'lenet', '--input', 'sample:0', '--out', 'out/cli.npy'],
      { cwd: bare, encoding: 'utf8', timeout: 120_000 },
    );
    expect(cli.status).not.toBe(0);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/^pathlight: .*npm i webgpu/);
  });
});

describe('browser bundle (esbuild, no flags) in headless Chromium', () => {
  let server: Served | undefined;
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let page: import('puppeteer-core').Page;

  beforeAll(async () => {
    checkChromium();
    const site = join(app, 'site');
    mkdirSync(site, { recursive: true });
    writeFileSync(join(app, 'explain-sample.js'), EXPLAIN_SAMPLE);
    // the page uses the documented default: assets/ beside the page; the worker names its weights' URL
    writeFileSync(
      join(app, 'page.js'),
      "import { explainSample } from './explain-sample.js';\nwindow.explainOnPage = () => explainSample();\n",
    );
    writeFileSync(
      join(app, 'worker.js'),
      "import { explainSample } from './explain-sample.js';\nself.onmessage = () => explainSample({ weightsUrl: 'assets/models/lenet-mnist.safetensors' }).then((r) => self.postMessage({ ok: true, r }), (e) => self.postMessage({ ok: false, error: String(e) }));\n",
    );
    const files: Record<string, string> = {
      '/index.html':
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="page.js"></script>',
    };
    for (const f of ['page.js', 'worker.js']) {
      const { js } = await bundleEntry(app, f);
      expect(js).not.toMatch(/["']node:|["']webgpu["']/); // nothing Node-only reached the bundle
      files[`/${f}`] = js;
    }
    cpSync(join(app, 'node_modules/pathlight/assets'), join(site, 'assets'), { recursive: true });
    server = await serve({ root: site, files, quiet: true });
    chromium = await launchChromium();
    page = await chromium.browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') console.error(`[browser] ${m.text()}`);
    });
    await page.goto(server.url, { waitUntil: 'load' });
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });

  it('explains a sample on the page', async () => {
    checkExplanation(
      await page.evaluate(() => (window as unknown as { explainOnPage: () => Promise<RunResult> }).explainOnPage()),
      'browser',
    );
  });

  it('explains a sample in a Web Worker', async () => {
    const reply = await page.evaluate(
      () =>
        new Promise<{ ok: boolean; r?: RunResult; error?: string }>((resolve) => {
          const w = new Worker('worker.js');
          w.onmessage = (e) => resolve(e.data);
          w.onerror = (e) => resolve({ ok: false, error: e.message });
          w.postMessage('go');
        }),
    );
    expect(reply.error).toBeUndefined();
    checkExplanation(reply.r!, 'browser');
  });

  it('tree-shakes: the core entry carries only the methods it imports', async () => {
    // a registration passes the method's name first: registerMethod("ig",{…}) or a helper's f("blurig",…)
    const registers = (js: string) => ['ig', 'idgi', 'gig', 'blurig', 'ig2'].filter((m) => js.includes(`("${m}",`));
    const sizes: string[] = [];
    const found: Record<string, string[]> = {};
    for (const [label, file] of writeSizeEntries(app)) {
      const b = await bundleEntry(app, file, { minify: true });
      found[label] = registers(b.js);
      sizes.push(`${label}: ${b.bytes} B minified, ${b.gzipBytes} B gzipped`);
    }
    console.log(sizes.join('\n'));
    expect(found['core, ig']).toEqual(['ig', 'idgi']);
    expect(found['+ guided-ig']).toEqual(['ig', 'idgi', 'gig']);
    expect(found['+ blur-ig']).toEqual(['ig', 'idgi', 'blurig']);
    expect(found['+ ig2']).toEqual(['ig', 'idgi', 'ig2']);
    expect(found['pathlight (all methods)']).toEqual(['ig', 'idgi', 'gig', 'blurig', 'ig2']);
  });
});

describe('strict tsc over a consumer file', () => {
  const CONSUMER_TS = `
import { createEngine, loadZooModel, loadBundledSample, explain, Tensor, PathlightError, type Explanation, type ExplainOptions, type ZooLoadOptions } from 'pathlight';
import { methodNames } from 'pathlight/core';
import { relu, type Capture } from 'pathlight/engine';
import 'pathlight/methods/guided-ig';
import { loadSample, loadMnist } from 'pathlight/node';

export async function firstAttribution(weights?: Uint8Array): Promise<{ r: Explanation; sum: number }> {
  const engine = await createEngine();
  const modelOptions: ZooLoadOptions = weights ? { weights } : { weightsUrl: new URL('https://example.com/lenet.safetensors') };
  const model = await loadZooModel(engine, 'lenet', modelOptions);
  const sample = await loadBundledSample('mnist', 0, { assetsUrl: 'https://example.com/assets/' });
  const input = Tensor.from(engine, sample.image, [1, ...sample.shape]);
  const pixels: Float32Array = await input.download();
  const capture: Capture = engine.capture(() => relu(input)).capture;
  capture.dispose();
  input.dispose();
  const options: ExplainOptions = { method: methodNames().includes('gig') ? 'gig' : 'ig', steps: 16, baseline: 'black', target: 'auto' };
  const r = await explain(engine, model, pixels, options);
  const first = r.images[0];
  if (first === undefined) throw new PathlightError('no explanation');
  const device: GPUDevice = engine.device;
  device.label = 'consumer';
  return { r, sum: first.sum + loadSample('mnist', 0).label + loadMnist('test').count };
}
`;
  const base = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
    target: 'ES2022',
    lib: ['ES2022', 'DOM'],
  };
  const resolutions = {
    NodeNext: { module: 'NodeNext', moduleResolution: 'NodeNext' },
    Bundler: { module: 'ESNext', moduleResolution: 'Bundler' },
  };
  const compilers = { '5.0': 'typescript-5.0', latest: 'typescript-latest' };
  const webgpuTypes = { 'with @webgpu/types': ['@webgpu/types'], 'without @webgpu/types': [] };

  /** tsc's error lines for `file` under `config` (a tsconfig.json written for it). */
  function tscErrors(
    tsc: string,
    name: string,
    options: object,
    file: string,
  ): { errors: string[]; status: number | null } {
    const config = join(app, `tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: options, files: [file] }));
    const r = spawnSync(process.execPath, [tsc, '-p', config], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    return { errors: `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS\d+/.test(l)), status: r.status };
  }

  for (const [version, pkg] of Object.entries(compilers)) {
    for (const [webgpu, types] of Object.entries(webgpuTypes)) {
      it(`TypeScript ${version}, ${webgpu} (NodeNext and Bundler resolution)`, () => {
        writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
        writeFileSync(join(app, 'baseline.ts'), 'export {};\n');
        const tsc = join(ROOT, 'node_modules', pkg, 'bin', 'tsc');
        const v = execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).trim();
        expect(v).toMatch(version === '5.0' ? /^Version 5\.0\./ : /^Version \d+\./);
        for (const [name, resolution] of Object.entries(resolutions)) {
          // `types` lists every global declaration package the program may load: at most
          // @webgpu/types, so nothing may lean on @types/node (not installed here either)
          const options = { ...base, ...resolution, types };
          // The same settings without pathlight: errors there are the toolchain's own (TypeScript
          // 7.0.2's DOM lib already declares part of WebGPU, and @webgpu/types 0.1.74 clashes with
          // it; on TypeScript 5.0 @webgpu/types names VideoFrame, which its DOM lib lacks)
          const baseline = tscErrors(tsc, `${name}-baseline`, options, 'baseline.ts');
          const consumer = tscErrors(tsc, name, options, 'consumer.ts');
          expect(
            consumer.errors.filter((e) => !baseline.errors.includes(e)),
            `${v} ${name}: errors pathlight or the consumer file add`,
          ).toEqual([]);
          if (baseline.errors.length === 0) expect(consumer.status).toBe(0);
          else
            console.log(
              `${v}, ${webgpu}, ${name}: without pathlight ${baseline.errors.length} errors inside @webgpu/types, with it ${consumer.errors.length}`,
            );
        }
      });
    }
  }

  it('a type error in the consumer is reported (the check can fail)', () => {
    writeFileSync(
      join(app, 'wrong.ts'),
      "import { explain } from 'pathlight';\nexport const p: Promise<number> = explain(null as never, null as never, new Float32Array(1), { method: 'ig' });\n",
    );
    const config = join(app, 'tsconfig.wrong.json');
    writeFileSync(
      config,
      JSON.stringify({ compilerOptions: { ...base, ...resolutions.Bundler, types: [] }, files: ['wrong.ts'] }),
    );
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript-latest/bin/tsc'), '-p', config], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/wrong\.ts.*Explanation/s);
  });
});
