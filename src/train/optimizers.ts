/**
 * Optimizers over a model's parameter map. Each owns its state tensors (momentum, Adam's m and v),
 * created as zeros the first time a parameter gets a gradient, and records its updates into the
 * engine's command stream (sgd.ts, adam.ts): no readback, no submission.
 * Parameters without a gradient (e.g. batch-norm running statistics) are left untouched.
 */
import { fail } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { adamStep, type AdamHyper } from './adam.js';
import { sgdStep, type SgdHyper } from './sgd.js';

export type OptimizerName = 'sgd' | 'adam' | 'adamw';

export interface Optimizer {
  readonly name: OptimizerName;
  /** learning rate of the next step (a schedule may change it between steps) */
  lr: number;
  /** Record one update of every parameter that has a gradient. */
  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void;
  /** Free the state tensors. */
  dispose(): void;
}

/** Lazily created zero state per parameter name, shaped like the parameter. */
class StateTensors {
  private readonly tensors = new Map<string, Tensor>();

  get(name: string, like: Tensor, what: string): Tensor {
    let t = this.tensors.get(name);
    if (!t) {
      t = Tensor.zeros(like.engine, like.shape, `${what} ${name}`);
      this.tensors.set(name, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}

function paramFor(params: ReadonlyMap<string, Tensor>, name: string): Tensor {
  const p = params.get(name);
  if (!p) fail(`optimizer: gradient for unknown parameter '${name}'`);
  return p;
}

export class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  lr: number;
  private readonly momentumBuffers = new StateTensors();

  constructor(private readonly hyper: SgdHyper) {
    this.lr = hyper.lr;
  }

  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void {
    const hyper = { ...this.hyper, lr: this.lr };
    for (const [name, g] of grads) {
      const p = paramFor(params, name);
      const buf = (hyper.momentum ?? 0) > 0 ? this.momentumBuffers.get(name, p, 'momentum') : null;
      sgdStep(p, g, buf, hyper);
    }
  }

  dispose(): void {
    this.momentumBuffers.dispose();
  }
}

export class Adam implements Optimizer {
  readonly name: 'adam' | 'adamw';
  lr: number;
  /** steps taken so far (the bias correction's t is this + 1 at the next step) */
  steps = 0;
  private readonly m = new StateTensors();
  private readonly v = new StateTensors();

  constructor(private readonly hyper: AdamHyper) {
    this.lr = hyper.lr;
    this.name = hyper.decoupled ? 'adamw' : 'adam';
  }

  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void {
    this.steps++;
    const hyper = { ...this.hyper, lr: this.lr };
    for (const [name, g] of grads) {
      const p = paramFor(params, name);
      adamStep(p, g, this.m.get(name, p, 'adam m'), this.v.get(name, p, 'adam v'), this.steps, hyper);
    }
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

export interface OptimizerOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/** The optimizer named on the command line, with PyTorch's defaults for what is not given. */
export function createOptimizer(name: string, opts: OptimizerOptions): Optimizer {
  switch (name) {
    case 'sgd':
      return new Sgd({ lr: opts.lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 0 });
    case 'adam':
      return new Adam({ lr: opts.lr, weightDecay: opts.weightDecay ?? 0 });
    case 'adamw':
      return new Adam({ lr: opts.lr, weightDecay: opts.weightDecay ?? 0.01, decoupled: true });
    default:
      return fail(`unknown optimizer '${name}' (available: sgd, adam, adamw)`);
  }
}
