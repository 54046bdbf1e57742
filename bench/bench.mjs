#!/usr/bin/env node
/**
 * `npm run bench [-- --quick --json --models lenet,resnet --methods ig,idgi --steps 16,64 --reps 5 --peer-models lenet
 *   --peer-steps 64,256 --tf-backends webgpu,wasm,cpu --ort resnet,resnet18-64|none --no-profile --record]`:
 * the headless-Chromium benchmark (bench/bench-page.ts): per zoo model and method ms per attribution,
 * gradient evaluations/s, peak pool memory, GFLOP/s as a fraction of the adapter's ceiling (bench/ceiling.ts),
 * per-kernel GPU time (timestamp queries), the TF.js peers' IG (webgpu, wasm, cpu) and onnxruntime-web's
 * batch forward (webgpu, wasm) beside pathlight's predict. The page is cross-origin isolated (COOP/COEP),
 * so the wasm peers run threaded; their .wasm files are served from node_modules. Writes bench-chrome.json and the ms-vs-steps plot
 * bench-steps.svg to out/results/ (bench/results/ with --record: scripts/results-dir.mjs); prints
 * the JSON on stdout with --json (else a short summary); progress on stderr. Errors are one line (`pathlight: bench: …`), the stack with --debug.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from '../scripts/serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';
import { fromRoot, resultsDir } from '../scripts/results-dir.mjs';

const { dir: out, argv } = resultsDir();
const json = argv.includes('--json');
const debug = argv.includes('--debug');
const t0 = performance.now();
const secs = () => `${((performance.now() - t0) / 1000).toFixed(0)} s`;

/**
 * The page's own flag parser (bench/bench-grid.ts, bundled and imported here) run in Node first,
 * so a bad flag fails in a second rather than after Chromium has started.
 */
async function checkArgs() {
  const js = await bundle('bench/bench-grid.ts');
  const grid = await import(`data:text/javascript;base64,${Buffer.from(js).toString('base64')}`);
  grid.parseBenchArgs(argv);
}

async function runInChromium() {
  const js = await bundle('bench/bench-page.ts');
  // assets/ is the server root, so the page fetches /models/<name>-<dataset>.safetensors (404 → random init);
  // the peers' wasm builds from node_modules, torchvision's exports from out/ when they exist (404 → void row)
  const torchvision = `${ROOT}/out/torchvision`;
  const server = await serve({
    root: `${ROOT}/assets`,
    isolated: true,
    mounts: {
      '/tfjs-wasm/': `${ROOT}/node_modules/@tensorflow/tfjs-backend-wasm/dist`,
      '/ort/': `${ROOT}/node_modules/onnxruntime-web/dist`,
      ...(existsSync(torchvision) ? { '/torchvision/': torchvision } : {}),
    },
    files: {
      '/index.html':
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/entry.js"></script>',
      '/entry.js': js,
    },
    quiet: true,
  });
  const chromium = await launchChromium();
  try {
    const page = await chromium.browser.newPage();
    page.setDefaultTimeout(0); // the grid runs for minutes
    page.on('console', (m) => {
      // a 404 for /models/<file> or /torchvision/<file> is expected (the page says 'random init' or 'void')
      if (m.type() === 'error' && /status of 404/.test(m.text())) return;
      console.error(`[chrome ${secs()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => console.error(`[chrome pageerror] ${e instanceof Error ? e.message : String(e)}`));
    await page.goto(server.url, { waitUntil: 'load' });
    // bounded: a page whose bundle fails to load would otherwise be waited for forever
    await page.waitForFunction(() => typeof window.runBench === 'function', { timeout: 120_000 });
    const disconnected = new Promise((_, reject) =>
      chromium.browser.once('disconnected', () => reject(new Error('Chromium disconnected during the benchmark'))),
    );
    return await Promise.race([page.evaluate((args) => window.runBench(args), argv), disconnected]);
  } finally {
    await chromium.close();
    await server.close();
  }
}

async function main() {
  await checkArgs();
  mkdirSync(out, { recursive: true });
  const result = await runInChromium();
  const record = {
    ...result.json,
    commit: sourceCommit(ROOT),
    wallSeconds: Math.round((performance.now() - t0) / 1000),
  };
  writeFileSync(`${out}/bench-chrome.json`, JSON.stringify(record, null, 2) + '\n');
  writeFileSync(`${out}/bench-steps.svg`, result.svg);
  const pct = (t) => `${(100 * t.ofCeiling).toFixed(0)}% of ceiling`;
  const ratios = [
    `ceiling (Chromium): ${record.ceiling.gflops} GFLOP/s`,
    ...record.peer.rows.map((r) =>
      r.error
        ? `TF.js ${r.backend}, ${r.model} IG-${r.steps}: void (${r.error})`
        : `TF.js ${r.backend} / pathlight, ${r.model} IG-${r.steps}: ${r.tfMs} ms / ${r.pathlightMs} ms = ${r.ratio} (relative L2 ${r.relL2}${r.agrees ? '' : ', DISAGREES'}; pathlight ${pct(r.pathlight)})`,
    ),
    ...record.ort.rows.flatMap((r) =>
      r.error
        ? [`ORT ${r.target}: void (${r.error})`]
        : r.providers.map((p) =>
            p.error
              ? `ORT ${p.provider}, ${r.target}: void (${p.error})`
              : `ORT ${p.provider} / pathlight predict, ${r.target} ×${r.batch}: ${p.ms} ms / ${r.pathlightMs} ms = ${p.ratio} (max rel. diff ${p.maxRelDiff}${p.agrees ? '' : ', DISAGREES'})`,
          ),
    ),
  ];
  const done = `bench: done in ${secs()}; wrote ${fromRoot(out)}/bench-chrome.json and ${fromRoot(out)}/bench-steps.svg`;
  if (json) {
    for (const line of ratios) console.error(line);
    console.error(done);
    console.log(JSON.stringify(record));
  } else console.log([...ratios, done].join('\n'));
}

main().catch((e) => {
  // one line (a page error arrives as "Error: bench: …" inside puppeteer's message), the stack with --debug
  const message = e instanceof Error ? e.message : String(e);
  console.error(
    debug && e instanceof Error
      ? e.stack
      : `pathlight: bench: ${message.split('\n')[0].replace(/^(\w*Error: )?(bench: )?/, '')}`,
  );
  process.exit(1);
});
