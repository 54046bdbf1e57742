/**
 * Optimizers over a model's parameter map. Each lays out the parameters that get gradients, their
 * gradients and its state (momentum, Adam's m and v) end to end (flat-parameters.ts, state zero at
 * first) and updates them all in one dispatch. A step's learning rate and bias corrections are a
 * uniform it writes at `beginStep`, so a captured step (trainer.ts) replays with the values of the
 * step being taken. Nothing is read back or submitted. Parameters without a gradient (batch-norm
 * running statistics) are left untouched.
 */
import { fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { USAGE } from '../gpu/pool.js';
import type { Tensor } from '../tensor/tensor.js';
import { adamStepValues, type AdamHyper } from './adam.js';
import { FlatParameters } from './flat-parameters.js';
import { recordOptimizer, sgdStepValues, stepUniform, type SgdHyper, type StepValues } from './sgd.js';

export type OptimizerName = 'sgd' | 'adam' | 'adamw';

export interface Optimizer {
  readonly name: OptimizerName;
  /** learning rate of the next step (a schedule may change it between steps) */
  lr: number;
  /**
   * Start the next step: write its learning rate (and bias corrections) into the step uniform, in
   * stream order. Call it outside a capture: a replayed step reads the uniform.
   */
  beginStep(engine: Engine): void;
  /** Record the update of the step begun, one dispatch for every parameter that has a gradient. */
  update(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void;
  /** `beginStep` and `update`. */
  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void;
  /** Free the state. */
  dispose(): void;
}

/** One update of all parameters at once; subclasses give the step's values and how much state. */
abstract class FlatOptimizer implements Optimizer {
  abstract readonly name: OptimizerName;
  private flat: FlatParameters | null = null;
  private uniform: { buffer: GPUBuffer; engine: Engine } | null = null;

  constructor(public lr: number) {}

  /** the `Step` uniform's values of the next step (validated), advancing any step count */
  protected abstract nextValues(): StepValues;
  /** state tensors per parameter value: 0, 1 (momentum) or 2 (m, v) */
  protected abstract get states(): number;

  beginStep(engine: Engine): void {
    const bytes = stepUniform(this.nextValues());
    if (this.uniform && this.uniform.engine !== engine) fail(`${this.name}: used with a second engine`);
    this.uniform ??= {
      engine,
      buffer: engine.device.createBuffer({
        size: bytes.byteLength,
        usage: USAGE.UNIFORM | USAGE.COPY_DST,
        label: `${this.name} step`,
      }),
    };
    engine.write(this.uniform.buffer, new Uint8Array(bytes));
  }

  update(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void {
    for (const name of grads.keys()) if (!params.has(name)) fail(`optimizer: gradient for unknown parameter '${name}'`);
    if (!this.uniform) fail(`${this.name}: update before beginStep`);
    if (grads.size === 0) return;
    const engine = params.get(grads.keys().next().value!)!.engine;
    if (this.flat && !this.flat.matches(grads))
      fail(
        `${this.name}: gradients for ${[...grads.keys()].join(', ')}, but its state is laid out for ${this.flat.names.join(', ')}`,
      );
    const flat = (this.flat ??= new FlatParameters(engine, params, [...grads.keys()], this.states));
    flat.gather(params, grads);
    const [m, v] = flat.state;
    recordOptimizer(`${this.name}Step`, flat.param, flat.grad, { m, v }, this.uniform.buffer, flat.total);
    flat.scatter(params);
  }

  step(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void {
    const first = params.values().next().value;
    if (!first) fail(`${this.name}: no parameters`);
    this.beginStep(first.engine);
    this.update(params, grads);
  }

  dispose(): void {
    this.flat?.dispose();
    this.flat = null;
    if (this.uniform) {
      this.uniform.engine.flush(); // recorded steps read it
      this.uniform.buffer.destroy();
    }
    this.uniform = null;
  }
}

export class Sgd extends FlatOptimizer {
  readonly name = 'sgd' as const;

  constructor(private readonly hyper: SgdHyper) {
    super(hyper.lr);
  }

  protected nextValues(): StepValues {
    return sgdStepValues('sgd', { ...this.hyper, lr: this.lr });
  }

  protected get states(): number {
    return (this.hyper.momentum ?? 0) > 0 ? 1 : 0;
  }
}

export class Adam extends FlatOptimizer {
  readonly name: 'adam' | 'adamw';
  /** steps begun so far (the bias correction's t) */
  steps = 0;

  constructor(private readonly hyper: AdamHyper) {
    super(hyper.lr);
    this.name = hyper.decoupled ? 'adamw' : 'adam';
  }

  protected nextValues(): StepValues {
    const values = adamStepValues(this.name, this.steps + 1, { ...this.hyper, lr: this.lr });
    this.steps++;
    return values;
  }

  protected get states(): number {
    return 2;
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
