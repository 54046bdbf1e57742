/** The float64 model contract every CPU reference method is written against. */

/** A differentiable model on one image x (flattened NCHW of one sample, length D = C·H·W) */
export interface RefModel {
  shape: readonly [number, number, number]; // [C, H, W]; non-image models pass their row shape through a cast (only its product is read by the methods)
  numClasses: number;
  logits(x: Float64Array): Float64Array; // [numClasses]
  /** gradient of the explained scalar: the target logit, or softmax prob when output = 'prob' */
  grad(x: Float64Array, target: number, output: 'logit' | 'prob'): Float64Array;
  /** representation fed to the final linear layer (IG2) and the vector-Jacobian product vᵀ·∂rep/∂x */
  rep(x: Float64Array): Float64Array;
  repVjp(x: Float64Array, v: Float64Array): Float64Array;
}

export type ExplainedOutput = 'logit' | 'prob';

/** What every method needs to know about the scalar it explains. */
export interface TargetOptions {
  target: number;
  /** 'logit' (default) or the target's softmax probability. */
  output?: ExplainedOutput;
}

/** Numerically stable softmax (max subtracted first). */
export function softmax(logits: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The explained scalar f(x): the target logit, or its softmax probability. */
export function explained(m: RefModel, x: Float64Array, target: number, output: 'logit' | 'prob'): number {
  const z = m.logits(x);
  return output === 'prob' ? softmax(z)[target]! : z[target]!;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Throws unless `x` has exactly D = C·H·W entries (catches NCHW/NHWC and batch mix-ups early). */
export function checkInput(m: RefModel, x: Float64Array, label: string): void {
  const d = m.shape.reduce((a, b) => a * b, 1);
  if (x.length !== d)
    throw new Error(`${label}: length ${x.length} != ${d} features for shape [${m.shape.join(', ')}]`);
}
