/** ONNX ops that make constants: Constant (decoded into an initializer, decode.ts), ConstantOfShape and Range (folded). */
import type { OnnxTensor } from '../tensor.js';
import { count, FoldError, noBatch, type ConstValue, type FoldArgs } from '../fold.js';
import type { OnnxOp } from '../state.js';

function foldConstantOfShape({ x, a, reserve }: FoldArgs): ConstValue[] {
  noBatch([x], 'ConstantOfShape');
  const value = a.value as OnnxTensor | undefined;
  const shape = Array.from(x.data);
  const fill = value ? value.data[0]! : 0;
  reserve(shape, value && value.dtype !== 'float' ? 8 : 4);
  const n = count(shape);
  return [
    {
      shape,
      data: value && value.dtype !== 'float' ? new Float64Array(n).fill(fill) : new Float32Array(n).fill(fill),
      dtype: value?.dtype ?? 'float',
    },
  ];
}

function foldRange({ x, inputs, reserve }: FoldArgs): ConstValue[] {
  noBatch(inputs, 'Range');
  const [start, limit, delta] = inputs.map((t) => t!.data[0]!) as [number, number, number];
  if (![start, limit, delta].every(Number.isFinite) || delta === 0)
    throw new FoldError(
      `Range(${start}, ${limit}, ${delta}) needs a finite start and limit and a finite, non-zero delta`,
    );
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  reserve([n], 8);
  const data = Float64Array.from({ length: n }, (_, i) => start + i * delta);
  return [{ shape: [n], data: x.dtype === 'float' ? Float32Array.from(data) : data, dtype: x.dtype }];
}

export const CONSTANT_OPS: Record<string, OnnxOp> = {
  Constant: {},
  ConstantOfShape: { fold: foldConstantOfShape },
  Range: { fold: foldRange },
};
