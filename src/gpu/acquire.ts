/**
 * Finding a GPUDevice: the caller's, or an adapter from the platform (`navigator.gpu` in a browser
 * or worker, the npm package `webgpu` (Dawn) in Node: see src/platform/), asked for its real limits.
 */
import { requestAdapter as platformAdapter } from '#platform';

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

export function describeAdapter(info: GPUAdapterInfo | undefined, source: string, isFallback: boolean): AdapterDescription {
  const i = (info ?? {}) as Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean };
  const [vendor, architecture, device, description] = [i.vendor, i.architecture, i.device, i.description].map((v) => v ?? '') as [string, string, string, string];
  return { vendor, architecture, device, description, isFallbackAdapter: !!(i.isFallbackAdapter ?? isFallback) || architecture === 'swiftshader', source };
}

const REQUESTED_LIMITS = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY'] as const;

/** Ask for the adapter's real maxima (the defaults are far lower) and timestamp queries when offered. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits = Object.fromEntries(REQUESTED_LIMITS.map((k) => [k, adapter.limits[k]]));
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}
