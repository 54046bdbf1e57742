/**
 * Inference-time graph rewriting, shared by the zoo (BN kept for training) and the ONNX importer
 * (which emits one node per ONNX op): fold a BatchNorm into the conv before it, fuse a ReLU into
 * the conv/linear/add/batchnorm it follows, and turn `add(conv(x), r)` into the conv's residual
 * epilogue, and let a max pool of a relu epilogue's output carry the relu's backward mask in its
 * argmax. Each fusion removes a kernel (and an activation) per forward or per backward.
 * A fusion only applies when the producer's output has no other reader. Works on CPU arrays.
 */
import { foldBatchNorm } from '../ops/batch-norm.js';
import { nodeInputs, nodeParams, type GraphNode } from '../nn/graph.js';
import { Model, type ModelInfo } from '../nn/model.js';
import { inferShapes } from '../nn/shapes.js';
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';

export interface ParamValue {
  shape: number[];
  data: Float32Array;
}

export type ParamValues = Map<string, ParamValue>;

/** A model that is not on the GPU yet: graph, parameter values and description. */
export interface ModelSpec {
  nodes: GraphNode[];
  params: ParamValues;
  info: ModelInfo;
  /** the file's own names for node outputs (ONNX values, TF.js nodes), beside the node names */
  valueNames?: ReadonlyMap<string, number>;
  /** set by fuseModel: the spec it fused, and the node holding each of its nodes' outputs (null: fused away) */
  fusedFrom?: { spec: ModelSpec; at: readonly (number | null)[] };
}

export interface FuseOptions {
  /** fold batch norms into the conv before them (default true) */
  batchNorm?: boolean;
  /** fuse relu nodes and `add(conv, r)` into epilogues, relu backward masks into max pools (default true) */
  epilogues?: boolean;
  /** nodes whose outputs stay some node's output (layer taps): no fusion takes them away */
  keep?: ReadonlySet<number>;
}

/** Rewrite a model for inference; returns a new spec (the input is not modified). */
export function fuseModel(spec: ModelSpec, options: FuseOptions = {}): ModelSpec {
  const nodes: (GraphNode | null)[] = spec.nodes.map((n) => ({ ...n }) as GraphNode);
  const params: ParamValues = new Map(spec.params);
  // alias[i] = the node whose output now stands for node i's output (itself unless fused away).
  const alias = nodes.map((_, i) => i);
  const resolve = (i: number): number => (alias[i] === i ? i : (alias[i] = resolve(alias[i]!)));
  const readers = (i: number): number[] => {
    const out: number[] = [];
    nodes.forEach((n, j) => n && nodeInputs(n).map(resolve).includes(i) && out.push(j));
    return out;
  };
  /** the single reader of node i, if it has exactly one (the model output has an implicit reader) */
  const soleReader = (i: number): number | null => {
    const r = readers(i);
    return r.length === 1 && i !== nodes.length - 1 ? r[0]! : null;
  };
  // holds[i]: the source node whose value node i outputs now (a fusion makes it the reader's)
  const holds = nodes.map((_, i) => i);
  const remove = (i: number, into: number): void => {
    nodes[i] = null;
    alias[i] = into;
    holds[into] = i;
  };
  const kept = (i: number) => options.keep?.has(holds[i]!) ?? false;

  for (let i = 1; i < nodes.length; i++) {
    const node = nodes[i];
    if (!node) continue;
    const next = soleReader(i);
    const reader = next === null ? null : nodes[next]!;
    if (!reader || kept(i)) continue;
    if (
      options.batchNorm !== false &&
      node.kind === 'conv2d' &&
      !node.relu &&
      node.residual === undefined &&
      reader.kind === 'batchnorm' &&
      !reader.batchStatistics
    ) {
      // (a batch-statistics BN normalises by values known only at run time)
      foldInto(node, reader, params);
      node.relu = reader.relu;
      remove(next!, i);
      i--; // the conv may now fuse with the bn's reader
      continue;
    }
    if (
      options.epilogues !== false &&
      reader.kind === 'relu' &&
      ['conv2d', 'linear', 'add', 'batchnorm'].includes(node.kind) &&
      !('relu' in node && node.relu)
    ) {
      (node as { relu?: boolean }).relu = true;
      remove(next!, i);
      i--;
      continue;
    }
    if (
      options.epilogues !== false &&
      node.kind === 'conv2d' &&
      !node.relu &&
      node.residual === undefined &&
      reader.kind === 'add'
    ) {
      const other = resolve(reader.a) === i ? resolve(reader.b) : resolve(reader.a);
      if (other < i && other !== i) {
        node.residual = other;
        node.relu = reader.relu;
        remove(next!, i);
        i--;
      }
    }
  }

  // Compact: renumber the surviving nodes and their inputs.
  const newIndex = new Map<number, number>();
  const out: GraphNode[] = [];
  nodes.forEach((n, i) => {
    if (!n) return;
    newIndex.set(i, out.length);
    out.push(n);
  });
  const map = (i: number): number => newIndex.get(resolve(i))!;
  for (const n of out) {
    const m = n as { input?: number; a?: number; b?: number; residual?: number; inputs?: number[] };
    if (m.input !== undefined) m.input = map(m.input);
    if (m.inputs !== undefined) m.inputs = m.inputs.map(map);
    if (m.a !== undefined) m.a = map(m.a);
    if (m.b !== undefined) m.b = map(m.b);
    if (m.residual !== undefined) m.residual = map(m.residual);
  }
  const keptOut = new Set([...newIndex].filter(([i]) => kept(i)).map(([, j]) => j));
  if (options.epilogues !== false) maskRelusInMaxPools(out, keptOut);
  const used = new Set(out.flatMap((n) => nodeParams(n)));
  for (const k of [...params.keys()]) if (!used.has(k)) params.delete(k);
  // a source node's value survives as the output of the node that holds it
  const at = spec.nodes.map((_, i) => (holds[resolve(i)] === i ? map(i) : null));
  return {
    nodes: out,
    params,
    info: { ...spec.info, representationNode: map(spec.info.representationNode) },
    fusedFrom: { spec, at },
  };
}

/**
 * A max pool reading a relu epilogue's output applies the relu's backward mask (its argmax routes
 * no gradient where the max is not > 0); the node with the epilogue skips its mask pass when every
 * reader does so (the model output has an implicit reader that does not).
 */
function maskRelusInMaxPools(nodes: GraphNode[], taps: ReadonlySet<number>): void {
  const relu = (n: GraphNode) => 'relu' in n && n.relu === true;
  // (a tap's gradient is the relu's output's: unmasked)
  for (const n of nodes) if (n.kind === 'maxpool' && relu(nodes[n.input]!) && !taps.has(n.input)) n.maskRelu = true;
  nodes.forEach((n, i) => {
    const readers = nodes.filter((r) => nodeInputs(r).includes(i));
    if (relu(n) && i < nodes.length - 1 && readers.length && readers.every((r) => r.kind === 'maxpool' && r.maskRelu))
      n.reluMaskedByReaders = true;
  });
}

/** Replace the conv's weight and bias by the BN-folded ones (the conv gains a bias if it had none). */
function foldInto(
  conv: Extract<GraphNode, { kind: 'conv2d' }>,
  bn: Extract<GraphNode, { kind: 'batchnorm' }>,
  params: ParamValues,
): void {
  const w = params.get(conv.weight)!;
  const b = conv.bias ? params.get(conv.bias)!.data : null;
  const get = (s: string) => params.get(`${bn.prefix}.${s}`)!.data;
  const folded = foldBatchNorm(w.data, b, w.shape, {
    gamma: get('weight'),
    beta: get('bias'),
    mean: get('running_mean'),
    variance: get('running_var'),
    eps: bn.eps,
  });
  const biasName =
    conv.bias ??
    (conv.weight.endsWith('.weight') ? `${conv.weight.slice(0, -'.weight'.length)}.bias` : `${conv.name}.bias`);
  conv.bias = biasName;
  params.set(conv.weight, { shape: w.shape, data: folded.weight });
  params.set(biasName, { shape: [w.shape[0]!], data: folded.bias });
}

/** Upload a spec's parameters and make the Model (shapes are validated by the Model). */
export function modelFromSpec(engine: Engine, spec: ModelSpec): Model {
  const params = new Map<string, Tensor>();
  for (const [name, v] of spec.params)
    params.set(name, Tensor.from(engine, v.data, v.shape, { label: name, validate: true }));
  try {
    const model = new Model(engine, spec.info, spec.nodes, params);
    model.source = modelSource(engine, spec.fusedFrom ?? { spec, at: spec.nodes.map((_, i) => i) }, model);
    return model;
  } catch (e) {
    for (const t of params.values()) t.dispose();
    throw e;
  }
}

/**
 * The values of a model's file: each source node under the file's name for it (or its node name),
 * where it is after fusion; split() fuses the source again keeping the named values, once per set.
 */
function modelSource(engine: Engine, from: { spec: ModelSpec; at: readonly (number | null)[] }, model: Model) {
  const { spec, at } = from;
  const shapes = inferShapes(spec.nodes, new Map([...spec.params].map(([k, v]) => [k, v.shape])), spec.info.inputShape);
  // the last name given to a node is the value it holds (an importer folds a bias add into the conv before it)
  const names = new Map<number, string>();
  for (const [name, i] of spec.valueNames ?? []) names.set(i, name);
  const values = spec.nodes.slice(1).map((n, j) => {
    const i = j + 1;
    return { name: names.get(i) ?? n.name, shape: shapes[i]!, node: at[i]!, source: i };
  });
  const splits = new Map<string, { model: Model; at: readonly (number | null)[] }>();
  const split = (wanted: readonly string[]) => {
    const sources = wanted.map((w) => values.find((v) => v.name === w)!.source);
    const key = [...new Set(sources)].sort((a, b) => a - b).join(',');
    let m = splits.get(key);
    if (!m) {
      if (engine.isDryRun)
        throw new Error(`model ${model.info.name}: a tap is split outside a dry run (it uploads weights)`);
      const fused = fuseModel(spec, { keep: new Set(sources) });
      splits.set(
        key,
        (m = { model: modelFromSpec(engine, { ...fused, fusedFrom: undefined }), at: fused.fusedFrom!.at }),
      );
    }
    return { model: m.model, nodes: sources.map((i) => m.at[i]!) };
  };
  const dispose = () => {
    for (const m of splits.values()) m.model.dispose();
    splits.clear();
  };
  return { values, split, dispose };
}

/** A GPU model back as a spec (one readback per parameter; for load-time use, not in a loop). */
export async function modelToSpec(model: Model): Promise<ModelSpec> {
  const params: ParamValues = new Map();
  for (const [name, v] of await model.getParameters()) params.set(name, v);
  return { nodes: model.nodes.map((n) => ({ ...n }) as GraphNode), params, info: { ...model.info } };
}

/** Fold a GPU model's batch norms (and fuse epilogues) into a new model; the original is kept. */
export async function foldModelBatchNorm(model: Model, options: FuseOptions = {}): Promise<Model> {
  return modelFromSpec(model.engine, fuseModel(await modelToSpec(model), options));
}
