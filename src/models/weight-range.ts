/**
 * Weights at the edge of float32, checked by the importers (ONNX, TF.js) so that the file and the
 * tensor are named: a weight holding ±Inf (a value beyond float32's range: a float32 fold that
 * overflowed, a dequantisation past the limit) or NaN is refused, as the GPU upload would refuse
 * it anyway, without the file; a finite weight within a factor 2^24 of float32's largest value
 * gets a note, since a forward through it overflows to ±Inf on ordinary inputs.
 */
import { PathlightError } from '../errors.js';

const FLOAT32_MAX = 3.4028234663852886e38;
/** |w| above this: a product with an input of 2^24 or a sum of 2^24 such terms overflows */
const NEAR_MAX = FLOAT32_MAX / 2 ** 24;

/** Refuses (a PathlightError without file) non-finite values; returns a note for values near float32's limit, else null. */
export function weightRangeNote(name: string, data: Float32Array): string | null {
  let largest = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const kind = Number.isNaN(v) ? 'NaN' : `${v} (beyond float32's range, ±${FLOAT32_MAX.toPrecision(5)})`;
      throw new PathlightError(`weight '${name}' holds ${kind} at index ${i}; the model's outputs would not be finite`);
    }
    largest = Math.max(largest, Math.abs(v));
  }
  if (largest <= NEAR_MAX) return null;
  return `weight '${name}' holds values up to ${largest.toPrecision(3)}, near float32's limit (${FLOAT32_MAX.toPrecision(3)}): outputs may overflow to ±Inf`;
}

/**
 * Every parameter of an import checked by weightRangeNote: its notes added to `notes`, a refusal
 * raised through the importer's `fail` (which names the file).
 */
export function checkWeightRanges(
  params: Iterable<[string, { data: Float32Array }]>,
  notes: string[],
  fail: (message: string) => never,
): void {
  for (const [name, p] of params) {
    try {
      const note = weightRangeNote(name, p.data);
      if (note) notes.push(note);
    } catch (e) {
      fail((e as Error).message);
    }
  }
}
