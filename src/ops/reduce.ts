/** Deterministic sums over one axis (bias gradients, batch means, path-integral accumulation). */
import source from '../../shaders/reduce.wgsl';
import { WG } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor, sizeOf } from '../tensor/tensor.js';

/** Σ over `axis` (negative counts from the end); the result drops that axis. */
export function sumAxis(x: Tensor, axis: number): Tensor {
  return sumAxisMasked(x, axis);
}

/**
 * Σ over `axis` of x, or of x ⊙ [mask > 0] when `mask` (same shape) is given: the bias gradient
 * behind a relu without materialising the masked dy.
 */
export function sumAxisMasked(x: Tensor, axis: number, mask?: Tensor, op = 'sumAxis'): Tensor {
  const ax = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || ax < 0 || ax >= x.rank) fail(`${op}: axis ${axis} is out of range for shape ${shapeStr(x.shape)}`);
  if (mask && (mask.rank !== x.rank || mask.shape.some((d, i) => d !== x.shape[i]))) {
    fail(`${op}: mask has shape ${shapeStr(mask.shape)}, expected ${shapeStr(x.shape)}`);
  }
  const outer = sizeOf(x.shape.slice(0, ax));
  const r = x.shape[ax]!;
  const inner = sizeOf(x.shape.slice(ax + 1));
  const engine = x.engine;
  const out = Tensor.empty(engine, x.shape.filter((_, i) => i !== ax), op);
  const outputs = outer * inner;
  if (outputs === 0) return out;
  // Few outputs over a long axis: a workgroup per output keeps more lanes busy than one each.
  const sequential = outputs >= 4 * WG || r < 4 * WG;
  const sizes = Uint32Array.of(outer, r, inner);
  const grid = sequential ? engine.grid1d(outputs, WG) : engine.grid1d(outputs, 1);
  engine.run({ op, source, params: { SEQUENTIAL: sequential, MASK: !!mask }, bindings: { x, out, mask, sizes }, grid });
  return out;
}
