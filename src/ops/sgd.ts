/**
 * SGD step (PyTorch `torch.optim.SGD` semantics), in place on a parameter tensor:
 *   g = grad + weightDecay·p;  buf = momentum·buf + g;  p −= lr·buf.
 * The momentum buffer belongs to the caller (the optimizer); it must start at zero.
 * Shares shaders/optimizer.wgsl with Adam (src/ops/adam.ts).
 */
import source from '../../shaders/optimizer.wgsl';
import type { Engine } from '../gpu/engine.js';
import { checkShape, fail } from '../gpu/errors.js';
import { f32, renderShader } from '../gpu/wgsl.js';
import type { Tensor } from '../tensor/tensor.js';

const WG = 64;

export interface SgdHyper {
  lr: number;
  /** 0 disables the momentum buffer */
  momentum?: number;
  /** L2 penalty added to the gradient */
  weightDecay?: number;
}

/** Throw unless `value` is a finite number in [min, max) (max exclusive when given). */
export function checkHyper(op: string, name: string, value: number, min: number, max = Infinity, minExclusive = false): void {
  if (!Number.isFinite(value) || value < min || (minExclusive && value === min) || value >= max) {
    fail(`${op}: ${name} must be a finite number in ${minExclusive ? '(' : '['}${min}, ${max === Infinity ? '∞' : max}), got ${value}`);
  }
}

/** Grad and optimizer state must match the parameter's shape exactly. */
export function checkOperands(op: string, param: Tensor, others: Record<string, Tensor | null>): void {
  for (const [what, t] of Object.entries(others)) if (t) checkShape(op, what, t.shape, param.shape);
}

/** The uniform of one step: [lr, 1/√bc2, lr·decoupled decay, pad]. */
export function stepUniform(engine: Engine, lr: number, invSqrtBc2 = 1, decay = 0): GPUBuffer {
  return engine.uniform(new Float32Array([lr, invSqrtBc2, decay, 0]));
}

/** Record one SGD update of `param` in place (no readback). */
export function sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | null, hyper: SgdHyper): void {
  const op = 'sgdStep';
  const momentum = hyper.momentum ?? 0;
  const weightDecay = hyper.weightDecay ?? 0;
  checkHyper(op, 'lr', hyper.lr, 0, Infinity, true);
  checkHyper(op, 'momentum', momentum, 0, 1);
  checkHyper(op, 'weightDecay', weightDecay, 0);
  if (momentum > 0 && !momentumBuffer) fail(`${op}: momentum ${momentum} needs a momentum buffer`);
  checkOperands(op, param, { grad, momentumBuffer: momentum > 0 ? momentumBuffer : null });
  const engine = param.engine;
  const n = param.size;
  const useBuffer = momentum > 0;
  const key = `${n},${useBuffer ? momentum : 0},${weightDecay}`;
  const kernel = engine.kernel(op, key, () =>
    renderShader(source, { WG, N: n, ADAM: false, STATE1: useBuffer, MOMENTUM: f32(Math.fround(momentum)), WD: f32(Math.fround(weightDecay)), BETA1: '0.0', BETA2: '0.0', EPS: '0.0' }),
  );
  const bindings = [param.buffer, grad.buffer, stepUniform(engine, hyper.lr)];
  if (useBuffer) bindings.push(momentumBuffer!.buffer);
  engine.dispatch(kernel, bindings, engine.grid1d(n, WG));
  param.markWritten();
}
