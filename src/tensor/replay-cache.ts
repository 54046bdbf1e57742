/**
 * The captures of one call, made safe for tensors (src/gpu/capture.ts captures and replays the
 * commands themselves). What makes a replay correct: every buffer the capture touches holds the
 * same role each time. Its intermediates (pooled buffers taken or given back while capturing) are
 * held by it, out of the pool, until it is disposed; its inputs and outputs are tensors of its own
 * (a replay copies the caller's inputs in and its outputs out to fresh tensors); everything else it
 * reads (weights, targets, uniforms) must stay alive and in place for as long as it is used, which
 * callers guarantee by keying a capture by those buffers and disposing it at the end of the call.
 */
import type { Engine } from '../gpu/engine.js';
import type { Capture } from '../gpu/capture.js';
import { Tensor } from './tensor.js';

/**
 * The captures of one call (an explain, an IG2 search), by key. At most one is kept, since each
 * holds a whole forward + backward's buffers: a new key (the last, shorter chunk; another image
 * group) replaces it.
 */
export class ReplayCache {
  private current: { key: string; inputs: Tensor[]; outputs: Tensor[]; capture: Capture } | null = null;

  constructor(private readonly engine: Engine) {}

  /**
   * The outputs of `work(inputs)` as fresh tensors the caller owns: `work` runs (and is captured)
   * for a new key and is replayed for the key of the call before. `work` must be synchronous and
   * compute the same thing on the same shapes for one key.
   */
  run(key: string, inputs: readonly Tensor[], work: (inputs: readonly Tensor[]) => Tensor[]): Tensor[] {
    const engine = this.engine;
    if (!engine.replays) return work(inputs); // off, or a dry run (which captures nothing)
    const copy = (from: readonly Tensor[], to: readonly Tensor[]) =>
      from.forEach((t, k) => engine.copy(t.buffer, 0, to[k]!.buffer, 0, t.byteLength));
    let c = this.current;
    if (c?.key === key) {
      copy(inputs, c.inputs);
      engine.replay(c.capture);
    } else {
      this.dispose();
      const own = inputs.map((t) => Tensor.empty(engine, t.shape, 'replay input'));
      copy(inputs, own);
      const { result, capture } = engine.capture(() => work(own));
      c = this.current = { key, inputs: own, outputs: result, capture };
    }
    const outputs = c.outputs.map((o) => Tensor.empty(engine, o.shape, o.label));
    copy(c.outputs, outputs);
    return outputs;
  }

  dispose(): void {
    if (!this.current) return;
    for (const t of [...this.current.inputs, ...this.current.outputs]) t.dispose();
    this.current.capture.dispose();
    this.current = null;
  }
}
