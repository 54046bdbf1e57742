/**
 * Finding a GPUDevice: the caller's, `navigator.gpu` in a browser, or the npm package `webgpu`
 * (Dawn) in Node. In Node, when no adapter is found and Debian Chromium's SwiftShader ICD exists,
 * Vulkan is pointed at it and the search is retried, so a GPU-less machine still runs.
 */
import { PathlightError } from './errors.js';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** 'browser' | 'node' | 'caller' */
  source: string;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

async function nodeGpu(): Promise<GPU> {
  const name = 'webgpu'; // a variable, so browser bundlers leave this import alone
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ name);
  } catch (e) {
    throw new PathlightError(`WebGPU in Node needs the npm package 'webgpu' (npm i webgpu): ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  const gpu = mod.create([]);
  // Keep every Dawn instance reachable: if the GC collects it, Dawn tears down its threads under
  // live devices (seen as 'futex facility returned an unexpected error code' crashes).
  liveNodeInstances.push(gpu);
  return gpu;
}

const liveNodeInstances: GPU[] = [];

async function fileExists(path: string): Promise<boolean> {
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  return fs.existsSync(path);
}

/** Linux render nodes (/dev/dri/renderD*) or NVIDIA device files. */
async function hasGpuDeviceNode(): Promise<boolean> {
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
  try {
    if (fs.existsSync('/dev/dri') && fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
    return fs.readdirSync('/dev').some((f) => f.startsWith('nvidia'));
  } catch {
    return true; // unknown platform layout: let Vulkan look for itself
  }
}

export async function requestAdapter(powerPreference?: GPUPowerPreference): Promise<{ adapter: GPUAdapter; source: string }> {
  if (!isNode) {
    const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
    if (!gpu) {
      throw new PathlightError(
        'navigator.gpu is missing: this browser has no WebGPU (it needs a secure context, e.g. https or http://127.0.0.1; in Chromium start with --enable-unsafe-webgpu where WebGPU is not enabled by default)',
      );
    }
    const adapter = await gpu.requestAdapter({ powerPreference });
    if (!adapter) throw new PathlightError('navigator.gpu.requestAdapter() returned no adapter');
    return { adapter, source: 'browser' };
  }
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // silences a harmless Dawn warning
  // No GPU device node at all: go straight to SwiftShader (probing Mesa's software/hardware ICDs
  // first only prints Dawn warnings).
  if (!process.env.VK_ICD_FILENAMES && !(await hasGpuDeviceNode()) && (await fileExists(SWIFTSHADER_ICD))) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  let adapter = await (await nodeGpu()).requestAdapter({ powerPreference });
  if (!adapter && !process.env.VK_ICD_FILENAMES && (await fileExists(SWIFTSHADER_ICD))) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    adapter = await (await nodeGpu()).requestAdapter({ powerPreference });
  }
  if (!adapter) {
    throw new PathlightError(
      `no WebGPU adapter found in Node. Without a GPU, install Debian's chromium and libvulkan1 (apt-get install -y chromium libvulkan1) so SwiftShader (${SWIFTSHADER_ICD}) can be used`,
    );
  }
  return { adapter, source: 'node' };
}

export function describeAdapter(info: GPUAdapterInfo | undefined, source: string, isFallback: boolean): AdapterDescription {
  const i = (info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const architecture = i.architecture ?? '';
  return {
    vendor: i.vendor ?? '',
    architecture,
    device: i.device ?? '',
    description: i.description ?? '',
    isFallbackAdapter: !!(i.isFallbackAdapter ?? isFallback) || architecture === 'swiftshader',
    source,
  };
}

/** Ask for the adapter's real maxima (the defaults are far lower) and timestamp queries when offered. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxBufferSize: a.maxBufferSize,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
  };
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}
