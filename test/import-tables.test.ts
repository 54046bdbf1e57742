/**
 * The importers' op tables (src/models/onnx/ops/, src/models/tfjs/ops/): the ops they list are the
 * ones the importers supported before they became tables, the derived sets agree with the entries,
 * and a lookup refuses as the old switch did. CPU only.
 */
import { describe, expect, it } from 'vitest';
import { FOLDABLE_OPS, foldNode, ONNX_OPS, SUPPORTED_OPS } from '../src/models/onnx/ops/index.js';
import { SUPPORTED_OPS as DECODED_OPS } from '../src/models/onnx/decode.js';
import { importOnnx } from '../src/models/onnx/import.js';
import type { OnnxModel } from '../src/models/onnx/ir.js';
import { FoldError } from '../src/models/onnx/fold.js';
import { TFJS_OPS, TFJS_SUPPORTED_OPS } from '../src/models/tfjs/ops/index.js';

const sorted = (names: Iterable<string>): string[] => [...names].sort();

describe('ONNX op table', () => {
  it('lists the 46 ops of the former SUPPORTED_OPS, and the decoder accepts exactly those', () => {
    const before = [
      'Conv',
      'Gemm',
      'MatMul',
      'Relu',
      'MaxPool',
      'AveragePool',
      'GlobalAveragePool',
      'BatchNormalization',
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Flatten',
      'Reshape',
      'Softmax',
      'LogSoftmax',
      'Identity',
      'Constant',
      'Dropout',
      'Clip',
      'Sigmoid',
      'Tanh',
      'HardSigmoid',
      'HardSwish',
      'LeakyRelu',
      'PRelu',
      'Elu',
      'Pad',
      'Concat',
      'ReduceMean',
      'Squeeze',
      'Unsqueeze',
      'Transpose',
      'Split',
      'Slice',
      'Shape',
      'Gather',
      'Cast',
      'ConstantOfShape',
      'Range',
      'Equal',
      'Where',
      'Neg',
      'Sqrt',
      'Pow',
      'Expand',
    ];
    expect(sorted(ONNX_OPS.keys())).toEqual(sorted(before));
    expect([...SUPPORTED_OPS]).toEqual(sorted(before));
    expect(DECODED_OPS).toBe(SUPPORTED_OPS);
  });

  it('folds the 24 ops of the former FOLDABLE_OPS; the ops without build are the fold-only ones (and Constant, decoded away)', () => {
    const before = [
      'Identity',
      'Cast',
      'Shape',
      'Gather',
      'Unsqueeze',
      'Squeeze',
      'Concat',
      'Slice',
      'Transpose',
      'Reshape',
      'Flatten',
      'ConstantOfShape',
      'Range',
      'Equal',
      'Where',
      'Add',
      'Sub',
      'Mul',
      'Div',
      'Neg',
      'Sqrt',
      'Pow',
      'Expand',
      'Dropout',
    ];
    expect(sorted(FOLDABLE_OPS)).toEqual(sorted(before));
    const noBuild = [...ONNX_OPS].filter(([, op]) => !op.build).map(([name]) => name);
    expect(sorted(noBuild)).toEqual(sorted(['Constant', 'ConstantOfShape', 'Range', 'Equal', 'Where', 'Sqrt', 'Pow']));
  });

  it('refuses a fold-only or unknown op on an activation with the former switch default, and foldNode an op without fold', () => {
    const graph = (opType: string): OnnxModel => ({
      opset: 13,
      inputs: [{ name: 'x', shape: [-1, 4], elemType: 1 }],
      outputs: [{ name: 'y', shape: [-1, 4], elemType: 1 }],
      nodes: [{ name: 'n', opType, inputs: ['x'], outputs: ['y'], attributes: {} }],
      initializers: new Map(),
    });
    for (const op of ['Sqrt', 'Foo', 'constructor']) {
      expect(() => importOnnx(graph(op))).toThrow(
        `node "n" (${op}): op ${op} reads an activation; it is only folded where all its inputs are constants`,
      );
    }
    const x = { shape: [1], data: Float32Array.of(1), dtype: 'float' as const };
    expect(() => foldNode(graph('Conv').nodes[0]!, [x], 13)).toThrow(FoldError);
    expect(() => foldNode(graph('Conv').nodes[0]!, [x], 13)).toThrow('op Conv cannot be folded');
    expect(foldNode(graph('Neg').nodes[0]!, [x], 13)[0]!.data).toEqual(Float32Array.of(-1));
  });
});

describe('TF.js op table', () => {
  it('lists the 35 ops the importer took before it became a table', () => {
    const before = [
      'Const',
      'Placeholder',
      'Identity',
      'StopGradient',
      'Snapshot',
      'Softmax',
      'Sigmoid',
      'Relu',
      'Relu6',
      'Tanh',
      'Elu',
      'LeakyRelu',
      'Prelu',
      'Conv2D',
      '_FusedConv2D',
      'DepthwiseConv2dNative',
      'FusedDepthwiseConv2dNative',
      'MatMul',
      '_FusedMatMul',
      'BiasAdd',
      'Add',
      'AddV2',
      'Sub',
      'Mul',
      'RealDiv',
      'FusedBatchNorm',
      'FusedBatchNormV3',
      'MaxPool',
      'AvgPool',
      'Mean',
      'Reshape',
      'Squeeze',
      'Pad',
      'PadV2',
      'ConcatV2',
    ];
    expect([...TFJS_SUPPORTED_OPS]).toEqual(sorted(before));
    expect(sorted([...TFJS_OPS].filter(([, op]) => op.passThrough).map(([name]) => name))).toEqual([
      'Identity',
      'Snapshot',
      'StopGradient',
    ]);
  });
});
