/**
 * Tensor: a shape and float32 storage in a GPUBuffer (pooled, or a caller's: `Tensor.wrap`).
 * Public layout is NCHW, C order. Views (reshape) share storage through a reference count; the
 * storage is released when the last view is disposed. Using a disposed tensor throws.
 *
 * Sharing buffers with other libraries on the same GPUDevice (zero-copy; see the README):
 * - `Tensor.wrap(engine, buffer, shape, { release })` borrows a caller's buffer (usage STORAGE |
 *   COPY_SRC | COPY_DST, offset 0, at least 4·size bytes). The caller keeps it alive and unchanged
 *   until the tensor is disposed. Disposing the last view submits the work recorded so far (so
 *   every use of the buffer is in the device queue, ahead of anything the caller submits later)
 *   and then calls `release`.
 * - `tensor.share()` lends a tensor's buffer out: it submits pending work (so the contents are
 *   final in queue order) and returns the buffer with a `release()` that ends the loan; the
 *   storage is not reused until both the tensor is disposed and the loan released.
 */
import type { Engine } from '../gpu/engine.js';
import { STORAGE_USAGE } from '../gpu/pool.js';
import { fail, PathlightError, shapeStr } from '../errors.js';

class Storage {
  refs = 1;
  /** tensors computed from these contents (see Tensor.derived); `filled` false: built in a dry run */
  readonly derived = new Map<string, { tensor: Tensor; filled: boolean }>();
  constructor(
    readonly engine: Engine,
    readonly buffer: GPUBuffer,
    /** a borrowed buffer's hand-back; pooled buffers return to the pool */
    private readonly giveBack?: () => void,
  ) {}
  release(): void {
    if (--this.refs > 0) return;
    this.dropDerived();
    if (!this.giveBack) return this.engine.pool.release(this.buffer);
    this.engine.flush();
    this.giveBack();
  }
  dropDerived(): void {
    for (const d of this.derived.values()) d.tensor.dispose();
    this.derived.clear();
  }
}

/** A tensor's buffer lent to another library (see `Tensor.share`). */
export interface SharedBuffer {
  buffer: GPUBuffer;
  /** bytes of tensor data at offset 0 (the buffer may be larger) */
  byteLength: number;
  release(): void;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function validateShape(shape: readonly number[], what = 'tensor'): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    fail(`${what}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
}

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  private storage: Storage | null;

  private constructor(
    storage: Storage,
    shape: readonly number[],
    readonly label: string,
  ) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  /** An uninitialised tensor (contents are whatever the pooled buffer held). */
  static empty(engine: Engine, shape: readonly number[], label = 'tensor'): Tensor {
    validateShape(shape, label);
    const bytes = Math.max(4, sizeOf(shape) * 4);
    return new Tensor(new Storage(engine, engine.pool.acquire(bytes, label)), shape, label);
  }

  static zeros(engine: Engine, shape: readonly number[], label = 'zeros'): Tensor {
    const t = Tensor.empty(engine, shape, label);
    engine.clear(t.buffer, 0, t.byteLength);
    return t;
  }

  /**
   * Upload data. With `validate`, non-finite values are rejected with their index.
   */
  static from(
    engine: Engine,
    data: ArrayLike<number>,
    shape: readonly number[],
    options: { label?: string; validate?: boolean } = {},
  ): Tensor {
    const label = options.label ?? 'tensor';
    validateShape(shape, label);
    if (data.length !== sizeOf(shape))
      fail(`${label}: ${data.length} values do not fit shape ${shapeStr(shape)} (${sizeOf(shape)} values)`);
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    if (options.validate) assertFinite(f32, label);
    const t = Tensor.empty(engine, shape, label);
    engine.write(t.buffer, f32);
    return t;
  }

  /** Borrow a caller's GPUBuffer as a tensor without copying (rules in the module comment). */
  static wrap(
    engine: Engine,
    buffer: GPUBuffer,
    shape: readonly number[],
    options: { label?: string; release?: () => void } = {},
  ): Tensor {
    const label = options.label ?? 'wrapped buffer';
    validateShape(shape, label);
    if (typeof buffer !== 'object' || buffer === null || typeof buffer.size !== 'number')
      fail(`${label}: Tensor.wrap needs a GPUBuffer`);
    if (buffer.size < sizeOf(shape) * 4)
      fail(
        `${label}: buffer of ${buffer.size} bytes is smaller than shape ${shapeStr(shape)} (${sizeOf(shape) * 4} bytes)`,
      );
    if ((buffer.usage & STORAGE_USAGE) !== STORAGE_USAGE)
      fail(
        `${label}: buffer usage ${buffer.usage} lacks STORAGE | COPY_SRC | COPY_DST, which pathlight's kernels and copies need`,
      );
    return new Tensor(new Storage(engine, buffer, options.release ?? (() => {})), shape, label);
  }

  /** Lend this tensor's buffer to another library on the same device (rules in the module comment). */
  share(): SharedBuffer {
    const s = this.live();
    s.engine.flush();
    s.refs++;
    let released = false;
    return {
      buffer: s.buffer,
      byteLength: this.byteLength,
      release: () => {
        if (!released) s.release();
        released = true;
      },
    };
  }

  get engine(): Engine {
    return this.live().engine;
  }

  get buffer(): GPUBuffer {
    return this.live().buffer;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get disposed(): boolean {
    return this.storage === null;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A view with another shape of the same size, sharing storage. */
  reshape(shape: readonly number[]): Tensor {
    const s = this.live();
    validateShape(shape, 'reshape');
    if (sizeOf(shape) !== this.size)
      fail(`reshape: cannot view shape ${shapeStr(this.shape)} (${this.size} values) as ${shapeStr(shape)}`);
    s.refs++;
    return new Tensor(s, shape, this.label);
  }

  /**
   * A tensor computed from this one's contents (e.g. packed conv weights), built by `build` once
   * and shared by every view until the contents change (`markWritten`) or the storage is
   * released; don't dispose it. A dry run's build (engine.isDryRun) ran nothing: rebuilt.
   */
  derived(key: string, build: () => Tensor): Tensor {
    const s = this.live();
    const hit = s.derived.get(key);
    if (hit?.filled) return hit.tensor;
    hit?.tensor.dispose();
    const tensor = build();
    s.derived.set(key, { tensor, filled: !s.engine.isDryRun });
    return tensor;
  }

  /** In-place writers (optimizer steps, setParameters) call this: drops what `derived` built. */
  markWritten(): void {
    this.live().dropDerived();
  }

  /** Copy to the CPU (submits pending GPU work; one readback). */
  async download(): Promise<Float32Array> {
    const s = this.live();
    return new Float32Array(await s.engine.read(s.buffer, this.byteLength, 0, `download ${this.label}`));
  }

  dispose(): void {
    this.storage?.release();
    this.storage = null;
  }

  toString(): string {
    return `Tensor(${this.label} ${shapeStr(this.shape)}${this.disposed ? ', disposed' : ''})`;
  }

  private live(): Storage {
    if (!this.storage) throw new PathlightError(`${this.label} ${shapeStr(this.shape)} used after dispose()`);
    return this.storage;
  }
}

/** A view with another shape that takes over `t`'s reference (t is disposed). */
export function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const view = t.reshape(shape);
  t.dispose();
  return view;
}

export function assertFinite(data: ArrayLike<number>, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) fail(`${what}: non-finite value ${data[i]} at index ${i}`);
  }
}
