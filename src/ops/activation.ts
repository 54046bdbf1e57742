/**
 * Pointwise activations and their backward (from the input x), all through the elementwise
 * template: one WGSL expression per function, its constants baked as literals. PRelu's slope is
 * a tensor broadcast against x (broadcast.ts). Gradients at the kinks follow PyTorch: clamp
 * passes dy where min ≤ x ≤ max, hardsigmoid only strictly inside, leakyrelu / elu / prelu take
 * the x ≤ 0 branch at 0.
 */
import { fail } from '../errors.js';
import { f32 } from '../gpu/wgsl.js';
import type { Tensor } from '../tensor/tensor.js';
import { elementwise } from './elementwise.js';
import { mul } from './arithmetic.js';
import { broadcastMap, sumTo } from './broadcast.js';

export type UnaryOp =
  | { fn: 'sigmoid' }
  | { fn: 'tanh' }
  | { fn: 'clip'; min: number; max: number }
  | { fn: 'hardsigmoid'; alpha: number; beta: number }
  | { fn: 'hardswish' }
  | { fn: 'leakyrelu'; alpha: number }
  | { fn: 'elu'; alpha: number }
  | { fn: 'silu' };

/** [forward(x), backward(x, y = dy)] in WGSL; `z` is the zero of the lane type (f32 or vec4). */
function expressions(op: UnaryOp, z: string): [string, string] {
  const sig = '1.0 / (1.0 + exp(-x))';
  switch (op.fn) {
    case 'sigmoid':
      return [sig, 'y / ((1.0 + exp(-x)) * (1.0 + exp(x)))'];
    case 'tanh':
      return ['tanh(x)', 'y * (1.0 - tanh(x) * tanh(x))'];
    case 'silu': // x σ(x); d/dx = σ(x) (1 + x (1 − σ(x)))
      return [`x * ${sig}`, `y * (1.0 + x / (1.0 + exp(x))) * ${sig}`];
    case 'hardswish': // x · clamp(x/6 + 1/2, 0, 1)
      return [
        `x * clamp(x / 6.0 + 0.5, ${z}, ${z} + 1.0)`,
        `select(select(y * (x / 3.0 + 0.5), y, x > ${z} + 3.0), ${z}, x < ${z} - 3.0)`,
      ];
    case 'leakyrelu':
      return [`select(x * ${f32(op.alpha)}, x, x > ${z})`, `select(y * ${f32(op.alpha)}, y, x > ${z})`];
    case 'elu':
      return [
        `select(${f32(op.alpha)} * (exp(x) - 1.0), x, x > ${z})`,
        `select(y * ${f32(op.alpha)} * exp(x), y, x > ${z})`,
      ];
    case 'hardsigmoid': {
      const t = `(${f32(op.alpha)} * x + ${f32(op.beta)})`;
      return [
        `clamp(${t}, ${z}, ${z} + 1.0)`,
        `select(${z}, y * ${f32(op.alpha)}, (${t} > ${z}) & (${t} < ${z} + 1.0))`,
      ];
    }
    case 'clip': {
      // an infinite bound is no bound
      const lo = Number.isFinite(op.min) ? f32(op.min) : null;
      const hi = Number.isFinite(op.max) ? f32(op.max) : null;
      const f =
        hi === null
          ? lo === null
            ? 'x'
            : `max(x, ${z} + ${lo})`
          : lo === null
            ? `min(x, ${z} + ${hi})`
            : `clamp(x, ${z} + ${lo}, ${z} + ${hi})`;
      const inside = [lo && `(x >= ${z} + ${lo})`, hi && `(x <= ${z} + ${hi})`].filter(Boolean);
      return [f, inside.length ? `select(${z}, y, ${inside.join(' & ')})` : 'y'];
    }
  }
}

/** The numeric attributes of each function. */
const ATTRIBUTES: Record<UnaryOp['fn'], string[]> = {
  sigmoid: [],
  tanh: [],
  hardswish: [],
  silu: [],
  clip: ['min', 'max'],
  hardsigmoid: ['alpha', 'beta'],
  leakyrelu: ['alpha'],
  elu: ['alpha'],
};

/** Throws (through `reject`: the graph's shape check names the node) unless op is a known function with valid attributes. */
export function checkUnary(op: UnaryOp, reject: (message: string) => never = fail): void {
  const attrs = ATTRIBUTES[op.fn] as string[] | undefined;
  if (!attrs) reject(`activation: unknown function ${JSON.stringify(op.fn)}`);
  for (const k of attrs) {
    const v = (op as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'number' || Number.isNaN(v) || (op.fn !== 'clip' && !Number.isFinite(v)))
      reject(`${op.fn}: ${k} must be a ${op.fn === 'clip' ? 'number' : 'finite number'}, got ${String(v)}`);
  }
  if (op.fn === 'clip' && !(op.min <= op.max)) reject(`clip: min ${op.min} is above max ${op.max}`);
}

export function unary(x: Tensor, op: UnaryOp): Tensor {
  checkUnary(op);
  return elementwise(op.fn, (z) => expressions(op, z)[0], x);
}

/** dx = dy ⊙ f'(x), from the forward input. */
export function unaryBackward(x: Tensor, dy: Tensor, op: UnaryOp): Tensor {
  checkUnary(op);
  return elementwise(`${op.fn}Backward`, (z) => expressions(op, z)[1], x, dy);
}

/** PRelu: x where x > 0, else slope ⊙ x, the slope broadcast against x (same rank). */
export function prelu(x: Tensor, slope: Tensor): Tensor {
  return broadcastMap('prelu', (z) => `select(x * y, x, x > ${z})`, x, slope);
}

/** dx = dy ⊙ (x > 0 ? 1 : slope); dslope = Σ over the broadcast axes of dy ⊙ min(x, 0) (when wanted). */
export function preluBackward(
  x: Tensor,
  slope: Tensor,
  dy: Tensor,
  wantSlope: boolean,
): { dx: Tensor; dslope: Tensor | null } {
  const m = broadcastMap('preluBackward', (z) => `select(y, ${z} + 1.0, x > ${z})`, x, slope);
  const dx = mul(dy, m);
  m.dispose();
  if (!wantSlope) return { dx, dslope: null };
  const t = elementwise('preluBackward', (z) => `y * min(x, ${z})`, x, dy);
  const dslope = sumTo(t, slope.shape, 1, 'preluBackward');
  t.dispose();
  return { dx, dslope };
}
