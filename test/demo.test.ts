/**
 * The demo page end to end in headless Chromium: build + serve it, pick lenet, sample 0 and a
 * method through the DOM, run, and check what the page shows. The first test uses the repository's
 * assets (trained lenet weights when present, else the 'untrained' fallback) and saves a screenshot
 * to out/demo.png and demo/screenshot.png; the second plants a weights file in a scratch assets
 * folder and checks the page really computes with it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** A fresh page on a fresh demo server; errors the page logs are collected (expected 404s aside). */
async function openDemo(assets?: string, emotion?: null): Promise<{ page: Page; errors: string[] }> {
  const server = await startDemo({ assets, emotion });
  servers.push(server);
  const page = await chromium!.browser.newPage();
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
  await page.waitForFunction((s: string[]) => s.includes(document.body.dataset.state ?? '') || document.body.dataset.state === 'error', { timeout }, states);
  if ((await page.evaluate(() => document.body.dataset.state)) === 'error') {
    const status = await page.$eval('#status', (el) => el.textContent);
    throw new Error(`demo page error: ${status} ${errors.join('; ')}`);
  }
}

/** Select a model + its sample 0 + one method through the DOM, run, and return the result card's numbers. */
async function explainSample0(page: Page, errors: string[], method: string, steps: number, model = 'lenet', timeout = 60_000): Promise<string> {
  await page.select('#model', model);
  await waitForState(page, errors, ['ready'], 30_000);
  await page.select('#sample', '0');
  await waitForState(page, errors, ['ready'], 30_000);
  await page.$$eval('#methods input[type=checkbox]', (boxes, m) => boxes.forEach((b) => ((b as HTMLInputElement).checked = (b as HTMLInputElement).value === m)), method);
  await page.$eval('#steps', (el, s) => ((el as HTMLInputElement).value = String(s)), steps);
  await page.click('#run');
  await waitForState(page, errors, ['done'], timeout);
  expect(await page.$$eval('#results .card', (els) => els.map((e) => (e as HTMLElement).dataset.method))).toEqual([method]);
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

it('the demo explains an MNIST sample with IG and shows a heatmap', async () => {
  const { page, errors } = await openDemo();
  const trained = existsSync(join(ROOT, 'assets/models/lenet-mnist.safetensors'));
  const stats = await explainSample0(page, errors, 'ig', 16);
  // with weights on disk the page must use them; without, it says so
  expect((await page.$eval('#model-note', (el) => el.textContent ?? '')).includes('untrained')).toBe(!trained);

  // the heatmap: opaque pixels that are not all the same colour
  const heat = await heatmapPixels(page, 'ig');
  expect([heat.width, heat.height]).toEqual([28, 28]);
  expect(heat.opaque).toBe(28 * 28);
  expect(heat.colours).toBeGreaterThan(8);
  expect(stats).toMatch(/completeness[\d.]+ % error/);
  expect(stats).toMatch(/insertionAUC [\d.]+/);
  // trained LeNet gets sample 0 (a 7) right; random weights need not
  if (trained) expect(stats).toContain('✓');
  expect(errors).toEqual([]);

  mkdirSync(join(ROOT, 'out'), { recursive: true });
  const shot = join(ROOT, 'out/demo.png');
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  copyFileSync(shot, join(ROOT, 'demo/screenshot.png'));

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
  expect(await page.$$eval('#model option', (os) => os.map((o) => (o as HTMLOptionElement).value))).not.toContain('emotion');
  const stats = await explainSample0(page, errors, 'grad', 1);
  expect(stats).toContain('class3 (true: 7)');
  expect(stats).toContain('f(x)10.000');
  expect(errors).toEqual([]);
  await page.close();
}, 120_000);

it('the demo explains the bundled face with the TF.js emotion model (IDGI)', async () => {
  const { page, errors } = await openDemo();
  expect(await page.$$eval('#model option', (os) => os.map((o) => o.textContent))).toContain('emotion (TF.js, FER-2013)');
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
  const error = /completeness([\d.]+) % error/.exec(stats);
  expect(error, stats).not.toBeNull();
  expect(Number(error![1])).toBeLessThan(1);
  expect(errors).toEqual([]);
  await page.close();
}, 180_000);
