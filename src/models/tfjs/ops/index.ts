/** The TF.js op table: op name → its entry, one per op in its family's file; the importer (import.ts) only looks ops up here. */
import type { TfjsOp } from '../state.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { GRAPH_OPS } from './graph.js';
import { LAYER_OPS } from './layers.js';
import { SHAPE_OPS } from './shape.js';

export const TFJS_OPS: ReadonlyMap<string, TfjsOp> = new Map(
  Object.entries({ ...GRAPH_OPS, ...ELEMENTWISE_OPS, ...LAYER_OPS, ...SHAPE_OPS }),
);

/** The op names the TF.js importer supports. */
export const TFJS_SUPPORTED_OPS: ReadonlySet<string> = new Set([...TFJS_OPS.keys()].sort());
