/**
 * The demo page end to end in headless Chromium: build + serve it, pick lenet, sample 0 and a
 * method through the DOM, run, and check what the page shows. The first test uses the repository's
 * assets (trained lenet weights when present, else the 'untrained' fallback), checks the pickers,
 * the signed view and the downloads, and saves a screenshot to out/demo.png (and to the tracked
 * demo/screenshot.png only when PATHLIGHT_RECORD=1); the second plants a weights file in a scratch
 * assets folder and checks the page really computes with it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ElementHandle, Page } from 'puppeteer-core';
import { ROOT } from '../esbuild.config.mjs';
import { startDemo } from '../scripts/demo.mjs';
import { launchChromium } from '../scripts/chromium.mjs';
import type { Served } from '../scripts/serve.mjs';
import { zooGraph } from '../src/models/zoo.js';
import { initParameters } from '../src/nn/init.js';
import { writeSafetensors } from '../src/models/safetensors.js';
import { readNpy } from '../src/models/npy.js';

/** Set to rewrite the tracked demo/screenshot.png (README material); tests otherwise write only to out/. */
const RECORD = process.env.PATHLIGHT_RECORD === '1';

let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
const servers: Served[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  for (const s of servers) await s.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
}, 60_000);

/**
 * A fresh page on a fresh demo server; errors the page logs are collected (expected 404s aside).
 * With `downloads`, the page runs in its own browser context that saves downloads there.
 */
async function openDemo(
  assets?: string,
  emotion?: null,
  downloads?: string,
): Promise<{ page: Page; errors: string[] }> {
  const server = await startDemo({ assets, emotion });
  servers.push(server);
  const context = downloads
    ? await chromium!.browser.createBrowserContext({ downloadBehavior: { policy: 'allow', downloadPath: downloads } })
    : null;
  const page = await (context ?? chromium!.browser).newPage();
  if (context) page.on('close', () => void context.close());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  // 404s are expected: the page probes for weights files that may not exist yet
  page.on('console', (m) => m.type() === 'error' && !/status of 404/.test(m.text()) && errors.push(m.text()));
  await page.setViewport({ width: 1100, height: 760 });
  await page.goto(server.url, { waitUntil: 'load', timeout: 60_000 });
  await waitForState(page, errors, ['ready'], 60_000);
  return { page, errors };
}

/** Wait for body[data-state] to be one of `states`; fail fast with the page's message on 'error'. */
async function waitForState(page: Page, errors: string[], states: string[], timeout: number): Promise<void> {
  await page.waitForFunction(
    (s: string[]) => s.includes(document.body.dataset.state ?? '') || document.body.dataset.state === 'error',
    { timeout },
    states,
  );
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error') {
    const status = await page.$eval('#status', (el) => el.textContent);
    throw new Error(`demo page error: ${status} ${errors.join('; ')}`);
  }
}

/** Select a model + its sample 0 + one method through the DOM, run, and return the result card's numbers. */
async function explainSample0(
  page: Page,
  errors: string[],
  method: string,
  steps: number,
  model = 'lenet',
  timeout = 60_000,
): Promise<string> {
  await page.select('#model', model);
  await waitForState(page, errors, ['ready'], 30_000);
  await page.select('#sample', '0');
  await waitForState(page, errors, ['ready'], 30_000);
  await page.$$eval(
    '#methods input[type=checkbox]',
    (boxes, m) => boxes.forEach((b) => ((b as HTMLInputElement).checked = (b as HTMLInputElement).value === m)),
    method,
  );
  await page.$eval('#steps', (el, s) => ((el as HTMLInputElement).value = String(s)), steps);
  await page.click('#run');
  await waitForState(page, errors, ['done'], timeout);
  expect(await page.$$eval('#results .card', (els) => els.map((e) => (e as HTMLElement).dataset.method))).toEqual([
    method,
  ]);
  return page.$eval(`#results .card[data-method="${method}"] dl`, (el) => el.textContent ?? '');
}

/** The method's heatmap canvas: its size, opaque pixels and distinct colours. */
function heatmapPixels(page: Page, method: string) {
  return page.$eval(`#results .card[data-method="${method}"] canvas.heatmap`, (c) => {
    const canvas = c as HTMLCanvasElement;
    const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set<number>();
    let opaque = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3]! > 0) opaque++;
      colours.add((px[i]! << 16) | (px[i + 1]! << 8) | px[i + 2]!);
    }
    return { width: canvas.width, height: canvas.height, opaque, colours: colours.size };
  });
}

/** A file the page downloaded, once Chromium has finished writing it. */
async function downloaded(dir: string, name: string): Promise<Buffer> {
  const path = join(dir, name);
  for (let t = 0; t < 100 && !existsSync(path); t++) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(path), `${name} was not downloaded`).toBe(true);
  return readFileSync(path);
}

it('the demo explains an MNIST sample with IG and shows a heatmap, the signed view with a colour bar, and downloads', async () => {
  const downloads = mkdtempSync(join(tmpdir(), 'pathlight-demo-downloads-'));
  scratch.push(downloads);
  const { page, errors } = await openDemo(undefined, undefined, downloads);
  // the pickers: IG2 among the methods, target class, baseline, each method's options, the view
  const controls = await page.evaluate(() => ({
    methods: Array.from(document.querySelectorAll<HTMLInputElement>('#methods input')).map((b) => b.value),
    targets: Array.from((document.getElementById('target') as HTMLSelectElement).options).map((o) => o.value),
    baselines: Array.from((document.getElementById('baseline') as HTMLSelectElement).options).map((o) => o.value),
    views: Array.from((document.getElementById('view') as HTMLSelectElement).options).map((o) => o.value),
    options: [
      'gig-fraction',
      'gig-max-dist',
      'blur-max-sigma',
      'ig2-eta',
      'ig2-references',
      'sg-samples',
      'sg-noise',
    ].map((id) => (document.getElementById(id) as HTMLInputElement | null)?.value),
  }));
  expect(controls.methods).toEqual([
    'grad',
    'ig',
    'idgi',
    'gig',
    'gig-idgi',
    'blurig',
    'blurig-idgi',
    'ig2',
    'smoothgrad',
    'gradcam',
    'layer-idgi',
  ]);
  expect(controls.targets).toEqual(['auto', ...Array.from({ length: 10 }, (_, k) => String(k))]);
  expect(controls.baselines).toEqual(['black', 'white', 'uniform', 'blur']);
  expect(controls.views).toEqual(['magnitude', 'signed']);
  expect(controls.options).toEqual(['0.25', '0.02', '50', '1', '2', '16', '0.15']);
  const trained = existsSync(join(ROOT, 'assets/models/lenet-mnist.safetensors'));
  const screenshot = join(ROOT, 'demo/screenshot.png');
  const tracked = existsSync(screenshot) ? statSync(screenshot).mtimeMs : null;
  const stats = await explainSample0(page, errors, 'ig', 16);
  // with weights on disk the page must use them; without, it says so
  expect((await page.$eval('#model-note', (el) => el.textContent ?? '')).includes('untrained')).toBe(!trained);

  // the heatmap: opaque pixels that are not all the same colour
  const heat = await heatmapPixels(page, 'ig');
  expect([heat.width, heat.height]).toEqual([28, 28]);
  expect(heat.opaque).toBe(28 * 28);
  expect(heat.colours).toBeGreaterThan(8);
  expect(stats).toMatch(/completeness error [\d.]+ %/);
  expect(stats).toMatch(/insertionAUC [\d.]+/);
  // trained LeNet gets sample 0 (a 7) right; random weights need not
  if (trained) expect(stats).toContain('✓');
  expect(errors).toEqual([]);

  // the |attr| view's colour bar runs from 0 to the max; the signed view's from min through 0 to max
  const card = '#results .card[data-method="ig"]';
  const ticks = () =>
    page.$$eval(`${card} .ticks span`, (spans) => spans.map((s) => `${s.className}=${s.textContent}`));
  expect(await ticks()).toEqual([expect.stringMatching(/^min=0$/), expect.stringMatching(/^max=[\d.e−]+$/)]);
  expect(
    await page.$eval(`${card} canvas.bar`, (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]),
  ).toEqual([196, 1]);
  const corner = () =>
    page.$eval(`${card} canvas.heatmap`, (c) =>
      Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 1, 1).data),
    );
  expect((await corner()).slice(0, 3).every((v) => v < 16)).toBe(true); // |attr| 0: the ramp's black
  await page.select('#view', 'signed');
  expect(await ticks()).toEqual([
    expect.stringMatching(/^min=(0|−[\d.e−]+)$/),
    'zero=0',
    expect.stringMatching(/^max=[\d.e−]+$/),
  ]);
  // IG from a black baseline gives exactly 0 on MNIST's black background: white in the signed view
  expect(await corner()).toEqual([247, 247, 247, 255]);
  expect((await heatmapPixels(page, 'ig')).colours).toBeGreaterThan(8);

  // the downloads: the attribution as .npy (the input's shape) and the captioned figure as .svg
  await page.click(`${card} a[data-kind="npy"]`);
  const npy = readNpy(new Uint8Array(await downloaded(downloads, 'lenet-ig.npy')));
  expect(npy.shape).toEqual([1, 28, 28]);
  expect(npy.data.some((v) => v !== 0) && npy.data.every(Number.isFinite)).toBe(true);
  await page.click(`${card} a[data-kind="svg"]`);
  const svg = (await downloaded(downloads, 'lenet-ig.svg')).toString('utf8');
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svg).toMatch(/<text[^>]*>lenet · ig · class \d \(\d\) · 16 steps<\/text>/);
  expect(svg.match(/<image [^>]*width="224" height="224"/g)).toHaveLength(3);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(errors).toEqual([]);

  mkdirSync(join(ROOT, 'out'), { recursive: true });
  const shot = join(ROOT, 'out/demo.png');
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  if (RECORD) copyFileSync(shot, screenshot);
  // a test run leaves the tracked screenshot alone
  else expect(existsSync(screenshot) ? statSync(screenshot).mtimeMs : null).toBe(tracked);

  // IG2 (references: the bundled samples the model finds most typical of other classes) for a picked target class
  await page.select('#target', '3');
  await page.$$eval('#methods input[type=checkbox]', (boxes) =>
    boxes.forEach((b) => ((b as HTMLInputElement).checked = (b as HTMLInputElement).value === 'ig2')),
  );
  await page.$eval('#steps', (el) => ((el as HTMLInputElement).value = '8'));
  await page.click('#run');
  await waitForState(page, errors, ['done'], 60_000);
  const ig2 = await page.$eval('#results .card[data-method="ig2"] dl', (el) => el.textContent ?? '');
  expect(ig2).toMatch(/^class3 \(true: 7\)/);
  expect(errors).toEqual([]);

  // layer attribution: the picker lists the spatial layers, tappable first, defaulting to the last tappable one;
  // Grad-CAM and layer IDGI show their maps at the layer's resolution, upsampled to the input
  const layers = await page.evaluate(() => {
    const select = document.getElementById('layer') as HTMLSelectElement;
    const groups = Array.from(select.querySelectorAll('optgroup'));
    return {
      groups: groups.map((g) => g.label),
      tappable: Array.from(groups[0]!.children).map((o) => (o as HTMLOptionElement).value),
      value: select.value,
    };
  });
  expect(layers.groups[0]).toBe('tappable');
  expect(layers.value).toBe(layers.tappable.at(-1));
  await page.$$eval('#methods input[type=checkbox]', (boxes) =>
    boxes.forEach(
      (b) => ((b as HTMLInputElement).checked = ['gradcam', 'layer-idgi'].includes((b as HTMLInputElement).value)),
    ),
  );
  await page.click('#run');
  await waitForState(page, errors, ['done'], 60_000);
  for (const method of ['gradcam', 'layer-idgi']) {
    const title = await page.$eval(`#results .card[data-method="${method}"] h2`, (el) => el.textContent ?? '');
    expect(title).toMatch(new RegExp(`^${method} @ ${layers.value} \\(at \\d+×\\d+, upsampled\\)$`));
    const map = await heatmapPixels(page, method);
    expect([map.width, map.height, map.opaque]).toEqual([28, 28, 28 * 28]);
    expect(map.colours).toBeGreaterThan(8);
  }
  // layer IDGI's sum rule holds on the layer path: the page reports its check
  expect(await page.$eval('#results .card[data-method="layer-idgi"] dl', (el) => el.textContent ?? '')).toMatch(
    /Σ attr-?[\d.]+/,
  );
  // the .npy keeps Grad-CAM's shape at the layer: [1, h, w]
  await page.click('#results .card[data-method="gradcam"] a[data-kind="npy"]');
  const cam = readNpy(new Uint8Array(await downloaded(downloads, 'lenet-gradcam.npy')));
  expect(cam.shape.length === 3 && cam.shape[0] === 1 && cam.shape[1]! < 28).toBe(true);
  expect(cam.data.every((v) => v >= 0)).toBe(true); // ReLU'd
  expect(errors).toEqual([]);

  // your own image: a file picked through the input becomes the model input
  const file = (await page.$('#file')) as ElementHandle<HTMLInputElement> | null;
  await file!.uploadFile(join(ROOT, 'assets/samples/mnist/1.png'));
  await waitForState(page, errors, ['ready'], 30_000);
  expect(await page.$eval('#sample', (s) => (s as HTMLSelectElement).value)).toBe('own');
  expect(await page.$$eval('#results .card', (els) => els.length)).toBe(0);
  expect(errors).toEqual([]);
  await page.close();
}, 120_000);

it('the demo computes with the weights file once it exists', async () => {
  // lenet weights whose logits are exactly (0, 0, 0, 10, 0, …) for any input: class 3, f(x) = 10
  const assets = mkdtempSync(join(tmpdir(), 'pathlight-demo-assets-'));
  scratch.push(assets);
  cpSync(join(ROOT, 'assets/samples'), join(assets, 'samples'), { recursive: true });
  const params = initParameters(zooGraph('lenet').builder, 5);
  params.get('fc3.weight')!.data.fill(0);
  params.get('fc3.bias')!.data.set([0, 0, 0, 10, 0, 0, 0, 0, 0, 0]);
  mkdirSync(join(assets, 'models'));
  writeFileSync(join(assets, 'models/lenet-mnist.safetensors'), writeSafetensors(params));

  // and without the emotion model's files (no devDependencies) the page does not offer it
  const { page, errors } = await openDemo(assets, null);
  expect(await page.$eval('#model-note', (el) => el.textContent ?? '')).not.toContain('untrained');
  expect(await page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value))).not.toContain(
    'emotion',
  );
  const stats = await explainSample0(page, errors, 'grad', 1);
  expect(stats).toContain('class3 (true: 7)');
  expect(stats).toContain('f(x)10.000');
  expect(errors).toEqual([]);
  await page.close();
}, 120_000);

it('the demo explains the bundled face with the TF.js emotion model (IDGI)', async () => {
  const { page, errors } = await openDemo();
  expect(await page.$$eval('#model option', (os) => os.map((o) => o.textContent))).toContain(
    'emotion (TF.js, FER-2013)',
  );
  // compiling the mini-Xception's kernels on SwiftShader is most of this test's time
  const stats = await explainSample0(page, errors, 'idgi', 16, 'emotion', 150_000);
  expect(await page.$eval('#model-note', (el) => el.textContent ?? '')).toContain('FER-2013');
  // the input canvas shows the face's gray pixels, not the model's [-1, 1] input
  const shown = await page.$eval('#input', (c) => {
    const canvas = c as HTMLCanvasElement;
    const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let lo = 255;
    let hi = 0;
    for (let i = 0; i < px.length; i += 4) [lo, hi] = [Math.min(lo, px[i]!), Math.max(hi, px[i]!)];
    return { width: canvas.width, height: canvas.height, lo, hi };
  });
  expect(shown).toMatchObject({ width: 64, height: 64 });
  expect(shown.hi - shown.lo).toBeGreaterThan(100);
  const heat = await heatmapPixels(page, 'idgi');
  expect([heat.width, heat.height]).toEqual([64, 64]);
  expect(heat.opaque).toBe(64 * 64);
  expect(heat.colours).toBeGreaterThan(8);
  // the top class by name (the model's classNames), and completeness as the page reports it
  const top = /class(angry|disgust|fear|happy|sad|surprise|neutral)f\(x\)/.exec(stats);
  expect(top, stats).not.toBeNull();
  const error = /completeness error ([\d.]+) %/.exec(stats);
  expect(error, stats).not.toBeNull();
  expect(Number(error![1])).toBeLessThan(1);
  expect(errors).toEqual([]);
  await page.close();
}, 180_000);
