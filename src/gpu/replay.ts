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
  | { readonly kernel: Kernel; readonly group: GPUBindGroup; readonly workgroups: readonly [number, number, number]; readonly buffers: readonly GPUBuffer[] }
  | { readonly copy: readonly [GPUBuffer, number, GPUBuffer, number, number] }
  | { readonly clear: readonly [GPUBuffer, number, number] }
  | { readonly upload: readonly [GPUBuffer, Uint8Array, number] };

/** What one recording encoded; disposing it gives its held buffers back. Made by `engine.record`. */
export interface Recording {
  readonly commands: readonly RecordedCommand[];
  dispose(): void;
}

/** The buffers a command reads or writes. */
export function buffersOf(c: RecordedCommand): readonly GPUBuffer[] {
  return 'kernel' in c ? c.buffers : 'copy' in c ? [c.copy[0], c.copy[2]] : 'clear' in c ? [c.clear[0]] : [c.upload[0]];
}

/**
 * The recordings of one call (an explain, an IG2 search), by key. At most one is kept, since each
 * holds a whole forward + backward's buffers: a new key (the last, shorter chunk; another image
 * group) replaces it.
 */
export class ReplayCache {
  private current: { key: string; inputs: Tensor[]; outputs: Tensor[]; recording: Recording } | null = null;

  constructor(private readonly engine: Engine) {}

  /**
   * The outputs of `work(inputs)` as fresh tensors the caller owns: `work` runs (and is recorded)
   * for a new key and is replayed for the key of the call before. `work` must be synchronous and
   * compute the same thing on the same shapes for one key.
   */
  run(key: string, inputs: readonly Tensor[], work: (inputs: readonly Tensor[]) => Tensor[]): Tensor[] {
    const engine = this.engine;
    if (engine.preparing || !engine.replays) return work(inputs); // a dry run records nothing
    const copy = (from: readonly Tensor[], to: readonly Tensor[]) => from.forEach((t, k) => engine.copy(t.buffer, 0, to[k]!.buffer, 0, t.byteLength));
    let c = this.current;
    if (c?.key === key) {
      copy(inputs, c.inputs);
      engine.replay(c.recording);
    } else {
      this.dispose();
      const own = inputs.map((t) => Tensor.empty(engine, t.shape, 'replay input'));
      copy(inputs, own);
      const { result, recording } = engine.record(() => work(own));
      c = this.current = { key, inputs: own, outputs: result, recording };
    }
    const outputs = c.outputs.map((o) => Tensor.empty(engine, o.shape, o.label));
    copy(c.outputs, outputs);
    return outputs;
  }

  dispose(): void {
    if (!this.current) return;
    for (const t of [...this.current.inputs, ...this.current.outputs]) t.dispose();
    this.current.recording.dispose();
    this.current = null;
  }
}
