/**
 * Functions as subjects of any path method, beside pathlight Models:
 * - `gpuFunction(fn, { inputShape })`: fn gets a batch of path points as a Tensor on the engine's
 *   device and returns f per row and ∇f per row as Tensors on that device (e.g. another library's
 *   model on a shared GPUDevice, its buffers wrapped with `Tensor.wrap`). Nothing is read back.
 * - `cpuFunction(fn, { inputShape, batchSize })`: PAIR saliency's call_model_function / Captum's
 *   forward_func style. fn gets the points as a Float32Array (C order) and their shape and returns
 *   f and ∇f as arrays, or a promise of them. Path bookkeeping stays on the GPU: each evaluation
 *   costs one readback (the points), and fn is called ⌈rows / batchSize⌉ times per evaluation.
 * Both explain the value fn returns: `target` is handed to fn per row (`info.targets`, null when
 * the caller gave none) and `output: 'prob'` does not apply. IG2 needs `ig2`, a second callback:
 * for points and the reference of each row, the distance IG2 descends and its gradient.
 */
import { fail, shapeStr } from '../gpu/errors.js';
import { Tensor, sizeOf, validateShape } from '../tensor/tensor.js';
import { concatBatch, sliceBatch } from '../tensor/batch.js';
import { accumulateGradients } from '../ops/accumulate-gradients.js';
import type { EvaluationRequest, Explainable, Ig2Request, Ig2Search, PointEvaluation } from './subject.js';

export interface FunctionCallInfo {
  /** class index per row when explain() was given targets, else null (fn explains its own f) */
  targets: Int32Array | null;
  /** rows per input in this batch: row b belongs to input ⌊b / pointsPerInput⌋ */
  pointsPerInput: number;
}

export interface GpuFunctionResult {
  /** f per row [rows] */
  f: Tensor;
  /** ∇f per row, shaped like the points (pathlight disposes both) */
  grad: Tensor;
}

export interface GpuFunctionOptions {
  inputShape: readonly number[];
  name?: string;
  /** rows per call at most (default: whatever the memory budget allows) */
  batchSize?: number;
  /** IG2: distance to each row's reference [rows] and its gradient w.r.t. the points */
  ig2?: (points: Tensor, references: Tensor) => GpuFunctionDistance | Promise<GpuFunctionDistance>;
}

export interface GpuFunctionDistance {
  distance: Tensor;
  grad: Tensor;
}

export interface CpuFunctionResult {
  f: ArrayLike<number>;
  grad: ArrayLike<number>;
}

export interface CpuFunctionDistance {
  distance: ArrayLike<number>;
  grad: ArrayLike<number>;
}

export interface CpuFunctionOptions {
  inputShape: readonly number[];
  /** rows per call at most */
  batchSize: number;
  name?: string;
  /** IG2: for points [rows, ...] and each row's reference (same shape), the distance and its gradient */
  ig2?: (points: Float32Array, references: Float32Array, shape: number[]) => CpuFunctionDistance | Promise<CpuFunctionDistance>;
}

export type GpuFunction = (points: Tensor, info: FunctionCallInfo) => GpuFunctionResult | Promise<GpuFunctionResult>;
export type CpuFunction = (points: Float32Array, shape: number[], info: FunctionCallInfo) => CpuFunctionResult | Promise<CpuFunctionResult>;

/** Rows per evaluation for a function: points, f, ∇f and the path's own buffers, about 8 rows' worth each. */
function rowsFor(per: number, budget: number): number {
  return Math.max(1, Math.floor(budget / (8 * 4 * per)));
}

function checkCommon(kind: string, o: { inputShape: readonly number[]; batchSize?: number; name?: string }): { shape: number[]; name: string } {
  if (typeof o !== 'object' || o === null) fail(`${kind}: options { inputShape } are required`);
  validateShape(o.inputShape, `${kind} inputShape`);
  if (o.inputShape.length === 0 || sizeOf(o.inputShape) === 0) fail(`${kind}: inputShape ${JSON.stringify(o.inputShape)} must name at least one feature`);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize >= 1)) fail(`${kind}: batchSize must be an integer >= 1, got ${String(o.batchSize)}`);
  return { shape: [...o.inputShape], name: o.name ?? kind };
}

function checkOutput(name: string, r: EvaluationRequest | Ig2Request): void {
  if (r.output !== 'logit') fail(`${name}: output '${r.output}' applies to models; a function explains the value it returns`);
}

/** Per-row targets for rows [first, first + count) of a batch with `per` rows per input. */
function rowTargets(list: readonly number[] | null, first: number, count: number, per: number): Int32Array | null {
  return list && Int32Array.from({ length: count }, (_, k) => list[Math.floor((first + k) / per)]!);
}

function checkLength(name: string, what: string, got: ArrayLike<number> | undefined, expected: number, shape: readonly number[]): void {
  if (!got || typeof got.length !== 'number') fail(`${name}: the function returned no ${what} array`);
  if (got.length !== expected) fail(`${name}: the function returned ${got.length} ${what} values for points of shape ${shapeStr(shape)}, expected ${expected}`);
}

function checkTensor(name: string, what: string, t: unknown, expected: number, shape: readonly number[], engine: Tensor['engine']): Tensor {
  if (!(t instanceof Tensor)) fail(`${name}: the function returned no ${what} Tensor`);
  if (t.engine !== engine) fail(`${name}: the ${what} Tensor lives on another engine`);
  if (t.size !== expected) fail(`${name}: the function returned ${what} of shape ${shapeStr(t.shape)} for points of shape ${shapeStr(shape)} (${expected} values expected)`);
  return t;
}

/** Call `each` on row batches of at most `size` rows, joining the results along the batch axis. */
async function inRowBatches(rows: number, size: number, each: (first: number, count: number) => Promise<Tensor[]>): Promise<Tensor[]> {
  if (rows <= size) return each(0, rows);
  const parts: Tensor[][] = [];
  try {
    for (let first = 0; first < rows; first += size) parts.push(await each(first, Math.min(size, rows - first)));
    return parts[0]!.map((_, i) => concatBatch(parts.map((p) => p[i]!)));
  } finally {
    for (const t of parts.flat()) t.dispose();
  }
}

/** −g: IG2 moves against the distance's gradient. */
function negated(g: Tensor): Tensor {
  const out = Tensor.zeros(g.engine, g.shape, 'ig2 direction');
  accumulateGradients(out, g, [-1]);
  return out;
}

/** [top; bottom] as one [2 · rows, ...rest] tensor (copies), zeros for a half that is null. */
function stackHalves(engine: Tensor['engine'], top: Tensor | null, bottom: Tensor | null, half: readonly number[]): Tensor {
  const out = Tensor.zeros(engine, [2 * half[0]!, ...half.slice(1)], 'ig2 batch values');
  const bytes = sizeOf(half) * 4;
  if (top) engine.copy(top.buffer, 0, out.buffer, 0, bytes);
  if (bottom) engine.copy(bottom.buffer, 0, out.buffer, bytes, bytes);
  return out;
}

export function gpuFunction(fn: GpuFunction, options: GpuFunctionOptions): Explainable {
  if (typeof fn !== 'function') fail('gpuFunction: the first argument must be a function (points, info) => { f, grad }');
  const { shape, name } = checkCommon('gpuFunction', options);
  const per = sizeOf(shape);
  const call = async (points: Tensor, targets: readonly number[] | null, pointsPerInput: number): Promise<PointEvaluation> => {
    const rows = points.shape[0]!;
    const [f, grad] = await inRowBatches(rows, options.batchSize ?? rows, async (first, count) => {
      const part = first === 0 && count === rows ? points : sliceBatch(points, first, count);
      // Another library submits its own work: what produced the points must be in the queue first.
      points.engine.flush();
      try {
        const r = await fn(part, { targets: rowTargets(targets, first, count, pointsPerInput), pointsPerInput });
        if (typeof r !== 'object' || r === null) fail(`${name}: the function returned ${String(r)}, expected { f, grad }`);
        try {
          return [checkTensor(name, 'f', r.f, count, part.shape, points.engine), checkTensor(name, 'grad', r.grad, count * per, part.shape, points.engine)];
        } catch (e) {
          for (const t of [r.f, r.grad]) if (t instanceof Tensor && !t.disposed) t.dispose();
          throw e;
        }
      } finally {
        if (part !== points) part.dispose();
      }
    });
    return { f: reshapeOwned(f!, [rows]), grad: reshapeOwned(grad!, points.shape) };
  };
  return {
    name,
    inputShape: shape,
    numClasses: null,
    rowsForBudget: (budget) => rowsFor(per, budget),
    async gradients(points, r) {
      checkOutput(name, r);
      return call(points, r.targetList, r.pointsPerImage);
    },
    async values(points, r) {
      checkOutput(name, r);
      const { f, grad } = await call(points, r.targetList, r.pointsPerImage);
      grad.dispose();
      return f;
    },
    topClasses: async () => null,
    ...(options.ig2 && { ig2Search: async (q: Ig2Request) => gpuIg2Search(name, call, options.ig2!, q, shape) }),
  };
}

function gpuIg2Search(name: string, call: (p: Tensor, t: readonly number[] | null, per: number) => Promise<PointEvaluation>, distanceFn: NonNullable<GpuFunctionOptions['ig2']>, q: Ig2Request, shape: readonly number[]): Ig2Search {
  checkOutput(name, q);
  const engine = q.references.engine;
  const refRows = q.references.shape[0]!;
  const rowBytes = q.references.byteLength / refRows;
  // the reference of each pair p (row p mod refRows), gathered once
  const refs = Tensor.empty(engine, [q.pairs, ...shape], 'ig2 references per pair');
  for (let p = 0; p < q.pairs; p++) engine.copy(q.references.buffer, (p % refRows) * rowBytes, refs.buffer, p * rowBytes, rowBytes);
  const pairTargets = q.targetList && q.targetList.flatMap((t) => new Array<number>(q.referencesPerImage).fill(t));
  return {
    async step(batch, withGradient) {
      const top = sliceBatch(batch, 0, q.pairs);
      const bottom = sliceBatch(batch, q.pairs, q.pairs);
      const parts: Tensor[] = [top, bottom];
      try {
        const ev = await call(top, pairTargets, 1);
        parts.push(ev.f, ev.grad);
        engine.flush();
        const d = await distanceFn(bottom, refs);
        if (typeof d !== 'object' || d === null) fail(`${name}: the ig2 callback returned ${String(d)}, expected { distance, grad }`);
        parts.push(checkTensor(name, 'ig2 distance', d.distance, q.pairs, bottom.shape, engine), checkTensor(name, 'ig2 grad', d.grad, bottom.size, bottom.shape, engine));
        const f = stackHalves(engine, ev.f, null, [q.pairs]);
        const distance = stackHalves(engine, null, d.distance, [q.pairs]);
        let grad: Tensor | undefined;
        if (withGradient) {
          const down = negated(d.grad);
          parts.push(down);
          grad = stackHalves(engine, ev.grad, down, bottom.shape);
        }
        return { f, distance, distanceScale: 1, grad };
      } finally {
        for (const t of parts) t.dispose();
      }
    },
    dispose: () => refs.dispose(),
  };
}

export function cpuFunction(fn: CpuFunction, options: CpuFunctionOptions): Explainable {
  if (typeof fn !== 'function') fail('cpuFunction: the first argument must be a function (points, shape, info) => { f, grad }');
  const { shape, name } = checkCommon('cpuFunction', options);
  if (options.batchSize === undefined) fail('cpuFunction: options.batchSize is required (rows per call)');
  const per = sizeOf(shape);
  const batchSize = options.batchSize;
  /** fn over `data` (rows × per values) in batches: f [rows] and ∇f [rows × per] on the CPU. */
  const evaluate = async (data: Float32Array, rows: number, targets: readonly number[] | null, pointsPerInput: number) => {
    const f = new Float32Array(rows);
    const grad = new Float32Array(rows * per);
    for (let first = 0; first < rows; first += batchSize) {
      const count = Math.min(batchSize, rows - first);
      const batchShape = [count, ...shape];
      const r = await fn(data.slice(first * per, (first + count) * per), batchShape, { targets: rowTargets(targets, first, count, pointsPerInput), pointsPerInput });
      if (typeof r !== 'object' || r === null) fail(`${name}: the function returned ${String(r)}, expected { f, grad }`);
      checkLength(name, 'f', r.f, count, batchShape);
      checkLength(name, 'grad', r.grad, count * per, batchShape);
      f.set(r.f, first);
      grad.set(r.grad, first * per);
    }
    return { f, grad };
  };
  const call = async (points: Tensor, targets: readonly number[] | null, pointsPerInput: number): Promise<PointEvaluation> => {
    const rows = points.shape[0]!;
    const r = await evaluate(await points.download(), rows, targets, pointsPerInput);
    return { f: Tensor.from(points.engine, r.f, [rows], { label: `${name} f` }), grad: Tensor.from(points.engine, r.grad, points.shape, { label: `${name} grad` }) };
  };
  return {
    name,
    inputShape: shape,
    numClasses: null,
    rowsForBudget: (budget) => rowsFor(per, budget),
    async gradients(points, r) {
      checkOutput(name, r);
      return call(points, r.targetList, r.pointsPerImage);
    },
    async values(points, r) {
      checkOutput(name, r);
      const { f, grad } = await call(points, r.targetList, r.pointsPerImage);
      grad.dispose();
      return f;
    },
    topClasses: async () => null,
    ...(options.ig2 && {
      ig2Search: async (q: Ig2Request) => {
        checkOutput(name, q);
        const refs = await q.references.download();
        const refRows = q.references.shape[0]!;
        const pairRefs = new Float32Array(q.pairs * per);
        for (let p = 0; p < q.pairs; p++) pairRefs.set(refs.subarray((p % refRows) * per, (p % refRows + 1) * per), p * per);
        const pairTargets = q.targetList && q.targetList.flatMap((t) => new Array<number>(q.referencesPerImage).fill(t));
        return cpuIg2Search(name, evaluate, options.ig2!, pairRefs, pairTargets, q.pairs, shape, batchSize);
      },
    }),
  };
}

type CpuEvaluate = (data: Float32Array, rows: number, targets: readonly number[] | null, pointsPerInput: number) => Promise<{ f: Float32Array; grad: Float32Array }>;

function cpuIg2Search(name: string, evaluate: CpuEvaluate, distanceFn: NonNullable<CpuFunctionOptions['ig2']>, pairRefs: Float32Array, pairTargets: readonly number[] | null, pairs: number, shape: readonly number[], batchSize: number): Ig2Search {
  const per = sizeOf(shape);
  return {
    async step(batch, withGradient) {
      const engine = batch.engine;
      const all = await batch.download();
      const ev = await evaluate(all.subarray(0, pairs * per), pairs, pairTargets, 1);
      const f = new Float32Array(2 * pairs);
      const distance = new Float32Array(2 * pairs);
      const grad = new Float32Array(2 * pairs * per);
      f.set(ev.f);
      grad.set(ev.grad);
      for (let first = 0; first < pairs; first += batchSize) {
        const count = Math.min(batchSize, pairs - first);
        const batchShape = [count, ...shape];
        const points = all.slice((pairs + first) * per, (pairs + first + count) * per);
        const d = await distanceFn(points, pairRefs.slice(first * per, (first + count) * per), batchShape);
        if (typeof d !== 'object' || d === null) fail(`${name}: the ig2 callback returned ${String(d)}, expected { distance, grad }`);
        checkLength(name, 'ig2 distance', d.distance, count, batchShape);
        checkLength(name, 'ig2 grad', d.grad, count * per, batchShape);
        distance.set(d.distance, pairs + first);
        for (let i = 0; i < count * per; i++) grad[(pairs + first) * per + i] = -d.grad[i]!;
      }
      const rows = 2 * pairs;
      return {
        f: Tensor.from(engine, f, [rows], { label: `${name} f` }),
        distance: Tensor.from(engine, distance, [rows], { label: `${name} ig2 distance` }),
        distanceScale: 1,
        grad: withGradient ? Tensor.from(engine, grad, batch.shape, { label: `${name} grad` }) : undefined,
      };
    },
    dispose() {},
  };
}

/** A view with another shape that takes over `t`'s reference. */
function reshapeOwned(t: Tensor, shape: readonly number[]): Tensor {
  const view = t.reshape(shape);
  t.dispose();
  return view;
}
