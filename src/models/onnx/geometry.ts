/**
 * ONNX Conv / pooling attributes → the planar window of the 2-D kernels: kernel, strides,
 * dilations and pads per spatial axis, auto_pad resolved from the static input size, and a 1-D
 * window mapped to H = 1. Pure functions; the importer turns their errors into load-time errors.
 */
import type { OnnxAttribute } from './ir.js';

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** ONNX order: [begin per axis..., end per axis...] */
  pads: number[];
}

/** The planar window: [H, W] pairs, pads as [top, left, bottom, right] (a 1-D window has a unit H axis). */
export interface PlanarWindow {
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: [number, number] | [number, number, number, number];
}

export class WindowError extends Error {}

const ints = (v: OnnxAttribute | undefined): number[] | undefined =>
  Array.isArray(v) ? v : typeof v === 'number' ? [v] : undefined;

function perAxis(v: OnnxAttribute | undefined, axes: number, fallback: number, what: string): number[] {
  const values = ints(v) ?? new Array<number>(axes).fill(fallback);
  if (values.length !== axes)
    throw new WindowError(`${what} [${values.join(', ')}] should have ${axes} value(s) for a ${axes}-D kernel`);
  if (values.some((x) => !Number.isInteger(x) || x < (what === 'pads' ? 0 : 1)))
    throw new WindowError(
      `${what} [${values.join(', ')}] must be ${what === 'pads' ? 'non-negative' : 'positive'} integers`,
    );
  return values;
}

/**
 * The window of a Conv or pool over `spatial` input sizes. `kernel` is the kernel_shape (a Conv
 * takes it from its weight). auto_pad SAME_* pads so that output = ceil(input / stride), the odd
 * pixel at the end (UPPER) or the beginning (LOWER).
 */
export function onnxWindow(a: Record<string, OnnxAttribute>, kernel: number[], spatial: readonly number[]): Window {
  const axes = kernel.length;
  if (spatial.length !== axes)
    throw new WindowError(`a ${axes}-D kernel on an input with ${spatial.length} spatial axes`);
  const strides = perAxis(a.strides, axes, 1, 'strides');
  const dilations = perAxis(a.dilations, axes, 1, 'dilations');
  const autoPad = typeof a.auto_pad === 'string' ? a.auto_pad : 'NOTSET';
  let pads: number[];
  if (autoPad === 'NOTSET' || autoPad === '') pads = perAxis(a.pads, 2 * axes, 0, 'pads');
  else if (autoPad === 'VALID') pads = new Array<number>(2 * axes).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = new Array<number>(2 * axes).fill(0);
    for (let i = 0; i < axes; i++) {
      const out = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[axes + i] = total - pads[i]!;
    }
  } else throw new WindowError(`auto_pad "${autoPad}" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  return { kernel, strides, dilations, pads };
}

/** The window as the 2-D kernels' parameters; symmetric pads stay a pair. */
export function planarWindow(w: Window): PlanarWindow {
  const pair = (v: readonly number[], unit: number): [number, number] =>
    v.length === 1 ? [unit, v[0]!] : [v[0]!, v[1]!];
  const axes = w.kernel.length;
  const begin = pair(w.pads.slice(0, axes), 0);
  const end = pair(w.pads.slice(axes), 0);
  return {
    kernel: pair(w.kernel, 1),
    stride: pair(w.strides, 1),
    dilation: pair(w.dilations, 1),
    padding: begin[0] === end[0] && begin[1] === end[1] ? begin : [begin[0], begin[1], end[0], end[1]],
  };
}
