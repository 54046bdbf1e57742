/** The ONNX IR the decoder (decode.ts) hands the importer: nodes with plain attribute values, and initializers. */
import type { OnnxTensor } from './tensor.js';

export type OnnxAttribute = number | number[] | string | OnnxTensor;

export interface OnnxValueInfo {
  name: string;
  /** Symbolic or unknown dimensions (e.g. a named batch size) are -1. */
  shape: number[];
  /** TensorProto.DataType of its elements */
  elemType: number;
}

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxModel {
  opset: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
}
