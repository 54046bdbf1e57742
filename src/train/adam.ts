/**
 * Adam / AdamW step (PyTorch `torch.optim.Adam` / `AdamW` semantics), in place on a parameter:
 *   Adam:  g = grad + weightDecay·p              (L2 penalty in the gradient)
 *   AdamW: p ← p − lr·weightDecay·p, g = grad     (decoupled decay)
 *   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε).
 * `m` and `v` belong to the caller (the optimizer) and must start at zero; `step` is t ≥ 1.
 */
import { fail } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkHyper, checkOperands, optimizerStep, type StepValues } from './sgd.js';

export interface AdamHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: weight decay applied to the parameter, not added to the gradient */
  decoupled?: boolean;
}

/** The `Step` values of Adam step t (counted from 1), validated; bias corrections in float64 on the CPU. */
export function adamStepValues(op: string, step: number, hyper: AdamHyper): StepValues {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, decoupled = false } = hyper;
  checkHyper(op, 'lr', lr, 0, Infinity, true);
  checkHyper(op, 'beta1', beta1, 0, 1);
  checkHyper(op, 'beta2', beta2, 0, 1);
  checkHyper(op, 'eps', eps, 0, Infinity, true);
  checkHyper(op, 'weightDecay', weightDecay, 0);
  if (!Number.isInteger(step) || step < 1) fail(`${op}: step must be an integer >= 1 (bias correction), got ${step}`);
  // β^t underflows gracefully and costs nothing on the CPU.
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  return {
    lr: lr / bc1,
    invSqrtBc2: 1 / Math.sqrt(bc2),
    decay: decoupled ? lr * weightDecay : 0,
    weightDecay: decoupled ? 0 : weightDecay,
    beta1,
    beta2,
    eps,
  };
}

/** Record one Adam update of `param` (step t, counted from 1) in place (no readback). */
export function adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, step: number, hyper: AdamHyper): void {
  const op = 'adamStep';
  const values = adamStepValues(op, step, hyper);
  checkOperands(op, param, { grad, m, v });
  optimizerStep(op, param, grad, { m, v }, values);
}
