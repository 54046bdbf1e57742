/**
 * Tuning: a kernel's tile, block and workgroup sizes as a choice among variants, per geometry.
 * An op asks `engine.tuning.choose(tunable, geometry)`. With `tuning: 'default'` (the default,
 * and what tests use) that is the kernel's own choice, always. With `tuning: 'auto'` a geometry
 * seen for the first time is queued, runs the default meanwhile, and `engine.tune()` (which
 * `engine.prepare` calls) times every candidate once — a few reps, the median — and keeps the
 * fastest in memory for this adapter (vendor, architecture, device, description: Dawn's
 * description carries the driver version), and in the caller's JSON file when one is given.
 * A second engine on the same adapter then times nothing and compiles only the chosen variants.
 *
 * Determinism: a tunable whose variants give bitwise-identical results (`exact`: the same
 * reduction order per output) can be tuned freely. Any other tunable's choices enter `digest()`,
 * which results record so that merging results from different choices can be refused.
 */
import { fail } from '../errors.js';
import { readFileBytes, writeFileText } from '#platform';
import type { AdapterDescription } from './acquire.js';
import type { Engine } from './engine.js';

/** Runs a variant on inputs of the geometry's shape, for timing (`run` records one launch). */
export interface Trial {
  run(): void;
  dispose(): void;
}

/** A kernel's tunable choice: what the lead wires a kernel in through (matmul: src/ops/matmul.ts). */
export interface Tunable<G, V> {
  /** names the kernel family in choice keys and cache files */
  readonly name: string;
  /** every variant gives bitwise-identical results (the same reduction order per output) */
  readonly exact: boolean;
  /** what the choice depends on: the geometry's key (omit what the pipeline does not bake) */
  key(g: G): string;
  /** today's choice */
  default(g: G, adapter: AdapterDescription): V;
  /** the candidates timed by autotune (the default is always timed too) */
  variants(g: G, adapter: AdapterDescription): readonly V[];
  /** a variant's stable name (what cache files keep) */
  id(v: V): string;
  /** a runnable instance of variant `v` on synthetic inputs of geometry `g` */
  trial(engine: Engine, g: G, v: V): Trial;
}

export type TuningMode = 'default' | 'auto';

interface Pending {
  tunable: Tunable<unknown, unknown>;
  geometry: unknown;
}

/** Reps timed per variant (median), after one untimed run that compiles and warms it. */
const REPS = 3;
/** Launches per timed rep are raised until one rep takes this long, so small kernels time above the submit latency. */
const MIN_REP_MS = 2;
/** A candidate replaces the default only when its median is this much faster (timing noise). */
const MARGIN = 0.95;
const CACHE_VERSION = 1;

/** choice key (`name|geometry key`) -> variant id, per adapter key; shared by the engines of a process */
const memory = new Map<string, Map<string, string>>();

/** Forget what this process has tuned (tests: a fresh process, so only the cache file remains). */
export function clearTuningMemory(): void {
  memory.clear();
}

export function adapterKey(a: AdapterDescription): string {
  return [a.vendor, a.architecture, a.device, a.description].join(' / ');
}

/** The tuning mode, or a one-line error for a bad option (before any GPU work). */
export function checkTuningOptions(options: { tuning?: TuningMode; tuningCache?: string }): TuningMode {
  const mode = options.tuning ?? 'default';
  if (mode !== 'default' && mode !== 'auto') fail(`engine: tuning must be 'default' or 'auto', got '${String(mode)}'`);
  if (options.tuningCache !== undefined && (mode !== 'auto' || typeof options.tuningCache !== 'string'))
    fail(`engine: tuningCache (a file path) is used only with tuning: 'auto'`);
  return mode;
}

export class Tuner {
  /** timed launches run so far by this engine (0 when every choice came from memory or the file) */
  trials = 0;
  private readonly known: Map<string, string>;
  private readonly pending = new Map<string, Pending>();
  private readonly active = new Map<string, { id: string; exact: boolean; isDefault: boolean }>();

  private constructor(
    readonly mode: TuningMode,
    private readonly adapter: AdapterDescription,
    private readonly cacheFile: string | undefined,
  ) {
    const key = adapterKey(adapter);
    this.known = memory.get(key) ?? new Map();
    memory.set(key, this.known);
  }

  static async create(
    options: { tuning?: TuningMode; tuningCache?: string },
    adapter: AdapterDescription,
  ): Promise<Tuner> {
    const mode = checkTuningOptions(options);
    const tuner = new Tuner(mode, adapter, options.tuningCache);
    if (options.tuningCache !== undefined) {
      const file = await readCacheFile(options.tuningCache);
      for (const [k, id] of Object.entries(file[adapterKey(adapter)] ?? {})) tuner.known.set(k, id);
    }
    return tuner;
  }

  /** The variant to run for this geometry (see the file comment). */
  choose<G, V>(tunable: Tunable<G, V>, g: G): V {
    const key = `${tunable.name}|${tunable.key(g)}`;
    const fallback = tunable.default(g, this.adapter);
    let v = fallback;
    if (this.mode === 'auto') {
      const id = this.known.get(key);
      const found = id === undefined ? undefined : tunable.variants(g, this.adapter).find((c) => tunable.id(c) === id);
      if (found !== undefined) v = found;
      else if (!this.pending.has(key))
        // never tuned, or a choice this version no longer offers
        this.pending.set(key, { tunable: tunable as Tunable<unknown, unknown>, geometry: g });
    }
    const isDefault = tunable.id(v) === tunable.id(fallback);
    this.active.set(key, { id: tunable.id(v), exact: tunable.exact, isDefault });
    return v;
  }

  /** Whether geometries wait to be timed (auto mode). */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Time the candidates of every queued geometry and keep the fastest (memory, then the file). */
  async tunePending(engine: Engine): Promise<number> {
    const queued = [...this.pending];
    this.pending.clear();
    for (const [key, { tunable, geometry }] of queued) this.known.set(key, await this.pick(engine, tunable, geometry));
    if (queued.length && this.cacheFile !== undefined) await this.writeCache(this.cacheFile);
    return queued.length;
  }

  private async pick(engine: Engine, t: Tunable<unknown, unknown>, g: unknown): Promise<string> {
    const fallback = t.default(g, this.adapter);
    const candidates = [fallback, ...t.variants(g, this.adapter)].filter(
      (v, i, all) => all.findIndex((w) => t.id(w) === t.id(v)) === i,
    );
    const ms = new Map<string, number>();
    for (const v of candidates) {
      // a candidate that fails (a limit this device lacks) is passed over; the default must run
      const time = this.time(engine, t.trial(engine, g, v));
      ms.set(t.id(v), t.id(v) === t.id(fallback) ? await time : await time.catch(() => Infinity));
    }
    const [fastest, fastestMs] = [...ms].reduce((a, b) => (b[1] < a[1] ? b : a));
    return fastestMs < ms.get(t.id(fallback))! * MARGIN ? fastest : t.id(fallback);
  }

  /** Median wall time of one launch over REPS reps (each of enough launches to reach MIN_REP_MS). */
  private async time(engine: Engine, trial: Trial): Promise<number> {
    try {
      trial.run();
      await engine.sync(); // compiles, warms, and surfaces a variant's GPU errors
      this.trials++;
      let launches = 1;
      const times: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const t0 = performance.now();
        for (let l = 0; l < launches; l++) trial.run();
        await engine.done();
        const ms = performance.now() - t0;
        this.trials += launches;
        times.push(ms / launches);
        if (rep === 0 && ms < MIN_REP_MS) launches = Math.min(64, Math.ceil(MIN_REP_MS / Math.max(ms, 0.01)));
      }
      return times.sort((a, b) => a - b)[REPS >> 1]!;
    } finally {
      trial.dispose();
    }
  }

  /** The choices in use, by `kernel|geometry` key: what a result may record. */
  choices(): Record<string, string> {
    return Object.fromEntries([...this.active].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, c]) => [k, c.id]));
  }

  /**
   * 'default' while every choice in use is either the kernel's default or of an exact tunable
   * (results then cannot differ from default tuning); else a short hash of those other choices.
   * Results record it; merging results of different digests is refused.
   */
  digest(): string {
    const inexact = [...this.active].filter(([, c]) => !c.exact && !c.isDefault).map(([k, c]) => `${k}=${c.id}`);
    if (!inexact.length) return 'default';
    let h = 0x811c9dc5; // FNV-1a
    for (const ch of inexact.sort().join(';')) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return `tuned-${h.toString(16).padStart(8, '0')}`;
  }

  /** Merge this adapter's choices into the file (other adapters' entries are kept). */
  private async writeCache(path: string): Promise<void> {
    const file = await readCacheFile(path);
    file[adapterKey(this.adapter)] = Object.fromEntries([...this.known].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileText(
      path,
      `${JSON.stringify({ version: CACHE_VERSION, adapters: file }, null, 2)}\n`,
      'tuningCache',
    );
  }
}

type CacheEntries = Record<string, Record<string, string>>;

/** The file's choices per adapter key; a missing file is empty, a malformed one an error naming it. */
async function readCacheFile(path: string): Promise<CacheEntries> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readFileBytes(path, 'tuningCache'));
  } catch (e) {
    if (/ENOENT|no such file|does not exist/i.test((e as Error).message)) return {};
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(`tuningCache: ${path} is not JSON (delete it to tune again)`);
  }
  const p = parsed as { version?: unknown; adapters?: unknown };
  const ok =
    p?.version === CACHE_VERSION &&
    typeof p.adapters === 'object' &&
    p.adapters !== null &&
    Object.values(p.adapters).every(
      (e) => typeof e === 'object' && e !== null && Object.values(e).every((id) => typeof id === 'string'),
    );
  if (!ok) fail(`tuningCache: ${path} is not a version-${CACHE_VERSION} tuning cache (delete it to tune again)`);
  return p.adapters as CacheEntries;
}
