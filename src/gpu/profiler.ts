/**
 * Per-dispatch GPU timing from timestamp queries (the engine's optional profiling mode). While
 * profiling, the engine records every dispatch in its own compute pass with `timestampWrites`
 * (begin and end of the pass); each submission resolves its queries into a buffer and copies them
 * to a readback buffer, and `finish()` maps them all once, at the end, and sums the GPU time per
 * op name. One pass per dispatch serialises work a GPU could overlap, so a profiled run is a
 * breakdown of where the time goes, not a faster or fairer wall-clock figure.
 */
import { USAGE } from './pool.js';

export interface OpProfile {
  /** the kernel's op name (engine.kernel's first argument) */
  op: string;
  dispatches: number;
  /** Σ (end − begin) of this op's passes, ms */
  gpuMs: number;
}

export type ProfileReport =
  | { supported: false; reason: string }
  | {
      supported: true;
      /** by gpuMs, largest first */
      ops: OpProfile[];
      dispatches: number;
      /** Σ of all ops' gpuMs */
      gpuMs: number;
      /** smallest non-zero begin→end difference seen (ns): shows the timestamp quantisation, if any */
      minNonzeroNs: number | null;
      /** dispatches whose end timestamp was before their begin (reported, counted as 0 ms) */
      nonMonotonic: number;
    };

/** Pairs of timestamps per query set; a full set forces a submission (WebGPU allows 4096 queries per set). */
const PAIRS_PER_SET = 1024;

interface Pending {
  ops: string[];
  readback: GPUBuffer;
  mapped: Promise<void>;
}

export class Profiler {
  private querySet: GPUQuerySet | null = null;
  private resolveBuffer: GPUBuffer | null = null;
  private ops: string[] = [];
  private readonly pending: Pending[] = [];
  private readonly resolvedThisSubmit: { ops: string[]; readback: GPUBuffer }[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** No room for another dispatch in this submission's query set: the engine must flush first. */
  get full(): boolean {
    return this.ops.length >= PAIRS_PER_SET;
  }

  /** The timestampWrites of the next dispatch's pass (caller ensures !full). */
  next(op: string): GPUComputePassTimestampWrites {
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: 2 * PAIRS_PER_SET, label: 'profiler' });
    const i = this.ops.length;
    this.ops.push(op);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Before a submission: resolve this submission's queries and copy them to a readback buffer. */
  resolve(encoder: GPUCommandEncoder): void {
    if (this.ops.length === 0 || !this.querySet) return;
    const bytes = 16 * this.ops.length;
    this.resolveBuffer ??= this.device.createBuffer({
      size: 16 * PAIRS_PER_SET,
      usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC,
      label: 'profiler resolve',
    });
    const readback = this.device.createBuffer({
      size: bytes,
      usage: USAGE.MAP_READ | USAGE.COPY_DST,
      label: 'profiler readback',
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.ops.length, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, readback, 0, bytes);
    this.resolvedThisSubmit.push({ ops: this.ops, readback });
    this.ops = [];
  }

  /** After the submission: start mapping its readback (awaited only in finish()). */
  submitted(): void {
    for (const r of this.resolvedThisSubmit.splice(0))
      this.pending.push({ ...r, mapped: r.readback.mapAsync(USAGE.MAP_READ) });
  }

  /** Wait for every resolved submission, sum per op, free the GPU objects. */
  async finish(): Promise<ProfileReport> {
    const byOp = new Map<string, OpProfile>();
    let dispatches = 0;
    let minNonzero = Infinity;
    let nonMonotonic = 0;
    try {
      for (const p of this.pending) {
        await p.mapped;
        const t = new BigInt64Array(p.readback.getMappedRange());
        p.ops.forEach((op, i) => {
          const ns = Number(t[2 * i + 1]! - t[2 * i]!);
          if (ns < 0) nonMonotonic++;
          else if (ns > 0) minNonzero = Math.min(minNonzero, ns);
          let e = byOp.get(op);
          if (!e) byOp.set(op, (e = { op, dispatches: 0, gpuMs: 0 }));
          e.dispatches++;
          e.gpuMs += Math.max(0, ns) / 1e6;
          dispatches++;
        });
        p.readback.unmap();
      }
    } finally {
      for (const p of this.pending) p.readback.destroy();
      this.pending.length = 0;
      this.querySet?.destroy();
      this.resolveBuffer?.destroy();
      this.querySet = this.resolveBuffer = null;
    }
    const ops = [...byOp.values()].sort((a, b) => b.gpuMs - a.gpuMs);
    const gpuMs = ops.reduce((s, o) => s + o.gpuMs, 0);
    return {
      supported: true,
      ops,
      dispatches,
      gpuMs,
      minNonzeroNs: Number.isFinite(minNonzero) ? minNonzero : null,
      nonMonotonic,
    };
  }
}
