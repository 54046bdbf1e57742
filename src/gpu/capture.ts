/**
 * Capture once, replay many. A fixed-shape computation (a forward + backward of one chunk or step)
 * is captured on its first run (`engine.capture`): every dispatch with its pipeline and bind group,
 * and every copy, clear and upload, in order. Later runs encode that list again (`engine.replay`),
 * without the op layer (no program keys, binding checks, uniform hashing, bind-group lookups, pool
 * traffic or tape bookkeeping). "Record" keeps its one meaning: encoding into the command stream.
 * The cache that makes this safe with tensors (src/tensor/replay-cache.ts) stands above tensor/.
 */
import type { Kernel } from './program.js';

export type CapturedCommand =
  | {
      readonly kernel: Kernel;
      readonly group: GPUBindGroup;
      readonly workgroups: readonly [number, number, number];
      readonly buffers: readonly GPUBuffer[];
    }
  | { readonly copy: readonly [GPUBuffer, number, GPUBuffer, number, number] }
  | { readonly clear: readonly [GPUBuffer, number, number] }
  | { readonly upload: readonly [GPUBuffer, Uint8Array, number] };

/** What one capture encoded; disposing it gives its held buffers back. Made by `engine.capture`. */
export interface Capture {
  readonly commands: readonly CapturedCommand[];
  dispose(): void;
}

/** @deprecated since 0.2: the replay meaning of "record" is now "capture"; use `Capture`. */
export type Recording = Capture;
/** @deprecated since 0.2: use `CapturedCommand`. */
export type RecordedCommand = CapturedCommand;

/** The buffers a command reads or writes. */
export function buffersOf(c: CapturedCommand): readonly GPUBuffer[] {
  return 'kernel' in c ? c.buffers : 'copy' in c ? [c.copy[0], c.copy[2]] : 'clear' in c ? [c.clear[0]] : [c.upload[0]];
}
