/**
 * Finding a GPUDevice: the caller's, one shared per process, or one of the engine's own, from an
 * adapter of the platform (`navigator.gpu` in a browser or worker, the npm package `webgpu` (Dawn)
 * in Node: see src/platform/), asked for its real limits; and whether a device was lost.
 */
import { requestAdapter as platformAdapter } from '#platform';

export interface DeviceOptions {
  /** Use this device instead of acquiring one. The engine never destroys a caller's device. */
  device?: GPUDevice;
  /**
   * Acquire a device of its own, destroyed by dispose(). By default engines without `device` share
   * one device per process (and power preference): creating and disposing engines then costs no
   * memory that outlives them (Dawn keeps ~0.1–0.2 MB per destroyed device that ran work).
   */
  ownDevice?: boolean;
  powerPreference?: GPUPowerPreference;
}

export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  /** 'browser' | 'node' | 'caller' */
  source: string;
}

/** A wrapper, not a re-export: the published types must not name the private '#platform' import. */
export function requestAdapter(powerPreference?: GPUPowerPreference): Promise<{ adapter: GPUAdapter; source: string }> {
  return platformAdapter(powerPreference);
}

export function describeAdapter(
  info: GPUAdapterInfo | undefined,
  source: string,
  isFallback: boolean,
): AdapterDescription {
  const i = (info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const [vendor, architecture, device, description] = [i.vendor, i.architecture, i.device, i.description].map(
    (v) => v ?? '',
  ) as [string, string, string, string];
  return {
    vendor,
    architecture,
    device,
    description,
    isFallbackAdapter: !!(i.isFallbackAdapter ?? isFallback) || architecture === 'swiftshader',
    source,
  };
}

const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
] as const;

/**
 * Features asked for when offered: they cost nothing until a kernel uses them, and an engine's
 * options choose whether its kernels do (engine.subgroups, engine.shaderF16).
 */
const OPTIONAL_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[];

/** Ask for the adapter's real maxima (the defaults are far lower) and the optional features offered. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits = Object.fromEntries(REQUESTED_LIMITS.map((k) => [k, adapter.limits[k]]));
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}

interface Acquired {
  device: GPUDevice;
  adapter: AdapterDescription;
}

const sharedDevices = new Map<string, Promise<Acquired>>();

/** The device an engine uses (`owned`: the engine destroys it), its loss watched. */
export async function acquireDevice(options: DeviceOptions): Promise<Acquired & { owned: boolean }> {
  let acquired: Acquired;
  if (options.device) {
    const info = (options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    acquired = { device: options.device, adapter: describeAdapter(info, 'caller', false) };
  } else
    acquired = await (options.ownDevice ? newDevice(options.powerPreference) : sharedDevice(options.powerPreference));
  watchLoss(acquired.device);
  return { ...acquired, owned: !options.device && !!options.ownDevice };
}

function sharedDevice(powerPreference?: GPUPowerPreference): Promise<Acquired> {
  const key = powerPreference ?? '';
  let shared = sharedDevices.get(key);
  if (!shared) {
    sharedDevices.set(key, (shared = newDevice(powerPreference)));
    // Dawn (Node) crashes tearing down a device still alive at exit: destroy it first. A lost one is replaced.
    shared.then(
      ({ device }) => {
        (globalThis as { process?: { once?(e: string, f: () => void): void } }).process?.once?.('exit', () =>
          device.destroy(),
        );
        void device.lost.then(() => sharedDevices.get(key) === shared && sharedDevices.delete(key));
      },
      () => sharedDevices.delete(key),
    );
  }
  return shared;
}

async function newDevice(powerPreference?: GPUPowerPreference): Promise<Acquired> {
  const { adapter, source } = await requestAdapter(powerPreference);
  const device = await requestDevice(adapter);
  const isFallback = !!(adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return { device, adapter: describeAdapter(adapter.info, source, isFallback) };
}

const lostDevices = new WeakMap<GPUDevice, string>();
const watchedDevices = new WeakSet<GPUDevice>();

/** One listener per device: engines may share it. */
function watchLoss(device: GPUDevice): void {
  if (watchedDevices.has(device)) return;
  watchedDevices.add(device);
  void device.lost.then((info) => lostDevices.set(device, `${info.reason}: ${info.message}`));
}

/** Why the device was lost, if it was. */
export function lostReason(device: GPUDevice): string | null {
  return lostDevices.get(device) ?? null;
}
