/**
 * The Node side of `#platform`: WebGPU from the npm package `webgpu` (Dawn), files through node:fs,
 * and the package's own assets/ folder. When no adapter is found and Debian Chromium's SwiftShader
 * ICD exists, Vulkan is pointed at it and the search is retried, so a GPU-less machine still runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, PathlightError } from '../errors.js';
import { fetchBytes, resolveUrl } from './fetch-bytes.js';
import { readCheckedFile } from './checked-read.js';
import type { NamedByModel } from './platform.js';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Dawn's Node binding polls in a setImmediate loop while a GPU promise is pending (see src/gpu/pacer.ts). */
export const gpuWaitsPoll = true;

// One Dawn instance per process (per Vulkan ICD setting), shared by every engine: an engine's
// dispose() destroys its device, and nothing grows per engine. The instance must stay reachable
// anyway: if the GC collects it, Dawn tears down its threads under live devices (seen as 'futex
// facility returned an unexpected error code' crashes).
const sharedInstances = new Map<string, GPU>();

async function nodeGpu(): Promise<GPU> {
  const icd = process.env.VK_ICD_FILENAMES ?? '';
  const known = sharedInstances.get(icd);
  if (known) return known;
  let mod: typeof import('webgpu');
  try {
    mod = await import('webgpu');
  } catch (e) {
    throw new PathlightError(`WebGPU in Node needs the npm package 'webgpu' (npm i webgpu): ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = mod.create([]);
  sharedInstances.set(icd, gpu);
  return gpu;
}

/** Linux render nodes (/dev/dri/renderD*) or NVIDIA device files. */
function hasGpuDeviceNode(): boolean {
  try {
    if (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
    return readdirSync('/dev').some((f) => f.startsWith('nvidia'));
  } catch {
    return true; // unknown platform layout: let Vulkan look for itself
  }
}

export async function requestAdapter(
  powerPreference?: GPUPowerPreference,
): Promise<{ adapter: GPUAdapter; source: string }> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // silences a harmless Dawn warning
  // No GPU device node at all: go straight to SwiftShader (probing Mesa's software/hardware ICDs
  // first only prints Dawn warnings).
  if (!process.env.VK_ICD_FILENAMES && !hasGpuDeviceNode() && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const options = powerPreference ? { powerPreference } : {};
  let adapter = await (await nodeGpu()).requestAdapter(options);
  if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    adapter = await (await nodeGpu()).requestAdapter(options);
  }
  if (!adapter) {
    throw new PathlightError(
      `no WebGPU adapter found in Node. Without a GPU, install Debian's chromium and libvulkan1 (apt-get install -y chromium libvulkan1) so SwiftShader (${SWIFTSHADER_ICD}) can be used`,
    );
  }
  return { adapter, source: 'node' };
}

export async function readFileBytes(path: string, what: string, namedBy?: NamedByModel): Promise<Uint8Array> {
  return readCheckedFile(path, what, namedBy);
}

/**
 * Written to a temporary file beside it (named as src/cli/atomic-write.ts names them), then renamed
 * over it: a reader never sees half a file, two writers leave one whole, a failure leaves no temp.
 */
export async function writeFileText(path: string, text: string, what: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, path);
  } catch (e) {
    await rm(temporary, { force: true });
    fail(`${what}: cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** An absolute URL's bytes: file: through fs, anything else through fetch. */
export async function readUrl(url: string | URL, what: string): Promise<Uint8Array> {
  const u = resolveUrl(url, undefined, what);
  return u.protocol === 'file:' ? readFileBytes(fileURLToPath(u), what) : fetchBytes(u, what);
}

/** From `assetsUrl` when given (a file: or http(s) URL of a folder), else the package's assets/ folder. */
export async function readAsset(relativePath: string, what: string, assetsUrl?: string | URL): Promise<Uint8Array> {
  if (assetsUrl === undefined) return readFileBytes(join(assetsRoot(), relativePath), what);
  return readUrl(resolveUrl(relativePath, resolveUrl(assetsUrl, undefined, what), what), what);
}

/**
 * The package's assets/ folder: beside the nearest package.json above this module (the repository
 * from src/platform/, the installed package from dist/lib/platform/ or dist/cli.js).
 */
export function assetsRoot(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'assets');
    if (dirname(dir) === dir) fail(`assets: no package.json above ${here}, so no assets/ folder to read from`);
  }
}
