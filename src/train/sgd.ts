/**
 * SGD step (PyTorch `torch.optim.SGD` semantics), in place on a parameter tensor:
 *   g = grad + weightDecay·p;  buf = momentum·buf + g;  p −= lr·buf.
 * The momentum buffer belongs to the caller (the optimizer); it must start at zero.
 * Shares shaders/train/optimizer.wgsl with Adam (adam.ts).
 */
import source from '../../shaders/train/optimizer.wgsl';
import { checkShape, fail } from '../errors.js';
import { uniformBytes } from '../gpu/program.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SgdHyper {
  lr: number;
  /** 0 disables the momentum buffer */
  momentum?: number;
  /** L2 penalty added to the gradient */
  weightDecay?: number;
}

/** Throw unless `value` is a finite number in [min, max) (max exclusive when given). */
export function checkHyper(
  op: string,
  name: string,
  value: number,
  min: number,
  max = Infinity,
  minExclusive = false,
): void {
  if (!Number.isFinite(value) || value < min || (minExclusive && value === min) || value >= max) {
    fail(
      `${op}: ${name} must be a finite number in ${minExclusive ? '(' : '['}${min}, ${max === Infinity ? '∞' : max}), got ${value}`,
    );
  }
}

/** Grad and optimizer state must match the parameter's shape exactly. */
export function checkOperands(op: string, param: Tensor, others: Record<string, Tensor | null>): void {
  for (const [what, t] of Object.entries(others)) if (t) checkShape(op, what, t.shape, param.shape);
}

/** The fields of optimizer.wgsl's `Step` uniform; what a method does not use stays 0. */
export interface StepValues {
  lr: number;
  invSqrtBc2?: number;
  decay?: number;
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** The `Step` uniform's bytes (optimizer.wgsl). */
export function stepUniform(s: StepValues): ArrayBuffer {
  const f = (v = 0): ['f32', number] => ['f32', v];
  return uniformBytes([
    f(s.lr),
    f(s.invSqrtBc2),
    f(s.decay),
    f(s.momentum),
    f(s.weightDecay),
    f(s.beta1),
    f(s.beta2),
    f(s.eps),
  ]);
}

/**
 * Record one optimizer update of the first `n` values of `param` in place; `hp` is the `Step`
 * uniform, as bytes or a buffer the caller writes. The binding's size is the kernel's size, so one
 * pipeline per variant (SGD, SGD with momentum, Adam) serves every parameter of every model.
 */
export function recordOptimizer(
  op: string,
  param: Tensor,
  grad: Tensor,
  state: { m?: Tensor; v?: Tensor },
  hp: ArrayBuffer | GPUBuffer,
  n: number,
): void {
  const params = { ADAM: !!state.v, STATE1: !!state.m };
  const range = { buffer: param.buffer, offset: 0, bytes: n * 4 };
  const bindings = { param: range, grad, hp, m: state.m, v: state.v };
  param.engine.run({ op, source, params, bindings, grid: { threads: n } });
}

/** Record one optimizer step of `param` in place; its cached derived forms (packed conv weights) are stale after it. */
export function optimizerStep(
  op: string,
  param: Tensor,
  grad: Tensor,
  state: { m?: Tensor; v?: Tensor },
  s: StepValues,
): void {
  recordOptimizer(op, param, grad, state, stepUniform(s), param.size);
  param.markWritten();
}

/** The `Step` values of an SGD update (validated). */
export function sgdStepValues(op: string, hyper: SgdHyper): StepValues {
  const momentum = hyper.momentum ?? 0;
  const weightDecay = hyper.weightDecay ?? 0;
  checkHyper(op, 'lr', hyper.lr, 0, Infinity, true);
  checkHyper(op, 'momentum', momentum, 0, 1);
  checkHyper(op, 'weightDecay', weightDecay, 0);
  return { lr: hyper.lr, momentum, weightDecay };
}

/** Record one SGD update of `param` in place (no readback). */
export function sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, hyper: SgdHyper): void {
  const op = 'sgdStep';
  const values = sgdStepValues(op, hyper);
  const momentum = values.momentum!;
  if (momentum > 0 && !momentumBuffer) fail(`${op}: momentum ${momentum} needs a momentum buffer`);
  checkOperands(op, param, { grad, momentumBuffer: momentum > 0 ? momentumBuffer : null });
  optimizerStep(op, param, grad, { m: momentum > 0 ? momentumBuffer! : undefined }, values);
}
