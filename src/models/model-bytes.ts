/**
 * The load-time limit (`maxModelBytes`): what an importer may allocate for a model's constant
 * tensors (decoded weights, folded constants, parameters it makes) — each one and their total —
 * and for one row of any activation. Checked from shapes before allocating, so a tiny file that
 * asks for a huge tensor (an Expand to [20000, 20000, 3], a Range to 3e8) is refused in
 * microseconds instead of filling memory. Not explain's `memoryBudgetBytes`, which bounds the GPU
 * work of one call. Environment-free.
 */
import { PathlightError } from '../errors.js';

export const DEFAULT_MAX_MODEL_BYTES = 2 ** 30;

/** A refusal by the limit (or a shape that is no shape); importers prefix it with the file and node. */
export class ModelBytesError extends PathlightError {}

const units = (bytes: number): string =>
  bytes >= 2 ** 30
    ? `${+(bytes / 2 ** 30).toPrecision(3)} GiB`
    : bytes >= 2 ** 20
      ? `${+(bytes / 2 ** 20).toPrecision(3)} MiB`
      : `${bytes} bytes`;

export class ModelBytes {
  readonly limit: number;
  private total = 0;

  constructor(limit: number = DEFAULT_MAX_MODEL_BYTES) {
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) {
      throw new PathlightError(`maxModelBytes must be a positive whole number of bytes, got ${String(limit)}`);
    }
    this.limit = limit;
  }

  /** Bytes of a tensor of `shape` (refused where the shape is not one: negative, fractional or non-finite sizes). */
  bytesOf(shape: ArrayLike<number>, bytesPerElement: number): number {
    let n = bytesPerElement;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      if (!(Number.isSafeInteger(d) && d >= 0))
        throw new ModelBytesError(
          `shape [${Array.from(shape).join(', ')}] has a size that is not a non-negative integer`,
        );
      n *= d;
    }
    return n;
  }

  /** Count a constant tensor of `shape` before it is allocated: refused over the limit, alone or with those before it. */
  reserve(shape: ArrayLike<number>, bytesPerElement: number): void {
    const bytes = this.bytesOf(shape, bytesPerElement);
    const what = `a tensor of shape [${Array.from(shape).join(', ')}] (${units(bytes)})`;
    if (bytes > this.limit)
      throw new ModelBytesError(
        `${what} exceeds maxModelBytes (${units(this.limit)}); raise it (maxModelBytes / --max-model-bytes) if the model really is this large`,
      );
    if (this.total + bytes > this.limit) {
      throw new ModelBytesError(
        `${what} brings the model's constant tensors to ${units(this.total + bytes)}, over maxModelBytes (${units(this.limit)}); raise it (maxModelBytes / --max-model-bytes) if the model really is this large`,
      );
    }
    this.total += bytes;
  }

  /** One row of an activation (float32): refused over the limit, a size the GPU could never hold. */
  checkActivation(rowShape: readonly number[]): void {
    const bytes = this.bytesOf(rowShape, 4);
    if (bytes > this.limit)
      throw new ModelBytesError(
        `its output of [N, ${rowShape.join(', ')}] needs ${units(bytes)} per row, over maxModelBytes (${units(this.limit)})`,
      );
  }
}
