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

export function requestAdapter(powerPreference?: GPUPowerPreference): Promise<{ adapter: GPUAdapter; source: string }> {
  return platformAdapter(powerPreference);
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
