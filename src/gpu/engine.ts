/**
 * The engine: one GPUDevice, its buffer pool, pipeline and bind-group caches, and a single ordered
 * command stream. Ops *record* dispatches; nothing is submitted until someone reads a result
 * (`read`), calls `flush`/`sync`, or the recorded work grows past `maxDispatchesPerSubmit`.
 * So a whole forward+backward is one queue submission and zero readbacks.
 */
import { BufferPool, USAGE, type PoolStats } from './pool.js';
import { acquireDevice, lostReason, type AdapterDescription, type DeviceOptions } from './acquire.js';
import { ConstantCache } from './constants.js';
import { ErrorScopes } from './error-scopes.js';
import { GpuError, PathlightError } from '../errors.js';
import { Profiler, type ProfileReport } from './profiler.js';
import { Pacer } from './pacer.js';
import { gpuWaitsPoll } from '#platform';
import {
  checkBindings,
  compileSource,
  isUniformData,
  programKey,
  WG,
  type BindingSlot,
  type Kernel,
  type Program,
} from './program.js';
import { buffersOf, type CapturedCommand, type Capture } from './capture.js';
import { checkTuningOptions, Tuner, type TuningMode } from './tuning.js';

export type { OpProfile, ProfileReport } from './profiler.js';

export interface EngineOptions extends DeviceOptions {
  /**
   * Pretend the device's maxStorageBufferBindingSize is this small (bytes). Ops split their work
   * to respect it; tests use it to exercise the splitting on small shapes.
   */
  maxBindingBytes?: number;
  /** Submit after this many recorded dispatches even without a readback (default: no limit). */
  maxDispatchesPerSubmit?: number;
  /** Free pooled bytes kept for reuse after a call (engine.trim; default 64 MiB, explain()'s default memory budget). */
  poolCapBytes?: number;
  /** Capture a call's fixed-shape forward + backward once and replay it for every chunk and step (default true; see capture.ts). */
  replay?: boolean;
  /** 'auto': time each tunable kernel's variants once per adapter and geometry, keep the fastest (tuning.ts; default 'default') */
  tuning?: TuningMode;
  /** Node: a JSON file that keeps autotune's choices across processes (read at creation, merged after tuning) */
  tuningCache?: string;
  /** Kernels use subgroup operations where the device offers them; those paths are bitwise identical (default true) */
  subgroups?: boolean;
  /** matmul rounds its operands to f16 and sums in float32 (needs 'shader-f16'; default false: results change, see docs/internals.md) */
  f16?: boolean;
  /** 3×3 stride-1 convs run by Winograd F(2×2, 3×3) (src/ops/conv2d-winograd.ts; default true: results change by rounding) */
  winograd?: boolean;
}

const DEFAULT_POOL_CAP = 64 << 20;
const ENGINE_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

export interface EngineStats {
  submissions: number;
  readbacks: number;
  dispatches: number;
  pipelines: number;
  /** dispatches encoded by replaying a capture (counted in `dispatches` too) */
  replayed: number;
}

export type Binding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

type Workgroups = readonly [number, number?, number?];

interface ProgramEntry {
  readonly op: string;
  readonly code: string;
  readonly slots: readonly BindingSlot[];
  kernel: Kernel | null;
}

export class Engine {
  readonly pool: BufferPool;
  readonly limits: Readonly<Record<(typeof ENGINE_LIMITS)[number], number>>;
  readonly stats: EngineStats = { submissions: 0, readbacks: 0, dispatches: 0, pipelines: 0, replayed: 0 };
  /** true inside `prepare`: programs compile asynchronously and nothing is recorded */
  private dryRun: { pending: Set<ProgramEntry> } | null = null;
  private readonly programs = new Map<string, ProgramEntry>();

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recordedOps = new Set<string>();
  private recordedDispatches = 0;
  private recordedWorkgroups = 0;
  private firstDispatches = false; // recorded work runs a pipeline for the first time
  private readonly dispatched = new Set<number>();
  private readonly pacer = new Pacer(gpuWaitsPoll);
  private readonly afterSubmit: GPUBuffer[] = [];
  private kernelIds = 0;
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly constants: ConstantCache;
  private readonly errors: ErrorScopes;
  /** commands of the capture in progress, and the buffers of every capture not yet disposed */
  private capturing: CapturedCommand[] | null = null;
  private readonly liveCaptures = new Set<ReadonlySet<GPUBuffer>>();
  private disposed = false;
  private profiler: Profiler | null = null;
  private profilingUnsupported: string | null = null;

  private constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterDescription,
    private readonly ownsDevice: boolean,
    private readonly options: EngineOptions,
    /** tile, block and workgroup choices of tunable kernels (tuning.ts) */
    readonly tuning: Tuner,
  ) {
    const l = Object.fromEntries(ENGINE_LIMITS.map((k) => [k, device.limits[k]])) as Engine['limits'];
    this.limits = {
      ...l,
      maxStorageBufferBindingSize: Math.min(l.maxStorageBufferBindingSize, options.maxBindingBytes ?? Infinity),
    };
    this.errors = new ErrorScopes(device);
    this.pool = new BufferPool(device, l.maxBufferSize, () => this.bindGroups.clear());
    // captures bind their constants: a full cache keeps those
    this.constants = new ConstantCache(
      device,
      (b) => [...this.liveCaptures].some((used) => used.has(b)),
      (dropped) => this.destroyAfterSubmit(dropped),
    );
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    checkTuningOptions(options);
    const { device, adapter, owned } = await acquireDevice(options);
    if (options.f16 && !device.features.has('shader-f16')) {
      if (owned) device.destroy();
      const name = [adapter.architecture, adapter.description].filter(Boolean).join(', ') || 'unknown';
      throw new PathlightError(
        `engine: f16 needs the 'shader-f16' feature, which this adapter (${name}) does not offer`,
      );
    }
    return new Engine(device, adapter, owned, options, await Tuner.create(options, adapter));
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Whether matmul takes its f16-operand path (EngineOptions.f16, checked against the device at creation). */
  get shaderF16(): boolean {
    return !!this.options.f16;
  }

  /** Whether conv2d takes its Winograd path where the shape allows (EngineOptions.winograd). */
  get winograd(): boolean {
    return this.options.winograd !== false;
  }

  /** The device's subgroup size where it is fixed (0 without subgroups or where it varies): kernels that rely on it. */
  get fixedSubgroupSize(): number {
    const info = (this.device as GPUDevice & { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } })
      .adapterInfo;
    const [min, max] = [info?.subgroupMinSize, info?.subgroupMaxSize];
    return this.subgroups && min !== undefined && min === max ? min : 0;
  }

  /** Whether kernels take their subgroup paths (EngineOptions.subgroups and the device's 'subgroups'). */
  get subgroups(): boolean {
    return this.options.subgroups !== false && this.device.features.has('subgroups');
  }

  // ---------------------------------------------------------------- pipelines

  /** Launch one program (see program.ts): compile on first use, bind by name, record the dispatch. */
  run(p: Program): void {
    const key = programKey(p);
    let entry = this.programs.get(key);
    if (!entry) {
      this.checkAlive(p.op);
      const { code, slots } = compileSource(p);
      const fresh: ProgramEntry = { op: p.op, code, slots, kernel: null };
      this.programs.set(key, (entry = fresh));
    }
    checkBindings(p, entry.slots);
    if (this.dryRun) return void (entry.kernel || this.dryRun.pending.add(entry));
    // compiled on first use, or now if an async compile (prepare) is still in flight
    entry.kernel ??= this.compile(entry);
    const bindings: Binding[] = [];
    for (const slot of entry.slots) {
      const b = p.bindings[slot.name]!;
      if (isUniformData(b)) bindings[slot.index] = this.constant(b, slot.uniform);
      else if ('getMappedRange' in b) bindings[slot.index] = b;
      else if ('bytes' in b) bindings[slot.index] = { buffer: b.buffer, offset: b.offset, size: b.bytes };
      else bindings[slot.index] = b.buffer;
    }
    this.dispatch(entry.kernel, bindings, 'threads' in p.grid ? this.grid1d(p.grid.threads, WG) : p.grid);
  }

  /**
   * Compile every pipeline `work` would use, asynchronously and all at once, without recording
   * anything: `work` runs as a dry run (dispatches, copies and uploads are skipped; reads return
   * zeros), then this awaits the compiles, reporting `onProgress(done, total)`. The next real run
   * of the same shapes compiles nothing. Errors of the dry run itself are ignored: the real run
   * reports them. With `tuning: 'auto'`, geometries the dry run meets untuned are timed first
   * (engine.tune), and the dry run repeated, so that only the chosen variants compile.
   */
  async prepare(
    work: () => unknown,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ pipelines: number }> {
    if (this.dryRun) return (await work(), { pipelines: 0 }); // nested: the outer prepare compiles
    let pending = await this.dryRunOf(work);
    if (this.tuning.hasPending && (await this.tune())) pending = await this.dryRunOf(work);
    // Start every compile, yielding to the event loop between them: where creation is really
    // asynchronous (browsers) they all run at once; where it blocks (Dawn in Node compiles inside
    // the call) timers, progress and repaints still run between two pipelines.
    let done = 0;
    const total = pending.size;
    onProgress?.(0, total);
    const compiles: Promise<void>[] = [];
    for (const entry of pending) {
      compiles.push(this.compileAsync(entry).then(() => onProgress?.(++done, total)));
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(compiles);
    await this.throwPendingErrors();
    return { pipelines: total };
  }

  /** Run `work` recording nothing; the programs it would use that are not compiled yet. */
  private async dryRunOf(work: () => unknown): Promise<Set<ProgramEntry>> {
    const dry = (this.dryRun = { pending: new Set<ProgramEntry>() });
    try {
      await work();
    } catch {
      /* the real run reports it */
    } finally {
      this.dryRun = null;
    }
    return dry.pending;
  }

  /**
   * Time the variants of every tunable geometry met but not yet tuned (`tuning: 'auto'`; prepare
   * calls it), submitting what is recorded first. Returns how many geometries it tuned.
   */
  async tune(): Promise<number> {
    if (this.dryRun || this.capturing) throw new PathlightError('engine.tune: not inside prepare or capture');
    return this.tuning.tunePending(this);
  }

  /**
   * Whether this is a dry run (`prepare`): the one question for callers. Nothing they record runs
   * (reads return zeros), so work built now must be built again for real.
   */
  get isDryRun(): boolean {
    return this.dryRun !== null;
  }

  /** @deprecated since 0.2: use `isDryRun`. */
  get preparing(): boolean {
    return this.isDryRun;
  }

  /** The shader module and pipeline descriptor of a program, its compile errors watched. */
  private pipelineDescriptor(entry: ProgramEntry): GPUComputePipelineDescriptor {
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: entry.code, label: entry.op });
    this.errors.watchShader(entry.op, 'shader/pipeline', module);
    return { layout: 'auto', compute: { module, entryPoint: 'main' }, label: entry.op };
  }

  private kernelOf(entry: ProgramEntry, pipeline: GPUComputePipeline): Kernel {
    this.stats.pipelines++;
    return { op: entry.op, pipeline, id: ++this.kernelIds };
  }

  /** Compile a program's pipeline now (first use). */
  private compile(entry: ProgramEntry): Kernel {
    return this.kernelOf(entry, this.device.createComputePipeline(this.pipelineDescriptor(entry)));
  }

  /** Compile on the driver's threads where it has them (prepare); a real run may compile it first. */
  private compileAsync(entry: ProgramEntry): Promise<void> {
    return this.device.createComputePipelineAsync(this.pipelineDescriptor(entry)).then(
      (pipeline) => void (entry.kernel || this.disposed || (entry.kernel = this.kernelOf(entry, pipeline))),
      (e) => this.errors.add(new GpuError(entry.op, 'pipeline', e instanceof Error ? e.message : String(e))),
    );
  }

  // ---------------------------------------------------------------- recording

  /** Record one compute dispatch (run() is the public way in). Bindings are indexed by @binding. */
  private dispatch(kernel: Kernel, bindings: readonly Binding[], workgroups: Workgroups): void {
    this.checkAlive(kernel.op);
    const [x, y = 1, z = 1] = workgroups;
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim)
      throw new PathlightError(
        `${kernel.op}: dispatch of [${x}, ${y}, ${z}] workgroups exceeds the device limit ${maxDim} per dimension`,
      );
    if (x === 0 || y === 0 || z === 0) return;
    const group = this.bindGroup(kernel, bindings);
    this.capturing?.push({
      kernel,
      group,
      workgroups: [x, y, z],
      buffers: bindings.map((b) => ('getMappedRange' in b ? b : b.buffer)),
    });
    this.encodeDispatch(kernel, group, x, y, z);
  }

  private encodeDispatch(kernel: Kernel, group: GPUBindGroup, x: number, y: number, z: number): void {
    if (this.profiler?.full) this.flush();
    const pass = this.profiler ? this.profiledPass(kernel.op) : this.computePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, z);
    if (this.profiler) this.endPass(); // one pass per profiled dispatch
    this.recordedOps.add(kernel.op);
    this.stats.dispatches++;
    this.recordedDispatches++;
    this.recordedWorkgroups += x * y * z;
    if (!this.dispatched.has(kernel.id)) this.firstDispatches = !!this.dispatched.add(kernel.id);
    if (this.recordedDispatches >= (this.options.maxDispatchesPerSubmit ?? Infinity)) this.flush();
  }

  /**
   * Workgroups for `threads` invocations of a 1-D kernel with `workgroupSize` lanes, folded into
   * 2-D when it exceeds the per-dimension limit. Shaders linearise with the `${MAIN}` prologue (program.ts).
   */
  grid1d(threads: number, workgroupSize: number): [number, number] {
    const groups = Math.max(1, Math.ceil(threads / workgroupSize));
    const maxDim = this.limits.maxComputeWorkgroupsPerDimension;
    if (groups <= maxDim) return [groups, 1];
    const y = Math.ceil(groups / maxDim);
    return [Math.ceil(groups / y), y];
  }

  /**
   * A read-only buffer with these bytes, as a uniform or (`uniform` false) a storage buffer for
   * host data of any length (path weights, per-chunk alphas); identical contents share one buffer.
   */
  constant(data: ArrayBufferView | ArrayBuffer, uniform: boolean): GPUBuffer {
    return this.constants.get(data, uniform);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.checkAlive('copy');
    if (size === 0 || this.dryRun) return;
    this.capturing?.push({ copy: [src, srcOffset, dst, dstOffset, size] });
    this.commandEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, size);
    this.recordedOps.add('copy');
  }

  clear(buffer: GPUBuffer, offset = 0, size?: number): void {
    this.checkAlive('clear');
    if (this.dryRun) return;
    this.capturing?.push({ clear: [buffer, offset, size ?? buffer.size - offset] });
    this.commandEncoder().clearBuffer(buffer, offset, size ?? buffer.size - offset);
    this.recordedOps.add('clear');
  }

  /** Write data into a buffer in stream order (a staging copy, so it can't race recorded work). */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.checkAlive('upload');
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    if (bytes === 0 || this.dryRun) return;
    this.capturing?.push({
      upload: [buffer, new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(), offset],
    });
    const staging = this.device.createBuffer({
      size: bytes,
      usage: USAGE.COPY_SRC,
      mappedAtCreation: true,
      label: 'upload',
    });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    staging.unmap();
    this.commandEncoder().copyBufferToBuffer(staging, 0, buffer, offset, bytes);
    this.afterSubmit.push(staging);
    this.recordedOps.add('upload');
  }

  /** Whether fixed-shape work is captured and replayed now (EngineOptions.replay; never in a dry run, which captures nothing). */
  get replays(): boolean {
    return this.options.replay !== false && !this.dryRun;
  }

  /**
   * Run `work` (synchronous: nothing else may encode meanwhile) and keep what it encodes, to be
   * encoded again by `replay`. The pooled buffers it used that are free at the end (its
   * intermediates) are held by the capture, out of the pool, until `capture.dispose()`.
   */
  capture<T>(work: () => T): { result: T; capture: Capture } {
    if (this.capturing) throw new Error('engine.capture: captures do not nest');
    const commands: CapturedCommand[] = (this.capturing = []);
    let result: T;
    try {
      result = work();
    } finally {
      this.capturing = null;
    }
    const used = new Set(commands.flatMap(buffersOf));
    const held = [...used].filter((b) => this.pool.hold(b));
    this.liveCaptures.add(used);
    const dispose = () => {
      this.liveCaptures.delete(used);
      for (const b of held.splice(0)) this.pool.release(b);
    };
    return { result, capture: { commands, dispose } };
  }

  /** @deprecated since 0.2: use `capture` ("record" now means encoding only). */
  record<T>(work: () => T): { result: T; recording: Capture } {
    const { result, capture } = this.capture(work);
    return { result, recording: capture };
  }

  /** Encode a capture's commands again, in order, into the stream. */
  replay(capture: Capture): void {
    if (this.capturing) throw new Error('engine.replay: not inside engine.capture');
    for (const c of capture.commands) {
      if ('kernel' in c) {
        this.encodeDispatch(c.kernel, c.group, ...c.workgroups);
        this.stats.replayed++;
      } else if ('copy' in c) this.copy(...c.copy);
      else if ('clear' in c) this.clear(...c.clear);
      else this.write(c.upload[0], c.upload[1], c.upload[2]);
    }
  }

  /** Submit everything recorded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const ops = [...this.recordedOps].join(', ');
    this.profiler?.resolve(this.encoder);
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    this.device.queue.submit([this.encoder.finish()]);
    this.pacer.submitted(`${ops}|${this.recordedDispatches}|${this.recordedWorkgroups}`, !this.firstDispatches);
    this.profiler?.submitted();
    this.errors.watch(`submission of [${ops}]`, 'out-of-memory');
    this.errors.watch(`submission of [${ops}]`, 'validation');
    this.encoder = null;
    this.recordedOps.clear();
    this.recordedDispatches = this.recordedWorkgroups = 0;
    this.firstDispatches = false;
    this.stats.submissions++;
    for (const b of this.afterSubmit.splice(0)) b.destroy(); // legal: freed once the queue is done with it
  }

  /** Copy `byteLength` bytes of `buffer` to the CPU. Submits pending work; one readback. */
  async read(buffer: GPUBuffer, byteLength: number, offset = 0, op = 'read'): Promise<ArrayBuffer> {
    this.checkAlive(op);
    if (this.dryRun) return new ArrayBuffer(byteLength);
    const size = Math.ceil(byteLength / 4) * 4;
    const staging = this.device.createBuffer({
      size: Math.max(4, size),
      usage: USAGE.MAP_READ | USAGE.COPY_DST,
      label: 'readback',
    });
    if (size > 0) this.commandEncoder().copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.recordedOps.add(op);
    this.flush();
    this.stats.readbacks++;
    try {
      await this.pacer.wait(() => staging.mapAsync(USAGE.MAP_READ));
      await this.throwPendingErrors();
      return staging.getMappedRange(0, size).slice(0, byteLength);
    } catch (e) {
      await this.throwPendingErrors();
      throw e;
    } finally {
      staging.destroy();
    }
  }

  /** Submit pending work, wait for the GPU, and throw any GPU error seen so far. */
  async sync(): Promise<void> {
    await this.done();
    await this.throwPendingErrors();
  }

  /** Submit pending work and resolve once the GPU has finished it (errors are left to the next read or sync). */
  done(): Promise<void> {
    this.flush();
    return this.pacer.wait(() => this.device.queue.onSubmittedWorkDone());
  }

  /** Throw the first GPU error collected from error scopes (named by op), if any. */
  async throwPendingErrors(): Promise<void> {
    const e = await this.errors.first();
    if (e) throw e;
    if (this.lostReason) throw new PathlightError(`GPU device lost (${this.lostReason})`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.flush();
    this.disposed = true;
    this.pool.destroy();
    this.constants.clear();
    this.bindGroups.clear();
    this.programs.clear();
    if (this.ownsDevice) this.device.destroy();
  }

  /**
   * Give free pooled memory back to the device down to a cap: the engine's `poolCapBytes` if set,
   * else `maxFreeBytes`, else 64 MiB. Submits pending work first (a destroyed buffer stays valid
   * for work already submitted). explain() calls it after every call with its memory budget.
   */
  trim(maxFreeBytes?: number): void {
    if (this.disposed || this.dryRun) return;
    this.flush();
    this.pool.trim(this.options.poolCapBytes ?? maxFreeBytes ?? DEFAULT_POOL_CAP);
  }

  poolStats(): PoolStats {
    return this.pool.stats();
  }

  // ---------------------------------------------------------------- profiling

  /**
   * Start timing every dispatch on the GPU (timestamp queries, one compute pass per dispatch).
   * Returns false, and stopProfiling() reports `{ supported: false, reason }`, when the device
   * has no 'timestamp-query' feature. Work recorded before this call is submitted untimed.
   */
  startProfiling(): boolean {
    this.checkAlive('startProfiling');
    this.flush();
    if (!this.hasTimestamps) {
      this.profilingUnsupported = `the device has no 'timestamp-query' feature (adapter: ${[this.adapter.vendor, this.adapter.architecture, this.adapter.description].filter(Boolean).join(' / ') || 'unknown'}, source ${this.adapter.source})`;
      return false;
    }
    this.profiler = new Profiler(this.device);
    return true;
  }

  /** Submit what is pending, stop profiling, and return the GPU time per op (one readback per profiled submission, all at the end). */
  async stopProfiling(): Promise<ProfileReport> {
    this.flush();
    const profiler = this.profiler;
    const unsupported = this.profilingUnsupported;
    this.profiler = null;
    this.profilingUnsupported = null;
    if (!profiler) return { supported: false, reason: unsupported ?? 'startProfiling() was not called' };
    const report = await profiler.finish();
    await this.throwPendingErrors();
    return report;
  }

  // ---------------------------------------------------------------- internals

  private bindGroup(kernel: Kernel, bindings: readonly Binding[]): GPUBindGroup {
    let key = String(kernel.id);
    for (const b of bindings) {
      if ('getMappedRange' in b) key += `,${this.pool.id(b)}`;
      else key += `,${this.pool.id(b.buffer)}@${b.offset ?? 0}+${b.size ?? ''}`;
    }
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size > 8192) this.bindGroups.clear();
      const maxBinding = this.limits.maxStorageBufferBindingSize;
      const entries: GPUBindGroupEntry[] = bindings.map((b, binding) => {
        const r = 'getMappedRange' in b ? { buffer: b } : b;
        const size = r.size ?? r.buffer.size - (r.offset ?? 0);
        if (size > maxBinding && !(r.buffer.usage & USAGE.UNIFORM))
          throw new PathlightError(
            `${kernel.op}: binding ${binding} is ${size} bytes, over the device's maxStorageBufferBindingSize (${maxBinding})`,
          );
        // Dawn's Node binding rejects an explicit `size: undefined`, so leave the key out.
        const resource: GPUBufferBinding =
          r.size === undefined
            ? { buffer: r.buffer, offset: r.offset ?? 0 }
            : { buffer: r.buffer, offset: r.offset ?? 0, size: r.size };
        return { binding, resource };
      });
      this.device.pushErrorScope('validation');
      group = this.device.createBindGroup({ layout: kernel.pipeline.getBindGroupLayout(0), entries, label: kernel.op });
      this.errors.watch(kernel.op, 'validation');
      this.bindGroups.set(key, group);
    }
    return group;
  }

  private commandEncoder(): GPUCommandEncoder {
    this.endPass();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      if (!this.encoder) this.encoder = this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    return this.pass;
  }

  private profiledPass(op: string): GPUComputePassEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    this.pass = this.encoder.beginComputePass({ timestampWrites: this.profiler!.next(op), label: op });
    return this.pass;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Destroy these buffers once submitted work no longer needs them (now, if nothing is being encoded). */
  private destroyAfterSubmit(buffers: readonly GPUBuffer[]): void {
    this.afterSubmit.push(...buffers);
    if (!this.encoder) for (const b of this.afterSubmit.splice(0)) b.destroy();
  }

  /** Why the device was lost, if it was. */
  private get lostReason(): string | null {
    return lostReason(this.device);
  }

  private checkAlive(op: string): void {
    if (this.disposed) throw new PathlightError(`${op}: the engine has been disposed`);
    if (this.lostReason) throw new PathlightError(`${op}: GPU device lost (${this.lostReason})`);
  }
}

export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.create(options);
}
