/**
 * The browser (and Web Worker) side of `#platform`: WebGPU from `navigator.gpu`, assets fetched
 * over HTTP. Nothing here touches Node.
 */
import { fail, PathlightError } from '../errors.js';
import { fetchBytes, resolveUrl } from './fetch-bytes.js';
import type { NamedByModel } from './platform.js';

/** Browsers resolve GPU promises from their own event loop, without polling on the page's thread. */
export const gpuWaitsPoll = false;

export async function requestAdapter(
  powerPreference?: GPUPowerPreference,
): Promise<{ adapter: GPUAdapter; source: string }> {
  const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!gpu) {
    throw new PathlightError(
      'navigator.gpu is missing: this browser has no WebGPU (it needs a secure context, e.g. https or http://127.0.0.1; in Chromium start with --enable-unsafe-webgpu where WebGPU is not enabled by default)',
    );
  }
  const adapter = await gpu.requestAdapter(powerPreference ? { powerPreference } : {});
  if (!adapter) throw new PathlightError('navigator.gpu.requestAdapter() returned no adapter');
  return { adapter, source: 'browser' };
}

export async function readFileBytes(path: string, what: string, _namedBy?: NamedByModel): Promise<Uint8Array> {
  fail(
    `${what}: '${path}' is a file path, which only works in Node; in a browser pass the bytes (Uint8Array) or a URL`,
  );
}

export async function readUrl(url: string | URL, what: string): Promise<Uint8Array> {
  return fetchBytes(resolveUrl(url, globalThis.location?.href, what), what);
}

/** Assets sit in `assets/` beside the page (in a worker: beside the worker script) unless `assetsUrl` says where. */
export async function readAsset(relativePath: string, what: string, assetsUrl?: string | URL): Promise<Uint8Array> {
  const here = globalThis.location?.href;
  if (assetsUrl === undefined && !here)
    fail(`${what}: no page location to find assets/ from; pass assetsUrl (or the bytes)`);
  return fetchBytes(resolveUrl(relativePath, resolveUrl(assetsUrl ?? 'assets/', here, what), what), what);
}

export async function writeFileText(path: string, _text: string, what: string): Promise<void> {
  fail(`${what}: '${path}' is a file path, which only works in Node`);
}
