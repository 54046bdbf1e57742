/**
 * The ONNX op table: op type → { build, fold? }, one entry per op in its family's file. `build`
 * maps the op onto graph nodes where an input is an activation; `fold` evaluates it where all its
 * inputs are constants. The importer (import.ts) only looks ops up here; SUPPORTED_OPS (what
 * the decoder accepts) and the foldable ops are read off the table.
 */
import type { OnnxNode } from '../ir.js';
import { FoldError, unlimited, type ConstValue } from '../fold.js';
import type { OnnxOp } from '../state.js';
import { CONSTANT_OPS } from './constants.js';
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LAYER_OPS } from './layers.js';
import { REDUCE_OPS } from './reduce.js';
import { VIEW_OPS } from './views.js';

export const ONNX_OPS: ReadonlyMap<string, OnnxOp> = new Map(
  Object.entries({ ...CONV_OPS, ...LAYER_OPS, ...ELEMENTWISE_OPS, ...VIEW_OPS, ...REDUCE_OPS, ...CONSTANT_OPS }),
);

/** Default-domain op types the decoder accepts (in alphabetical order). */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set([...ONNX_OPS.keys()].sort());

export const FOLDABLE_OPS: ReadonlySet<string> = new Set(
  [...ONNX_OPS].filter(([, op]) => op.fold).map(([name]) => name),
);

/**
 * Evaluate one node on constant inputs (undefined for an omitted optional input). Returns its
 * outputs, or throws FoldError naming the problem.
 */
export function foldNode(
  node: OnnxNode,
  inputs: (ConstValue | undefined)[],
  opset: number,
  reserve = unlimited,
): ConstValue[] {
  const fold = ONNX_OPS.get(node.opType)?.fold;
  if (!fold) throw new FoldError(`op ${node.opType} cannot be folded`);
  return fold({ x: inputs[0]!, inputs, a: node.attributes, node, opset, reserve });
}
