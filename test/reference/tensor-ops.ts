/**
 * float64 references of the tensor ops (activations, broadcasting arithmetic, layout, means,
 * softmax on any axis), written the plain way: loops over coordinates of C-order arrays.
 */
import type { UnaryOp } from '../../src/ops/activation.js';
import type { BinaryOp } from '../../src/ops/broadcast.js';

export type Shape = readonly number[];

export const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

export function stridesOf(s: Shape): number[] {
  const out = s.map(() => 1);
  for (let k = s.length - 2; k >= 0; k--) out[k] = out[k + 1]! * s[k + 1]!;
  return out;
}

/** Coordinates of flat index i in shape s. */
export function coords(i: number, s: Shape): number[] {
  const c = s.map(() => 0);
  for (let k = s.length - 1; k >= 0; k--) {
    c[k] = i % s[k]!;
    i = Math.floor(i / s[k]!);
  }
  return c;
}

export const flat = (c: readonly number[], s: Shape): number => c.reduce((o, v, k) => o * s[k]! + v, 0);

// ---- pointwise ----

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** [f(x), f'(x)] of an activation, in float64. */
export function activation(op: UnaryOp, v: number): [number, number] {
  switch (op.fn) {
    case 'sigmoid':
      return [sigmoid(v), sigmoid(v) * (1 - sigmoid(v))];
    case 'tanh':
      return [Math.tanh(v), 1 - Math.tanh(v) ** 2];
    case 'silu':
      return [v * sigmoid(v), sigmoid(v) * (1 + v * (1 - sigmoid(v)))];
    case 'hardswish':
      return [(v * Math.min(Math.max(v + 3, 0), 6)) / 6, v < -3 ? 0 : v <= 3 ? v / 3 + 0.5 : 1];
    case 'leakyrelu':
      return v > 0 ? [v, 1] : [op.alpha * v, op.alpha];
    case 'elu':
      return v > 0 ? [v, 1] : [op.alpha * (Math.exp(v) - 1), op.alpha * Math.exp(v)];
    case 'hardsigmoid': {
      const t = op.alpha * v + op.beta;
      return [Math.min(Math.max(t, 0), 1), t > 0 && t < 1 ? op.alpha : 0];
    }
    case 'clip':
      return [Math.min(Math.max(v, op.min), op.max), v >= op.min && v <= op.max ? 1 : 0];
  }
}

export const unary = (x: Float64Array, op: UnaryOp): Float64Array => x.map((v) => activation(op, v)[0]);
export const unaryBackward = (x: Float64Array, dy: Float64Array, op: UnaryOp): Float64Array =>
  x.map((v, i) => activation(op, v)[1] * dy[i]!);

// ---- broadcasting ----

/** NumPy broadcast of two same-rank shapes. */
export function broadcastShape(a: Shape, b: Shape): number[] {
  return a.map((d, k) => {
    if (d !== b[k] && d !== 1 && b[k] !== 1) throw new Error(`reference: ${a} and ${b} do not broadcast`);
    return Math.max(d, b[k]!);
  });
}

/** value of `x` (shape xs) at the coordinate c of its broadcast. */
const at = (x: Float64Array, xs: Shape, c: readonly number[]) =>
  x[
    flat(
      c.map((v, k) => (xs[k] === 1 ? 0 : v)),
      xs,
    )
  ]!;

export function broadcastMap(
  a: Float64Array,
  as: Shape,
  b: Float64Array,
  bs: Shape,
  f: (x: number, y: number) => number,
): Float64Array {
  const s = broadcastShape(as, bs);
  return Float64Array.from({ length: size(s) }, (_, i) => f(at(a, as, coords(i, s)), at(b, bs, coords(i, s))));
}

const OPS: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

export const binary = (op: BinaryOp, a: Float64Array, as: Shape, b: Float64Array, bs: Shape) =>
  broadcastMap(a, as, b, bs, OPS[op]);

/** Σ of x (shape xs) onto `to` (same rank, 1 on the summed axes). */
export function sumTo(x: Float64Array, xs: Shape, to: Shape): Float64Array {
  const out = new Float64Array(size(to));
  for (let i = 0; i < x.length; i++)
    out[
      flat(
        coords(i, xs).map((v, k) => (to[k] === 1 ? 0 : v)),
        to,
      )
    ]! += x[i]!;
  return out;
}

/** Gradients of a ∘ b onto a's and b's shapes. */
export function binaryBackward(
  op: BinaryOp,
  a: Float64Array,
  as: Shape,
  b: Float64Array,
  bs: Shape,
  dy: Float64Array,
): [Float64Array, Float64Array] {
  const s = broadcastShape(as, bs);
  const part = (f: (x: number, y: number, g: number) => number, to: Shape) =>
    sumTo(
      Float64Array.from(dy, (g, i) => f(at(a, as, coords(i, s)), at(b, bs, coords(i, s)), g)),
      s,
      to,
    );
  const da = { add: () => 1, sub: () => 1, mul: (_: number, y: number) => y, div: (_: number, y: number) => 1 / y }[op];
  const db = { add: () => 1, sub: () => -1, mul: (x: number) => x, div: (x: number, y: number) => -x / (y * y) }[op];
  return [part((x, y, g) => g * da(x, y), as), part((x, y, g) => g * db(x, y), bs)];
}

export const prelu = (x: Float64Array, xs: Shape, w: Float64Array, ws: Shape) =>
  broadcastMap(x, xs, w, ws, (v, a) => (v > 0 ? v : a * v));

export function preluBackward(
  x: Float64Array,
  xs: Shape,
  w: Float64Array,
  ws: Shape,
  dy: Float64Array,
): { dx: Float64Array; dw: Float64Array } {
  const dx = broadcastMap(x, xs, w, ws, (v, a) => (v > 0 ? 1 : a)).map((m, i) => m * dy[i]!);
  return {
    dx,
    dw: sumTo(
      x.map((v, i) => Math.min(v, 0) * dy[i]!),
      xs,
      ws,
    ),
  };
}

// ---- layout ----

export function transpose(x: Float64Array, xs: Shape, perm: readonly number[]): Float64Array {
  const ys = perm.map((p) => xs[p]!);
  return Float64Array.from({ length: x.length }, (_, i) => {
    const c = coords(i, ys);
    const src = xs.map(() => 0);
    perm.forEach((p, k) => (src[p] = c[k]!));
    return x[flat(src, xs)]!;
  });
}

export function pad(
  x: Float64Array,
  xs: Shape,
  begin: readonly number[],
  end: readonly number[],
  value: number,
): Float64Array {
  const ys = xs.map((d, k) => d + begin[k]! + end[k]!);
  const out = new Float64Array(size(ys)).fill(value);
  for (let i = 0; i < x.length; i++)
    out[
      flat(
        coords(i, xs).map((v, k) => v + begin[k]!),
        ys,
      )
    ] = x[i]!;
  return out;
}

export function crop(x: Float64Array, xs: Shape, starts: readonly number[], shape: Shape): Float64Array {
  return Float64Array.from(
    { length: size(shape) },
    (_, i) =>
      x[
        flat(
          coords(i, shape).map((v, k) => v + starts[k]!),
          xs,
        )
      ]!,
  );
}

export function concat(parts: readonly Float64Array[], shapes: readonly Shape[], axis: number): Float64Array {
  const ys = shapes[0]!.map((d, k) => (k === axis ? shapes.reduce((n, s) => n + s[k]!, 0) : d));
  const out = new Float64Array(size(ys));
  let offset = 0;
  parts.forEach((p, j) => {
    const s = shapes[j]!;
    for (let i = 0; i < p.length; i++)
      out[
        flat(
          coords(i, s).map((v, k) => (k === axis ? v + offset : v)),
          ys,
        )
      ] = p[i]!;
    offset += s[axis]!;
  });
  return out;
}

/** Mean over `axes`, keeping them as size 1. */
export function meanKeep(x: Float64Array, xs: Shape, axes: readonly number[]): Float64Array {
  const to = xs.map((d, k) => (axes.includes(k) ? 1 : d));
  return sumTo(x, xs, to).map((v) => (v * size(to)) / x.length);
}

/** Broadcast of g (size 1 on `axes`) back to xs, divided by the count: the mean's backward. */
export function meanKeepBackward(g: Float64Array, xs: Shape, axes: readonly number[]): Float64Array {
  const to = xs.map((d, k) => (axes.includes(k) ? 1 : d));
  return Float64Array.from({ length: size(xs) }, (_, i) => (at(g, to, coords(i, xs)) * size(to)) / size(xs));
}

// ---- softmax over one axis ----

/** For each row along `axis` (outer × C × inner), its flat indices. */
function rowsAlong(shape: Shape, axis: number): number[][] {
  const c = shape[axis]!;
  const inner = size(shape.slice(axis + 1));
  const outer = size(shape.slice(0, axis));
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) rows.push(Array.from({ length: c }, (_, q) => (o * c + q) * inner + j));
  return rows;
}

export function softmaxAxis(x: Float64Array, shape: Shape, axis: number, log = false): Float64Array {
  const out = new Float64Array(x.length);
  for (const row of rowsAlong(shape, axis)) {
    const m = Math.max(...row.map((i) => x[i]!));
    const lse = m + Math.log(row.reduce((s, i) => s + Math.exp(x[i]! - m), 0));
    for (const i of row) out[i] = log ? x[i]! - lse : Math.exp(x[i]! - lse);
  }
  return out;
}

/** From the forward output y: softmax dx = y (dy − Σ dy y); log-softmax dx = dy − exp(y) Σ dy. */
export function softmaxAxisBackward(
  y: Float64Array,
  dy: Float64Array,
  shape: Shape,
  axis: number,
  log = false,
): Float64Array {
  const out = new Float64Array(y.length);
  for (const row of rowsAlong(shape, axis)) {
    const d = row.reduce((s, i) => s + dy[i]! * (log ? 1 : y[i]!), 0);
    for (const i of row) out[i] = log ? dy[i]! - Math.exp(y[i]!) * d : y[i]! * (dy[i]! - d);
  }
  return out;
}
