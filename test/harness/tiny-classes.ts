/** A tiny classifier as ONNX and inputs for it, shared by the targets / baseline-set tests (issue #25). */
import { tinyOnnx } from './onnx-build.js';

export const N = 2;
export const X = Float32Array.from({ length: N * 16 }, (_, i) => 0.5 + 0.45 * Math.sin(1.7 * i + 0.3));
export const REFS = Float32Array.from({ length: 2 * 16 }, (_, i) => 0.5 + 0.4 * Math.cos(0.9 * i));
export const SET = Float32Array.from({ length: 3 * 16 }, (_, i) =>
  i % 16 === 0 ? 0 : 0.3 * Math.abs(Math.sin(0.7 * i)),
);
export const WEIGHTS = [0.5, 0.2, 0.3];

/** x [N, 1, 4, 4] → conv 3×3 (2 channels) → sigmoid → 3 classes, as ONNX bytes */
export function tinyBytes(): Uint8Array {
  const w = Array.from({ length: 18 }, (_, i) => Math.sin(2.3 * i + 1));
  const g = Array.from({ length: 3 * 32 }, (_, i) => Math.cos(1.3 * i));
  const bytes = tinyOnnx({
    inputs: [{ name: 'x', shape: ['N', 1, 4, 4] }],
    outputs: ['y'],
    initializers: [
      { name: 'w', shape: [2, 1, 3, 3], data: w },
      { name: 'g', shape: [3, 32], data: g },
    ],
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { op: 'Sigmoid', inputs: ['c'], outputs: ['s'] },
      { op: 'Flatten', inputs: ['s'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'g'], outputs: ['y'], attrs: [{ name: 'transB', type: 2, i: 1 }] },
    ],
  });
  return bytes;
}
