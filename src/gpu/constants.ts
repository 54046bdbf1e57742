/**
 * The engine's read-only buffers of host data: uniforms, and (`uniform` false) storage buffers of
 * any length (path weights, per-chunk alphas). Identical contents share one buffer, so an op may
 * hand its parameters as bytes every call and only new values cost an upload.
 */
import { USAGE } from './pool.js';

/** Past this many buffers the cache is cleared, but for those `pinned` says. */
const MAX_BUFFERS = 4096;

export class ConstantCache {
  private readonly buffers = new Map<string, GPUBuffer>();

  /** `pinned`: still bound by captured work; `retire`: destroys dropped buffers once submitted work is done. */
  constructor(
    private readonly device: GPUDevice,
    private readonly pinned: (b: GPUBuffer) => boolean,
    private readonly retire: (dropped: GPUBuffer[]) => void,
  ) {}

  get(data: ArrayBufferView | ArrayBuffer, uniform: boolean): GPUBuffer {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const key = (uniform ? 'u' : 's') + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    let buf = this.buffers.get(key);
    if (!buf) {
      if (this.buffers.size > MAX_BUFFERS) this.clear(this.pinned);
      const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
      buf = this.device.createBuffer({
        size,
        usage: uniform ? USAGE.UNIFORM : USAGE.STORAGE,
        mappedAtCreation: true,
        label: uniform ? 'uniform' : 'constant',
      });
      new Uint8Array(buf.getMappedRange()).set(bytes);
      buf.unmap();
      this.buffers.set(key, buf);
    }
    return buf;
  }

  /** Drop every buffer but those `keep` says, and retire them. */
  clear(keep: (b: GPUBuffer) => boolean = () => false): void {
    const dropped: GPUBuffer[] = [];
    for (const [key, b] of this.buffers) {
      if (keep(b)) continue;
      dropped.push(b);
      this.buffers.delete(key);
    }
    this.retire(dropped);
  }
}
