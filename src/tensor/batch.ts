/**
 * Slicing and joining along the batch axis with buffer copies. Copies have no binding-size limit,
 * so they are how a batch too large for one storage binding is split and reassembled.
 */
import { fail, shapeStr } from '../errors.js';
import { Tensor } from './tensor.js';

export function sliceBatch(t: Tensor, start: number, count: number): Tensor {
  const n = t.shape[0]!;
  if (!(start >= 0 && count >= 0 && start + count <= n))
    fail(`sliceBatch: rows [${start}, ${start + count}) outside batch of ${n}`);
  const rowBytes = (t.size / n) * 4;
  const out = Tensor.empty(t.engine, [count, ...t.shape.slice(1)], t.label);
  t.engine.copy(t.buffer, start * rowBytes, out.buffer, 0, count * rowBytes);
  return out;
}

export function concatBatch(parts: readonly Tensor[]): Tensor {
  if (parts.length === 0) fail('concatBatch: nothing to join');
  const rest = parts[0]!.shape.slice(1);
  for (const p of parts) {
    if (p.shape.length !== rest.length + 1 || p.shape.slice(1).some((d, i) => d !== rest[i]))
      fail(`concatBatch: shape ${shapeStr(p.shape)} does not match [*, ${rest.join(', ')}]`);
  }
  const n = parts.reduce((s, p) => s + p.shape[0]!, 0);
  const engine = parts[0]!.engine;
  const out = Tensor.empty(engine, [n, ...rest], parts[0]!.label);
  let offset = 0;
  for (const p of parts) {
    engine.copy(p.buffer, 0, out.buffer, offset, p.byteLength);
    offset += p.byteLength;
  }
  return out;
}
