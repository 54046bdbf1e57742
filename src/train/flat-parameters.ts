/**
 * Every parameter that gets a gradient, laid end to end in one buffer (a table of offsets by name),
 * with its gradient and the optimizer's state laid out the same way, so that one dispatch updates
 * them all (optimizers.ts). Each step copies the parameters and gradients in and the parameters
 * back (buffer copies, no dispatches): the model keeps its own tensors, which every op binds whole.
 * The buffers are new device buffers, which WebGPU fills with zeros: creating them encodes nothing,
 * so the state starts at zero even when the first step is being captured (trainer.ts).
 */
import { checkShape, fail } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { STORAGE_USAGE } from '../gpu/pool.js';
import { Tensor } from '../tensor/tensor.js';

/** A zero-filled tensor of `n` values on a buffer of its own (destroyed on dispose). */
function zeroedTensor(engine: Engine, n: number, label: string): Tensor {
  const buffer = engine.device.createBuffer({ size: Math.max(4, n * 4), usage: STORAGE_USAGE, label });
  return Tensor.wrap(engine, buffer, [n], { label, release: () => buffer.destroy() });
}

export class FlatParameters {
  /** parameter names in layout order, and where each starts (in values) */
  readonly names: readonly string[];
  readonly offsets: readonly number[];
  readonly total: number;
  readonly param: Tensor;
  readonly grad: Tensor;
  /** optimizer state (momentum; Adam's m and v), as many as asked for */
  readonly state: readonly Tensor[];

  constructor(engine: Engine, params: ReadonlyMap<string, Tensor>, names: readonly string[], states: number) {
    this.names = [...names].sort();
    const offsets: number[] = [];
    let total = 0;
    for (const name of this.names) (offsets.push(total), (total += params.get(name)!.size));
    this.offsets = offsets;
    this.total = total;
    if (total * 4 > engine.limits.maxStorageBufferBindingSize)
      fail(
        `optimizer: ${total} parameter values exceed one storage binding (${engine.limits.maxStorageBufferBindingSize} bytes)`,
      );
    this.param = zeroedTensor(engine, total, 'flat parameters');
    this.grad = zeroedTensor(engine, total, 'flat gradients');
    this.state = Array.from({ length: states }, (_, k) => zeroedTensor(engine, total, `optimizer state ${k}`));
  }

  /** Whether these gradients are the layout's parameters (names only; shapes are checked by gather). */
  matches(grads: ReadonlyMap<string, Tensor>): boolean {
    return grads.size === this.names.length && this.names.every((n) => grads.has(n));
  }

  /** Copy every parameter and its gradient into place. */
  gather(params: ReadonlyMap<string, Tensor>, grads: ReadonlyMap<string, Tensor>): void {
    this.names.forEach((name, k) => {
      const p = params.get(name)!;
      const g = grads.get(name)!;
      checkShape('optimizer', `gradient of '${name}'`, g.shape, p.shape);
      const engine = p.engine;
      engine.copy(p.buffer, 0, this.param.buffer, this.offsets[k]! * 4, p.byteLength);
      engine.copy(g.buffer, 0, this.grad.buffer, this.offsets[k]! * 4, g.byteLength);
    });
  }

  /** Copy the updated values back into the parameters; their derived forms (packed conv weights) are stale now. */
  scatter(params: ReadonlyMap<string, Tensor>): void {
    this.names.forEach((name, k) => {
      const p = params.get(name)!;
      p.engine.copy(this.param.buffer, this.offsets[k]! * 4, p.buffer, 0, p.byteLength);
      p.markWritten();
    });
  }

  dispose(): void {
    for (const t of [this.param, this.grad, ...this.state]) t.dispose();
  }
}
