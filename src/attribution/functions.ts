/**
 * Functions as subjects of any path method, beside pathlight Models:
 * - `gpuFunction(fn, { inputShape })`: fn gets a batch of path points as a Tensor on the engine's
 *   device and returns f per row and ∇f per row as Tensors on that device (e.g. another library's
 *   model on a shared GPUDevice, its buffers wrapped with `Tensor.wrap`). Nothing is read back.
 * - `cpuFunction(fn, { inputShape, batchSize })`: PAIR saliency's call_model_function / Captum's
 *   forward_func style. fn gets the points as a Float32Array (C order) and their shape and returns
 *   f and ∇f as arrays, or a promise of them. Path bookkeeping stays on the GPU: each evaluation
 *   costs one readback (the points), and fn is called ⌈rows / batchSize⌉ times per evaluation.
 *   It is built on gpuFunction: one implementation of batching, checks and IG2.
 * Both explain the value fn returns: `target` is handed to fn per row (`info.targets`, null when
 * the caller gave none) and `output: 'prob'` does not apply. IG2 needs `ig2`, a second callback:
 * for points and the reference of each row, the distance IG2 descends and its gradient.
 * A call still pending when explain()'s signal aborts, or after `timeoutMs`, rejects explain at
 * once; fn's inputs stay alive until it settles, and what it returns late is disposed.
 */
import { fail, PathlightError, shapeStr } from '../errors.js';
import { Tensor, assertFinite, reshapeOwned, sizeOf, validateShape } from '../tensor/tensor.js';
import { sliceBatch } from '../tensor/batch.js';
import { accumulateGradients } from './kernels/accumulate-gradients.js';
import {
  answered,
  wants,
  withLegacyMethods,
  type EvaluationKey,
  type EvaluationRequest,
  type Explainable,
  type KeyedRequest,
  type PointEvaluation,
} from './subject.js';
import type { Ig2Pairs } from './methods/ig2/seam.js';
import { abortError } from './context.js';

export interface FunctionCallInfo {
  /** class index per row when explain() was given targets, else null (fn explains its own f) */
  targets: Int32Array | null;
  /** rows per input in this batch: row b belongs to input ⌊b / pointsPerInput⌋ */
  pointsPerInput: number;
  /** explain()'s signal: fn may stop its own work when it aborts (explain rejects at once anyway) */
  signal?: AbortSignal;
}

/** Options of both kinds of function. */
interface FunctionOptions {
  inputShape: readonly number[];
  name?: string;
  /** bound on each call of fn (and of the ig2 callback), in ms (default: none) */
  timeoutMs?: number;
}

/** f per row [rows] and ∇f per row, shaped like the points (pathlight disposes both) */
export type GpuFunctionResult = { f: Tensor; grad: Tensor };

export interface GpuFunctionOptions extends FunctionOptions {
  /** IG2: distance to each row's reference [rows] and its gradient w.r.t. the points */
  ig2?: (
    points: Tensor,
    references: Tensor,
    info: { signal?: AbortSignal },
  ) => GpuFunctionDistance | Promise<GpuFunctionDistance>;
}

export type GpuFunctionDistance = { distance: Tensor; grad: Tensor };

export type CpuFunctionResult = { f: ArrayLike<number>; grad: ArrayLike<number> };

export type CpuFunctionDistance = { distance: ArrayLike<number>; grad: ArrayLike<number> };

export interface CpuFunctionOptions extends FunctionOptions {
  /** rows per call at most */
  batchSize: number;
  /** IG2: for points [rows, ...] and each row's reference (same shape), the distance and its gradient */
  ig2?: (
    points: Float32Array,
    references: Float32Array,
    shape: number[],
  ) => CpuFunctionDistance | Promise<CpuFunctionDistance>;
}

export type GpuFunction = (points: Tensor, info: FunctionCallInfo) => GpuFunctionResult | Promise<GpuFunctionResult>;
export type CpuFunction = (
  points: Float32Array,
  shape: number[],
  info: FunctionCallInfo,
) => CpuFunctionResult | Promise<CpuFunctionResult>;

function checkCommon(kind: string, o: FunctionOptions): { shape: number[]; name: string } {
  if (typeof o !== 'object' || o === null) fail(`${kind}: options { inputShape } are required`);
  validateShape(o.inputShape, `${kind} inputShape`);
  if (o.inputShape.length === 0 || sizeOf(o.inputShape) === 0)
    fail(`${kind}: inputShape ${JSON.stringify(o.inputShape)} must name at least one feature`);
  if (o.timeoutMs !== undefined && !(typeof o.timeoutMs === 'number' && o.timeoutMs > 0))
    fail(`${kind}: timeoutMs must be a positive number of milliseconds, got ${String(o.timeoutMs)}`);
  return { shape: [...o.inputShape], name: o.name ?? kind };
}

/**
 * run()'s result, or a rejection as soon as `timeoutMs` passes or `signal` aborts. A result that
 * comes after that goes to `late` (to dispose it); `settled` runs once run() settles, either way.
 */
function bounded<T>(
  what: string,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  run: () => T | Promise<T>,
  late: (v: T) => void,
  settled: () => void = () => {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let open = true;
    const end = (f: () => void) => {
      if (!open) return false;
      open = false;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
      return true;
    };
    const onAbort = () => end(() => reject(abortError()));
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => end(() => reject(new PathlightError(`${what} did not return within timeoutMs ${timeoutMs} ms`))),
            timeoutMs,
          );
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) return void (onAbort(), settled());
    Promise.resolve()
      .then(run)
      .then(
        (v) => void (settled(), end(() => resolve(v)) || late(v)),
        (e: unknown) => void (settled(), end(() => reject(e))),
      )
      .catch((e: unknown) => end(() => reject(e))); // settled() or late() threw: never an unhandled rejection
  });
}

/** Dispose the Tensors of a result that came too late. */
function disposeLate(v: unknown): void {
  if (typeof v === 'object' && v !== null)
    for (const t of Object.values(v)) if (t instanceof Tensor && !t.disposed) t.dispose();
}

function checkOutput(name: string, r: Pick<EvaluationRequest, 'output'>): void {
  if (r.output !== 'logit')
    fail(`${name}: output '${r.output}' applies to models; a function explains the value it returns`);
}

/** Per-row targets of a batch with `per` rows per input. */
function rowTargets(list: readonly number[] | null, rows: number, per: number): Int32Array | null {
  return list && Int32Array.from({ length: rows }, (_, k) => list[Math.floor(k / per)]!);
}

function checkLength(
  name: string,
  what: string,
  got: ArrayLike<number> | undefined,
  expected: number,
  shape: readonly number[],
): void {
  if (!got || typeof got.length !== 'number') fail(`${name}: the function returned no ${what} array`);
  if (got.length !== expected)
    fail(
      `${name}: the function returned ${got.length} ${what} values for points of shape ${shapeStr(shape)}, expected ${expected}`,
    );
}

function checkTensor(name: string, what: string, t: unknown, expected: number, points: Tensor): asserts t is Tensor {
  if (!(t instanceof Tensor)) fail(`${name}: the function returned no ${what} Tensor`);
  if (t.engine !== points.engine) fail(`${name}: the ${what} Tensor lives on another engine`);
  if (t.size !== expected)
    fail(
      `${name}: the function returned ${what} of shape ${shapeStr(t.shape)} for points of shape ${shapeStr(points.shape)} (${expected} values expected)`,
    );
}

/** −g: IG2 moves against the distance's gradient. */
function negated(g: Tensor): Tensor {
  const out = Tensor.zeros(g.engine, g.shape, 'ig2 direction');
  accumulateGradients(out, g, [-1]);
  return out;
}

/** [top; bottom] as one [2 · rows, ...rest] tensor (copies), zeros for a half that is null. */
function stackHalves(
  engine: Tensor['engine'],
  top: Tensor | null,
  bottom: Tensor | null,
  half: readonly number[],
): Tensor {
  const out = Tensor.zeros(engine, [2 * half[0]!, ...half.slice(1)], 'ig2 batch values');
  const bytes = sizeOf(half) * 4;
  if (top) engine.copy(top.buffer, 0, out.buffer, 0, bytes);
  if (bottom) engine.copy(bottom.buffer, 0, out.buffer, bytes, bytes);
  return out;
}

export function gpuFunction(fn: GpuFunction, options: GpuFunctionOptions): Explainable {
  if (typeof fn !== 'function')
    fail('gpuFunction: the first argument must be a function (points, info) => { f, grad }');
  const { shape, name } = checkCommon('gpuFunction', options);
  const per = sizeOf(shape);
  /** fn at the points for request `r` (its targets, points per image and explained output), checked */
  const call: Call = async (points, r) => {
    checkOutput(name, r);
    const rows = points.shape[0]!;
    // Another library submits its own work: what produced the points must be in the queue first.
    points.engine.flush();
    const given = points.reshape(points.shape); // fn's own view: the points live until fn settles, even past a timeout or an abort
    const info = {
      targets: rowTargets(r.targetList, rows, r.pointsPerImage),
      pointsPerInput: r.pointsPerImage,
      signal: r.signal,
    };
    const v = await bounded(
      `${name}: the function, on a batch of ${rows} rows,`,
      options.timeoutMs,
      r.signal,
      () => fn(given, info),
      disposeLate,
      () => given.dispose(),
    );
    if (typeof v !== 'object' || v === null) fail(`${name}: the function returned ${String(v)}, expected { f, grad }`);
    try {
      checkTensor(name, 'f', v.f, rows, points);
      checkTensor(name, 'grad', v.grad, rows * per, points);
    } catch (e) {
      for (const t of [v.f, v.grad]) if (t instanceof Tensor && !t.disposed) t.dispose();
      throw e;
    }
    return { f: reshapeOwned(v.f, [rows]), grad: reshapeOwned(v.grad, points.shape) };
  };
  return withLegacyMethods({
    name,
    inputShape: shape,
    numClasses: null,
    // points, f, ∇f and the path's own buffers: about 8 rows' worth of floats each
    rowsForBudget: (budget) => Math.floor(budget / (8 * 4 * per)),
    bytesPerRow: 8 * 4 * per,
    async evaluate<K extends EvaluationKey>(points: Tensor, r: KeyedRequest<K>) {
      const other = r.want.find((k) => k !== 'f' && k !== 'grad' && !(k === 'distance' && options.ig2));
      if (other !== undefined)
        fail(
          `${name}: cannot evaluate '${other}'${other === 'distance' ? " (IG2's): no IG2 support: give the function an ig2 distance callback (options.ig2), or explain a model" : ''}`,
        );
      if (wants(r, 'distance')) {
        const q = r.ig2 ?? fail(`${name}: the distance key needs IG2's pairs (request.ig2)`);
        const search = q.keep(
          call,
          () => gpuIg2Search(name, call, options.ig2!, q, r, shape, options.timeoutMs),
          (s) => s.dispose(),
        );
        return answered<K>(await search.step(points, wants(r, 'grad')));
      }
      const ev = await call(points, r);
      if (wants(r, 'grad')) return answered<K>(ev);
      ev.grad.dispose();
      return answered<K>({ f: ev.f });
    },
    topClasses: async () => null,
  });
}

type Call = (
  p: Tensor,
  r: Pick<EvaluationRequest, 'targetList' | 'pointsPerImage' | 'output' | 'signal'>,
) => Promise<PointEvaluation>;

/** IG2's distance through the function's ig2 callback, for the search of `q` (its per-pair references kept for the whole search). */
function gpuIg2Search(
  name: string,
  call: Call,
  distanceFn: NonNullable<GpuFunctionOptions['ig2']>,
  q: Ig2Pairs,
  r: EvaluationRequest,
  shape: readonly number[],
  timeoutMs: number | undefined,
) {
  checkOutput(name, r);
  const engine = q.references.engine;
  const refRows = q.references.shape[0]!;
  const rowBytes = q.references.byteLength / refRows;
  // the reference of each pair p (row p mod refRows), gathered once
  const refs = Tensor.empty(engine, [q.pairs, ...shape], 'ig2 references per pair');
  for (let p = 0; p < q.pairs; p++)
    engine.copy(q.references.buffer, (p % refRows) * rowBytes, refs.buffer, p * rowBytes, rowBytes);
  const pairTargets = r.targetList && r.targetList.flatMap((t) => new Array<number>(q.referencesPerImage).fill(t));
  // refs (one Tensor for the whole search: a CPU function reads it back once) live until the search ends and no callback is pending
  let [pending, closed] = [0, false];
  const release = () => void (closed && pending === 0 && refs.dispose());
  return {
    async step(batch: Tensor, withGradient: boolean) {
      const top = sliceBatch(batch, 0, q.pairs);
      const bottom = sliceBatch(batch, q.pairs, q.pairs);
      const parts: Tensor[] = [top, bottom];
      try {
        const ev = await call(top, { targetList: pairTargets, pointsPerImage: 1, output: r.output, signal: r.signal });
        parts.push(ev.f, ev.grad);
        engine.flush();
        const given = bottom.reshape(bottom.shape); // alive until the callback settles
        pending++;
        const settled = () => (given.dispose(), pending--, release());
        const d = await bounded(
          `${name}: the ig2 callback, on ${q.pairs} rows,`,
          timeoutMs,
          r.signal,
          () => distanceFn(given, refs, { signal: r.signal }),
          disposeLate,
          settled,
        );
        if (typeof d !== 'object' || d === null)
          fail(`${name}: the ig2 callback returned ${String(d)}, expected { distance, grad }`);
        for (const t of [d.distance, d.grad]) if (t instanceof Tensor && !parts.includes(t)) parts.push(t);
        checkTensor(name, 'ig2 distance', d.distance, q.pairs, bottom);
        checkTensor(name, 'ig2 grad', d.grad, bottom.size, bottom);
        const f = stackHalves(engine, ev.f, null, [q.pairs]);
        const distance = stackHalves(engine, null, d.distance, [q.pairs]);
        if (!withGradient) return { f, distance: { values: distance, scale: 1 } };
        const down = negated(d.grad);
        parts.push(down);
        return { f, distance: { values: distance, scale: 1 }, grad: stackHalves(engine, ev.grad, down, bottom.shape) };
      } finally {
        for (const t of parts) t.dispose();
      }
    },
    dispose: () => ((closed = true), release()),
  };
}

/** How cpuBatches calls one callback: its name in errors, the keys it returns, its time bound and explain's signal. */
interface CpuCallback {
  what: string;
  names: [string, string];
  timeoutMs: number | undefined;
  signal: AbortSignal | undefined;
}

/**
 * fn over `rows` rows in batches of at most `size`: its two per-row outputs (f and ∇f, or the
 * distance and its gradient) gathered into [rows] and [rows × per] arrays, each value checked finite.
 */
async function cpuBatches(
  name: string,
  cb: CpuCallback,
  rows: number,
  size: number,
  per: number,
  shape: readonly number[],
  call: (first: number, count: number, batchShape: number[]) => unknown,
): Promise<[Float32Array, Float32Array]> {
  const { names } = cb;
  const value = new Float32Array(rows);
  const grad = new Float32Array(rows * per);
  for (let first = 0; first < rows; first += size) {
    const count = Math.min(size, rows - first);
    const batchShape = [count, ...shape];
    const batch = `batch ${first / size + 1} of ${Math.ceil(rows / size)} (rows ${first}–${first + count - 1} of ${rows})`;
    const r = (await bounded(
      `${name}: the ${cb.what}, on ${batch},`,
      cb.timeoutMs,
      cb.signal,
      () => call(first, count, batchShape),
      () => {},
    )) as Record<string, ArrayLike<number>> | null | undefined;
    if (typeof r !== 'object' || r === null)
      fail(`${name}: the ${cb.what} returned ${String(r)}, expected { ${names.join(', ')} }`);
    checkLength(name, names[0], r[names[0]], count, batchShape);
    checkLength(name, names[1], r[names[1]], count * per, batchShape);
    for (const key of names) assertFinite(r[key]!, `${name}: the ${cb.what}'s ${key} on ${batch}`);
    value.set(r[names[0]]!, first);
    grad.set(r[names[1]]!, first * per);
  }
  return [value, grad];
}

/**
 * A CPU function is a GPU function that reads its points back: one readback per evaluation (all
 * of its rows), then fn in batches of `batchSize`, then f and ∇f uploaded. IG2 steps read back
 * their two halves (f rows, distance rows); the references once.
 */
export function cpuFunction(fn: CpuFunction, options: CpuFunctionOptions): Explainable {
  if (typeof fn !== 'function')
    fail('cpuFunction: the first argument must be a function (points, shape, info) => { f, grad }');
  const { shape, name } = checkCommon('cpuFunction', options);
  if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1))
    fail(`cpuFunction: options.batchSize (rows per call) must be an integer >= 1, got ${String(options.batchSize)}`);
  const per = sizeOf(shape);
  const { batchSize, ig2, timeoutMs } = options;
  const upload = (like: Tensor, [value, grad]: [Float32Array, Float32Array], label: string): [Tensor, Tensor] => [
    Tensor.from(like.engine, value, [like.shape[0]!], { label: `${name} ${label}` }),
    Tensor.from(like.engine, grad, like.shape, { label: `${name} gradient` }),
  ];
  const evaluate: GpuFunction = async (points, info) => {
    const data = await points.download();
    const r = await cpuBatches(
      name,
      { what: 'function', names: ['f', 'grad'], timeoutMs, signal: info.signal },
      points.shape[0]!,
      batchSize,
      per,
      shape,
      (first, count, batchShape) =>
        fn(data.slice(first * per, (first + count) * per), batchShape, {
          targets: info.targets && info.targets.subarray(first, first + count),
          pointsPerInput: info.pointsPerInput,
          signal: info.signal,
        }),
    );
    const [f, grad] = upload(points, r, 'f');
    return { f, grad };
  };
  // one IG2 search hands the same per-pair references to every step: read them back once
  const referenceData = new WeakMap<Tensor, Float32Array>();
  const distance =
    ig2 &&
    (async (points: Tensor, refs: Tensor, { signal }: { signal?: AbortSignal }): Promise<GpuFunctionDistance> => {
      let refData = referenceData.get(refs);
      if (!refData) referenceData.set(refs, (refData = await refs.download()));
      const data = await points.download();
      const r = await cpuBatches(
        name,
        { what: 'ig2 callback', names: ['distance', 'grad'], timeoutMs, signal },
        points.shape[0]!,
        batchSize,
        per,
        shape,
        (first, count, batchShape) =>
          ig2(
            data.slice(first * per, (first + count) * per),
            refData.slice(first * per, (first + count) * per),
            batchShape,
          ),
      );
      const [d, grad] = upload(points, r, 'ig2 distance');
      return { distance: d, grad };
    });
  // the time bound is per call of fn, in cpuBatches; explain's signal ends a pending call in both layers
  return gpuFunction(evaluate, { inputShape: shape, name, ...(distance && { ig2: distance }) });
}
