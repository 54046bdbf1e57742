/**
 * Baselines x' in the model's input space. "Black"/"white" take per-channel values because a
 * model fed normalised tensors has black at −mean/std, not 0 (Captum #428).
 */
import { gaussianBlur } from './blur.js';

export interface UniformSource {
  uniform(n: number, lo?: number, hi?: number): Float64Array;
}

export type BaselineSpec =
  | { kind: 'black'; channelValues?: readonly number[] } // default 0 in every channel
  | { kind: 'white'; channelValues?: readonly number[] } // default 1 in every channel
  | { kind: 'uniform'; rng: UniformSource; lo?: number; hi?: number } // default U[0, 1)
  | { kind: 'blur'; sigma: number } // gaussianBlur(x, σ)
  | { kind: 'array'; data: Float64Array };

export function makeBaseline(
  spec: BaselineSpec,
  x: Float64Array,
  shape: readonly [number, number, number],
): Float64Array {
  const [c, h, w] = shape;
  const d = c * h * w;
  if (x.length !== d) throw new Error(`makeBaseline: input length ${x.length} != ${c}·${h}·${w}`);
  switch (spec.kind) {
    case 'black':
      return perChannel(shape, spec.channelValues ?? new Array<number>(c).fill(0));
    case 'white':
      return perChannel(shape, spec.channelValues ?? new Array<number>(c).fill(1));
    case 'uniform':
      return spec.rng.uniform(d, spec.lo ?? 0, spec.hi ?? 1);
    case 'blur':
      return gaussianBlur(x, shape, spec.sigma);
    case 'array':
      if (spec.data.length !== d) throw new Error(`makeBaseline: array length ${spec.data.length} != ${d}`);
      return Float64Array.from(spec.data);
  }
}

function perChannel(shape: readonly [number, number, number], values: readonly number[]): Float64Array {
  const [c, h, w] = shape;
  if (values.length !== c) throw new Error(`makeBaseline: ${values.length} channel values for ${c} channels`);
  const out = new Float64Array(c * h * w);
  for (let ch = 0; ch < c; ch++) out.fill(values[ch]!, ch * h * w, (ch + 1) * h * w);
  return out;
}
