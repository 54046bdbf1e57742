/**
 * Record once, replay many. A fixed-shape computation (a forward + backward of one chunk or step)
 * is recorded on its first run: every dispatch with its pipeline and bind group, and every copy,
 * clear and upload, in order. Later runs encode that list again, without the op layer (no program
 * keys, binding checks, uniform hashing, bind-group lookups, pool traffic or tape bookkeeping).
 *
 * What makes a replay correct: every buffer the recording touches holds the same role each time.
 * Its intermediates (pooled buffers taken or given back while recording) are held by it, out of
 * the pool, until it is disposed; its inputs and outputs are tensors of its own (a replay copies the
 * caller's inputs in and its outputs out to fresh tensors); everything else it reads (weights,
 * targets, uniforms) must stay alive and in place for as long as it is used, which callers
 * guarantee by keying a recording by those buffers and disposing it at the end of the call.
 */
import { Tensor } from '../tensor/tensor.js';
import type { Engine, Kernel } from './engine.js';

export type RecordedCommand =
  | { readonly kernel: Kernel; readonly group: GPUBindGroup; readonly workgroups: readonly [number, number, number] }
  | { readonly copy: readonly [GPUBuffer, number, GPUBuffer, number, number] }
  | { readonly clear: readonly [GPUBuffer, number, number] }
  | { readonly upload: readonly [GPUBuffer, Uint8Array, number] };

/** What one recording encoded, and the pooled buffers it holds. Made by `engine.record`. */
export interface Recording {
  readonly commands: readonly RecordedCommand[];
  readonly dispatches: number;
  dispose(): void;
}

/** A computation on fixed-shape tensors: recorded on its first run, replayed on every later one. */
export class Replayable {
  private state: { inputs: Tensor[]; outputs: Tensor[]; recording: Recording } | null = null;

  constructor(private readonly engine: Engine) {}

  /**
   * The outputs of `work(inputs)` as fresh tensors the caller owns: `work` runs (recorded) the
   * first time, and is replayed after; it must compute the same thing on every call.
   */
  run(inputs: readonly Tensor[], work: (inputs: readonly Tensor[]) => Tensor[]): Tensor[] {
    const engine = this.engine;
    if (engine.preparing || !engine.replays) return work(inputs); // a dry run records nothing
    let s = this.state;
    if (s && s.inputs.some((t, k) => t.size !== inputs[k]!.size)) throw new Error('Replayable: inputs changed shape (key recordings by shape)');
    if (!s) {
      const own = inputs.map((t) => Tensor.empty(engine, t.shape, 'replay input'));
      own.forEach((t, k) => engine.copy(inputs[k]!.buffer, 0, t.buffer, 0, t.byteLength));
      const { result, recording } = engine.record(() => work(own));
      s = this.state = { inputs: own, outputs: result, recording };
    } else {
      s.inputs.forEach((t, k) => engine.copy(inputs[k]!.buffer, 0, t.buffer, 0, t.byteLength));
      engine.replay(s.recording);
    }
    return s.outputs.map((o) => {
      const out = Tensor.empty(engine, o.shape, o.label);
      engine.copy(o.buffer, 0, out.buffer, 0, o.byteLength);
      return out;
    });
  }

  dispose(): void {
    if (!this.state) return;
    for (const t of [...this.state.inputs, ...this.state.outputs]) t.dispose();
    this.state.recording.dispose();
    this.state = null;
  }
}

/**
 * The recordings of one call (an explain), by key: at most one is kept, since each holds a whole
 * forward + backward's buffers; a new key (the last, shorter chunk; another image group) replaces it.
 */
export class ReplayCache {
  private current: { key: string; replay: Replayable } | null = null;

  constructor(private readonly engine: Engine) {}

  run(key: string, inputs: readonly Tensor[], work: (inputs: readonly Tensor[]) => Tensor[]): Tensor[] {
    if (this.current?.key !== key) {
      this.current?.replay.dispose();
      this.current = { key, replay: new Replayable(this.engine) };
    }
    return this.current.replay.run(inputs, work);
  }

  dispose(): void {
    this.current?.replay.dispose();
    this.current = null;
  }
}
