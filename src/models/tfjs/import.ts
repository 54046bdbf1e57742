/**
 * TF.js graph model (`model.json` + weights) → model graph + parameters, in pathlight's NCHW.
 * TF activations are NHWC; every 4-D activation is kept as NCHW here and each op is rewritten for
 * it: conv filters HWIO → OIHW, depthwise HW·C·M → [C·M, 1, KH, KW] with groups = C, constants
 * and axes permuted, and a flatten in HWC order becomes the CHW flatten with the next dense
 * layer's weight rows permuted (no transpose at run time). Only where that is impossible (a
 * reshape to another 4-D shape, a mean or concat mixing layouts) is a transpose node emitted.
 * SAME padding is computed from the static input size (TF puts the odd pad at the bottom / right).
 * A final Softmax or Sigmoid is dropped: models are explained on logits (`output: 'prob'` for
 * probabilities); `predict` keeps it (`keepFinalActivation`). Everything else unknown is refused,
 * naming the op and the node. The graph is walked without recursion, and a cycle (a node reading
 * itself included) is refused, naming its nodes. Each op is one entry of the op table
 * (ops/index.ts: op name → build), built on one TfjsImportState (state.ts).
 */
import type { InputDeclaration } from '../../nn/model.js';
import { declareInput } from '../../data/preprocess.js';
import { fuseModel, type ModelSpec } from '../fuse.js';
import { ModelBytes } from '../model-bytes.js';
import { checkWeightRanges } from '../weight-range.js';
import { readTfjsWeights, TfjsError, type TfjsModelJson, type TfjsNode } from './format.js';
import { ref, TfjsImportState } from './state.js';
import { TFJS_OPS } from './ops/index.js';

/** A model's image input, declared per model (ModelInfo.preprocess; data/preprocess.ts). */
export type InputPreprocess = InputDeclaration;

export interface TfjsImportOptions {
  /** names the model in errors and in ModelInfo (default: 'tfjs') */
  name?: string;
  classNames?: readonly string[];
  /** the model's image input: affine map, channel order, gray, resize (see InputDeclaration) */
  input?: InputDeclaration;
  /** fold batch norms / fuse epilogues (default true) */
  fuse?: boolean;
  /** the input's sizes after N as pathlight takes them ([C, H, W] or [D]): fixes free (-1) sizes of the Placeholder */
  inputShape?: readonly number[];
  /** keep a final Softmax / Sigmoid as the model's last node (predict) instead of dropping it (explain) */
  keepFinalActivation?: boolean;
  /** the load-time limit on each weight and their total, and on one row of an activation, in bytes (default 1 GiB) */
  maxModelBytes?: number;
}

export { TfjsFreeInputSizesError } from './state.js';

export interface TfjsImport {
  spec: ModelSpec;
  /** what the import changed that a user may want to know (a dropped final Softmax) */
  notes: string[];
}

export function importTfjs(
  json: TfjsModelJson,
  weightBytes: Uint8Array,
  options: TfjsImportOptions & { source?: string } = {},
): TfjsImport {
  const source = options.source ?? 'model.json';
  if (
    !json ||
    typeof json !== 'object' ||
    !Array.isArray(json.modelTopology?.node) ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new TfjsError(source, 'not a TF.js graph model (expected modelTopology.node and weightsManifest)');
  }
  const limit = new ModelBytes(options.maxModelBytes);
  return run(new TfjsImportState(json, readTfjsWeights(json, weightBytes, source, limit), source, limit), options);
}

function run(s: TfjsImportState, options: TfjsImportOptions): TfjsImport {
  checkAcyclic(s);
  const output = outputName(s);
  for (let name: string | undefined = output; name;) {
    s.outputChain.add(name);
    const n = s.nodes.get(name);
    if (!n) break;
    name = TFJS_OPS.get(n.op)?.passThrough ? ref(n.input?.[0] ?? '') : undefined;
  }
  s.keepFinal = !!options.keepFinalActivation;
  s.givenInput = options.inputShape;
  for (const n of order(s, output)) importNode(s, n);
  const out = s.features(s.value(output, 'the graph output'));
  if (out === 0) s.fail('the graph has no layers');
  const last = s.g.nodes.length - 1;
  if (out !== last) s.fail(`the graph output "${output}" is not the last value computed`);
  const outShape = s.shape(last);
  if (outShape.length !== 1)
    s.fail(`the output "${output}" has shape [N, ${outShape.join(', ')}]; expected [N, classes]`);
  const lastLinear = [...s.g.nodes].reverse().find((n) => n.kind === 'linear');
  const info = {
    name: options.name ?? 'tfjs',
    inputShape: s.shape(0),
    numClasses: outShape[0]!,
    representationNode: lastLinear?.kind === 'linear' ? lastLinear.input : last - 1,
    ...(options.classNames ? { classNames: options.classNames } : {}),
    ...declareInput(options.input, s.shape(0), options.name ?? 'tfjs'),
  };
  // a TF.js node names the graph node holding its value (NCHW where TF holds NHWC; not an unmaterialised flatten)
  const valueNames = new Map([...s.values].filter(([, v]) => v.node > 0 && !v.hwc).map(([k, v]) => [k, v.node]));
  const spec: ModelSpec = { nodes: s.g.nodes.map((n) => ({ ...n })), params: s.params, info, valueNames };
  // a parameter beyond float32's range (±Inf, e.g. dequantised past it) or NaN is refused, naming it; one near the limit is noted
  checkWeightRanges(s.params, s.notes, (m) => s.fail(m));
  return { spec: options.fuse === false ? spec : fuseModel(spec), notes: s.notes };
}

/** The signature's single output, else the single node nobody reads. */
function outputName(s: TfjsImportState): string {
  const sig = s.json.signature ?? s.json.userDefinedMetadata?.signature;
  const declared = Object.entries(sig?.outputs ?? {}).map(([k, v]) => ref(v.name ?? k));
  const read = new Set([...s.nodes.values()].flatMap((n) => (n.input ?? []).map(ref)));
  const outputs = declared.length
    ? declared
    : [...s.nodes.values()].filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
  if (outputs.length !== 1)
    s.fail(
      `has ${outputs.length} outputs (${outputs.join(', ')}); exactly one (the logits or probabilities) is supported`,
    );
  if (!s.nodes.has(outputs[0]!)) s.fail(`the signature's output "${outputs[0]}" is not a node of the graph`);
  return outputs[0]!;
}

/** A node's data inputs (control inputs `^name` skipped), as node names. */
function dataInputs(s: TfjsImportState, n: TfjsNode): string[] {
  return (n.input ?? []).filter((i) => !i.startsWith('^')).map(ref);
}

/**
 * Every node of the graph, whether the output reads it or not, is on no cycle: a cycle has no
 * order to compute it in, and one off the output's path would hide which node is the output.
 * Depth-first with an explicit stack (a chain of thousands of nodes is no problem).
 */
function checkAcyclic(s: TfjsImportState): void {
  const state = new Map<string, 'open' | 'done'>();
  for (const root of s.nodes.keys()) {
    if (state.has(root)) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const inputs = dataInputs(s, s.nodes.get(top.name)!);
      if (top.next === inputs.length) {
        state.set(top.name, 'done');
        stack.pop();
        continue;
      }
      const next = inputs[top.next++]!;
      if (!s.nodes.has(next) || state.get(next) === 'done') continue;
      if (state.get(next) === 'open') {
        if (next === top.name)
          s.fail(`node "${next}" (${s.nodes.get(next)!.op}) reads its own output: the graph has a cycle`);
        const cycle = stack.slice(stack.findIndex((f) => f.name === next)).map((f) => `"${f.name}"`);
        s.fail(`the graph has a cycle: ${[...cycle, `"${next}"`].join(' reads ')}`);
      }
      state.set(next, 'open');
      stack.push({ name: next, next: 0 });
    }
  }
}

/** The nodes the output depends on, inputs first (the JSON's order is not topological; the graph is acyclic). */
function order(s: TfjsImportState, output: string): TfjsNode[] {
  const done = new Set<string>([output]);
  const out: TfjsNode[] = [];
  const stack: { node: TfjsNode; next: number }[] = [{ node: s.nodes.get(output)!, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const inputs = dataInputs(s, top.node);
    if (top.next === inputs.length) {
      out.push(top.node);
      stack.pop();
      continue;
    }
    const name = inputs[top.next++]!;
    if (done.has(name)) continue;
    const n = s.nodes.get(name);
    if (!n) s.fail(`node "${top.node.name}" reads "${name}", which is not in the graph`);
    done.add(name);
    stack.push({ node: n, next: 0 });
  }
  return out;
}

/** One node, built by its table entry. */
function importNode(s: TfjsImportState, n: TfjsNode): void {
  const where = `node "${n.name}" (${n.op})`;
  const op = TFJS_OPS.get(n.op);
  if (!op) s.fail(`${where}: op ${n.op} is not supported by the TF.js importer`);
  const v = op.build(s, n, where);
  if (v !== undefined) s.set(n, v);
}
