/**
 * Size-bucketed reuse of storage buffers. Buckets are m·2^k bytes with m ∈ {4,5,6,7}, so a buffer
 * wastes at most 25 % of its size. A buffer released here may be reused immediately by the next op
 * recorded: every write to a pooled buffer goes through the engine's single ordered command stream
 * (dispatches, copies, clears; never `queue.writeBuffer`), so reuse can't race pending reads.
 */
/** Spec values of GPUBufferUsage (the global may not be installed yet when Node loads this). */
export const USAGE = {
  MAP_READ: 0x01,
  MAP_WRITE: 0x02,
  COPY_SRC: 0x04,
  COPY_DST: 0x08,
  UNIFORM: 0x40,
  STORAGE: 0x80,
  QUERY_RESOLVE: 0x200,
} as const;
export const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;

export function bucketSize(bytes: number): number {
  const n = Math.max(256, Math.ceil(bytes));
  const k = Math.max(0, Math.floor(Math.log2(n)) - 2);
  const step = 2 ** k;
  return Math.ceil(n / step) * step;
}

export interface PoolStats {
  /** buffers handed out and not yet released */
  liveBuffers: number;
  liveBytes: number;
  /** highest liveBytes seen since creation or the last resetPeak() */
  peakLiveBytes: number;
  /** released buffers kept for reuse */
  freeBuffers: number;
  freeBytes: number;
  /** GPU buffers created so far */
  created: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly live = new Set<GPUBuffer>();
  private liveBytes = 0;
  private peak = 0;
  private freeBytes = 0;
  private created = 0;
  private nextId = 1;
  private readonly ids = new WeakMap<GPUBuffer, number>();

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    private readonly onDestroy: (buffer: GPUBuffer) => void = () => {},
  ) {}

  acquire(bytes: number, label = 'tensor'): GPUBuffer {
    const size = bucketSize(bytes);
    if (size > this.maxBufferSize)
      throw new RangeError(
        `${label}: buffer of ${bytes} bytes exceeds the device's maxBufferSize (${this.maxBufferSize})`,
      );
    let buffer = this.free.get(size)?.pop();
    if (buffer) {
      this.freeBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
      this.ids.set(buffer, this.nextId++);
      this.created++;
    }
    this.live.add(buffer);
    this.liveBytes += size;
    if (this.liveBytes > this.peak) this.peak = this.liveBytes;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) throw new Error('BufferPool.release: buffer is not live (double release?)');

    this.liveBytes -= buffer.size;
    let list = this.free.get(buffer.size);
    if (!list) this.free.set(buffer.size, (list = []));
    list.push(buffer);
    this.freeBytes += buffer.size;
  }

  /** Take a free buffer out of reuse, as if acquired (a recording holds it); false if it is not free. */
  hold(buffer: GPUBuffer): boolean {
    const list = this.free.get(buffer.size);
    const k = list ? list.indexOf(buffer) : -1;
    if (k < 0) return false;
    list!.splice(k, 1);
    this.freeBytes -= buffer.size;
    this.live.add(buffer);
    this.liveBytes += buffer.size;
    if (this.liveBytes > this.peak) this.peak = this.liveBytes;
    return true;
  }

  /** Stable small integer per buffer, for bind-group cache keys. */
  id(buffer: GPUBuffer): number {
    let id = this.ids.get(buffer);
    if (id === undefined) this.ids.set(buffer, (id = this.nextId++));
    return id;
  }

  /** Destroy free buffers, largest first, until at most `maxFreeBytes` stay free (live ones are untouched). */
  trim(maxFreeBytes = 0): void {
    for (const size of [...this.free.keys()].sort((a, b) => b - a)) {
      const list = this.free.get(size)!;
      while (list.length && this.freeBytes > maxFreeBytes) {
        this.destroyBuffer(list.pop()!);
        this.freeBytes -= size;
      }
      if (!list.length) this.free.delete(size);
    }
  }

  resetPeak(): void {
    this.peak = this.liveBytes;
  }

  stats(): PoolStats {
    const freeBuffers = [...this.free.values()].reduce((n, list) => n + list.length, 0);
    return {
      liveBuffers: this.live.size,
      liveBytes: this.liveBytes,
      peakLiveBytes: this.peak,
      freeBuffers,
      freeBytes: this.freeBytes,
      created: this.created,
    };
  }

  destroy(): void {
    this.trim();
    for (const b of this.live) this.destroyBuffer(b);
    this.live.clear();
    this.liveBytes = 0;
  }

  private destroyBuffer(b: GPUBuffer): void {
    this.onDestroy(b);
    b.destroy();
  }
}
