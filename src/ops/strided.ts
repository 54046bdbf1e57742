/**
 * Strided index maps (shaders/strided.wgsl): one kernel walks an index space of up to 8 axes and
 * reads / writes through per-axis strides, so every layout op here is a launch description:
 * transpose (permuted strides), crop (offset source), pad and concat (offset destination),
 * expand (zero strides); broadcast.ts adds binary arithmetic and sums to a broadcast shape.
 */
import source from '../../shaders/strided.wgsl';
import { fail, shapeStr } from '../errors.js';
import { Tensor, sizeOf } from '../tensor/tensor.js';

const AXES = 8;

/** C-order strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = shape.map(() => 1);
  for (let k = shape.length - 2; k >= 0; k--) s[k] = s[k + 1]! * shape[k + 1]!;
  return s;
}

/** A tensor (or host values) read at `offset + Σ c_k · strides[k]`. */
export interface Strided {
  t: Tensor | Float32Array;
  strides: readonly number[];
  offset?: number;
}

export interface StridedLaunch {
  space: readonly number[];
  a: Strided;
  b?: Strided;
  out: Tensor;
  /** destination strides (default: the space's C order) and offset */
  outStrides?: readonly number[];
  outOffset?: number;
  /** WGSL over `x` (from a), `y` (from b) and `L.scale` */
  expr?: string;
  scale?: number;
  /** sum of `expr` (times scale) over this index space at every point of `space`, `a` (and `b`) stepped by `strides` */
  reduce?: { shape: readonly number[]; strides: readonly number[] };
}

/**
 * The space without unit axes, and with each axis merged into its outer neighbour where that is
 * contiguous for every stride set (outer stride = inner stride × inner size): fewer axes to walk.
 */
function collapse(
  space: readonly number[],
  strides: readonly (readonly number[])[],
): { sizes: number[]; strides: number[][] } {
  const sizes: number[] = [];
  const out = strides.map((): number[] => []);
  space.forEach((d, k) => {
    const last = sizes.length - 1;
    if (d === 1) return;
    if (last >= 0 && strides.every((s, j) => out[j]![last] === s[k]! * d)) {
      sizes[last]! *= d;
      strides.forEach((s, j) => (out[j]![last] = s[k]!));
    } else {
      sizes.push(d);
      strides.forEach((s, j) => out[j]!.push(s[k]!));
    }
  });
  if (sizes.length > AXES) fail(`strided ops support up to ${AXES} axes, got shape ${shapeStr(space)}`);
  return { sizes, strides: out };
}

/** WGSL of the index walk over `rank` axes of uniform array `dims`, unrolled (see the shader). */
function walk(dims: string, rank: number, lanes: string): string {
  const steps = Array.from({ length: rank }, (_, j) => rank - 1 - j).map((k) =>
    k
      ? `o += (r % L.${dims}[${k}].x) * L.${dims}[${k}].${lanes}; r /= L.${dims}[${k}].x;`
      : `o += r * L.${dims}[0].${lanes};`,
  );
  return steps.join('\n  ');
}

export function stridedLaunch(op: string, l: StridedLaunch): Tensor {
  const count = sizeOf(l.space);
  if (count === 0) return l.out;
  let keep: ReturnType<typeof collapse>, sum: ReturnType<typeof collapse>;
  try {
    keep = collapse(l.space, [l.a.strides, l.b?.strides ?? l.space.map(() => 0), l.outStrides ?? stridesOf(l.space)]);
    sum = collapse(l.reduce?.shape ?? [], [l.reduce?.strides ?? []]);
  } catch (e) {
    l.out.dispose(); // the op's output never reaches its caller
    throw e;
  }
  // an invocation takes 4 consecutive elements of the innermost axis when it allows (2-3x faster on SwiftShader, measured)
  const run = !l.reduce && keep.sizes.length > 0 && keep.sizes.at(-1)! % 4 === 0 ? 4 : 1;
  const u = new Uint32Array(72); // the shader's Layout: dims, rdims, base, reduced, scale
  keep.sizes.forEach((d, k) => u.set([d, keep.strides[0]![k]!, keep.strides[1]![k]!, keep.strides[2]![k]!], 4 * k));
  sum.sizes.forEach((d, k) => u.set([d, sum.strides[0]![k]!], 32 + 4 * k));
  u.set([l.a.offset ?? 0, l.b?.offset ?? 0, l.outOffset ?? 0, count / run, sizeOf(sum.sizes)], 64);
  new Float32Array(u.buffer).set([l.scale ?? 1], 69);
  const bindings = { L: u, a: l.a.t, b: l.b?.t, out: l.out };
  const params = {
    BINARY: !!l.b,
    REDUCE: !!l.reduce,
    EXPR: l.expr ?? 'x',
    WALK: walk('dims', keep.sizes.length, 'yzw'),
    RWALK: walk('rdims', sum.sizes.length, 'y'),
    RUN: run,
    INNER: Math.max(0, keep.sizes.length - 1),
  };
  l.out.engine.run({ op, source, params, bindings, grid: { threads: count / run } });
  return l.out;
}

function checkAxis(op: string, axis: number, shape: readonly number[]): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length)
    fail(`${op}: axis ${axis} is out of range for shape ${shapeStr(shape)}`);
}

/** y = x with axes permuted: y.shape[k] = x.shape[perm[k]]. */
export function transpose(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, k) => p !== k))
    fail(`transpose: ${JSON.stringify(perm)} is not a permutation of the ${x.rank} axes of ${shapeStr(x.shape)}`);
  const s = stridesOf(x.shape);
  const space = perm.map((p) => x.shape[p]!);
  return stridedLaunch('transpose', {
    space,
    a: { t: x, strides: perm.map((p) => s[p]!) },
    out: Tensor.empty(x.engine, space, 'transpose'),
  });
}

/** The box of x starting at `starts` with shape `shape` (per axis). */
export function crop(x: Tensor, starts: readonly number[], shape: readonly number[], op = 'crop'): Tensor {
  if (
    starts.length !== x.rank ||
    shape.length !== x.rank ||
    x.shape.some((d, k) => !(starts[k]! >= 0 && shape[k]! >= 0 && starts[k]! + shape[k]! <= d))
  ) {
    fail(`${op}: box from ${shapeStr(starts)} of shape ${shapeStr(shape)} does not fit in ${shapeStr(x.shape)}`);
  }
  const s = stridesOf(x.shape);
  const offset = starts.reduce((o, c, k) => o + c * s[k]!, 0);
  return stridedLaunch(op, { space: shape, a: { t: x, strides: s, offset }, out: Tensor.empty(x.engine, shape, op) });
}

/** x[..., start:end, ...] on one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  checkAxis('slice', axis, x.shape);
  return crop(
    x,
    x.shape.map((_, k) => (k === axis ? start : 0)),
    x.shape.map((d, k) => (k === axis ? end - start : d)),
    'slice',
  );
}

/** Constant padding: `begin[k]` and `end[k]` values of `value` before and after axis k. Backward: crop. */
export function pad(x: Tensor, begin: readonly number[], end: readonly number[], value = 0, op = 'pad'): Tensor {
  if (
    begin.length !== x.rank ||
    end.length !== x.rank ||
    [...begin, ...end].some((p) => !Number.isInteger(p) || p < 0)
  ) {
    fail(
      `${op}: pads ${JSON.stringify([...begin, ...end])} must be ${2 * x.rank} non-negative integers for shape ${shapeStr(x.shape)}`,
    );
  }
  if (!Number.isFinite(value)) fail(`${op}: pad value ${value} is not finite`);
  const shape = x.shape.map((d, k) => d + begin[k]! + end[k]!);
  // zeros: a buffer clear; another value: a launch reading one value with stride 0
  const out =
    value === 0
      ? Tensor.zeros(x.engine, shape, op)
      : stridedLaunch(`${op}Fill`, {
          space: shape,
          a: { t: Float32Array.of(value), strides: shape.map(() => 0) },
          out: Tensor.empty(x.engine, shape, op),
        });
  const s = stridesOf(shape);
  return stridedLaunch(op, {
    space: x.shape,
    a: { t: x, strides: stridesOf(x.shape) },
    out,
    outStrides: s,
    outOffset: begin.reduce((o, c, k) => o + c * s[k]!, 0),
  });
}

/** Join along `axis`; the other axes must match. Backward: a crop per input. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0] ?? fail('concat: no inputs');
  checkAxis('concat', axis, first.shape);
  if (xs.some((t) => t.rank !== first.rank || t.shape.some((d, k) => k !== axis && d !== first.shape[k])))
    fail(`concat: shapes ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ off axis ${axis}`);
  const shape = first.shape.map((d, k) => (k === axis ? xs.reduce((n, t) => n + t.shape[axis]!, 0) : d));
  const out = Tensor.empty(first.engine, shape, 'concat');
  const s = stridesOf(shape);
  let at = 0;
  for (const t of xs) {
    stridedLaunch('concat', {
      space: t.shape,
      a: { t, strides: stridesOf(t.shape) },
      out,
      outStrides: s,
      outOffset: at * s[axis]!,
    });
    at += t.shape[axis]!;
  }
  return out;
}

/** Strides that read `shape` broadcast to `to` (same rank; 0 on the broadcast axes). */
export function broadcastStrides(shape: readonly number[], to: readonly number[]): number[] {
  const s = stridesOf(shape);
  return shape.map((d, k) => (d === to[k] ? s[k]! : 0));
}

/** x (size-1 axes) repeated to `shape`, times `scale`: the backward of a sum or mean. */
export function expand(x: Tensor, shape: readonly number[], scale = 1): Tensor {
  if (x.rank !== shape.length || x.shape.some((d, k) => d !== 1 && d !== shape[k]))
    fail(`expand: cannot broadcast ${shapeStr(x.shape)} to ${shapeStr(shape)}`);
  const a = { t: x, strides: broadcastStrides(x.shape, shape) };
  return stridedLaunch('expand', {
    space: shape,
    a,
    out: Tensor.empty(x.engine, shape, 'expand'),
    expr: 'x * L.scale',
    scale,
  });
}
