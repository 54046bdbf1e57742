/**
 * Model: a graph, its parameters on the GPU, and a forward that records a tape for backward.
 *
 * `forward(x, { record: true })` returns a Tape holding every activation backward needs;
 * `tape.backward(seed)` returns the input gradient of Σ seed ⊙ output (e.g. a one-hot seed per
 * batch row gives each row's target-logit gradient) — all recorded into the engine's single
 * command stream, so one forward+backward is one submission and no readback.
 *
 * A batch whose activations would exceed the device's storage-binding limit is split into
 * sub-batches (copies in and out, no binding limit on copies) transparently.
 */
import { prepackConv2dWeights } from '../ops/conv2d.js';
import type { Engine } from '../gpu/engine.js';
import { fail, PathlightError, shapeStr } from '../errors.js';
import { Tensor, assertFinite } from '../tensor/tensor.js';
import { concatBatch, sliceBatch } from '../tensor/batch.js';
import { add } from '../ops/add.js';
import { nodeInputs, nodeParams } from './graph.js';
import { nodeKind } from './layers.js';
import type { GraphNode, Params } from './node.js';
import { inferShapes } from './shapes.js';

export interface ModelInfo {
  name: string;
  /** one input row, without the batch axis: [C, H, W] for images, [D] for features, [C, L] for sequences */
  inputShape: readonly number[];
  numClasses: number;
  /** node whose output is the representation fed to the final linear layer (IG2) */
  representationNode: number;
  classNames?: readonly string[];
  /** how an image in [0, 1] pixels becomes the model's input (data/preprocess.ts applies it) */
  preprocess?: InputDeclaration;
  /** the range of the model's inputs ([0, 1] pixels through `preprocess`); bounded paths (IG2) stay in it. Default [0, 1] */
  inputRange?: readonly [number, number];
}

/** A model's image input, declared: the affine map (mean/std per channel, or scale/offset), channel order, gray, and how other sizes fit. */
export interface InputDeclaration {
  mean?: readonly number[];
  std?: readonly number[];
  scale?: number;
  offset?: number;
  channelOrder?: 'rgb' | 'bgr';
  gray?: boolean;
  /** an image of another size is resized (bilinear) or centre-cropped to the model's H×W; absent: a size mismatch is an error */
  resize?: 'bilinear' | 'crop';
}

/** The declared input range, [0, 1] when undeclared. */
export function inputRange(info: ModelInfo): readonly [number, number] {
  return info.inputRange ?? [0, 1];
}

/** `[N, ...row]` as text, for messages: [N, 3, 32, 32], [N, 10]. */
export function batchShapeStr(row: readonly number[]): string {
  return `[N, ${row.join(', ')}]`;
}

/**
 * The model's input as an image [C, H, W], for code that needs pixels (PNG inputs, heatmaps,
 * pixel-order metrics, image datasets); `use` says which, in the error a non-image model gets.
 */
export function imageInputShape(info: ModelInfo, use: string): [number, number, number] {
  const s = info.inputShape;
  if (s.length !== 3)
    fail(
      `${use} needs a model with an image input [C, H, W]; model ${info.name} takes ${batchShapeStr(s)}, which is not an image`,
    );
  return [s[0]!, s[1]!, s[2]!];
}

/** A value of the model as its file names it (an ONNX value, a TF.js node, a zoo layer) and its shape per row. */
export interface LayerValue {
  name: string;
  shape: readonly number[];
  /** the node whose output it is after the importer's fusions; null where a fusion took it away */
  node: number | null;
}

/** Where a model's values came from: set by the loaders (models/fuse.ts), absent for a model built node by node. */
export interface ModelSource {
  values: readonly LayerValue[];
  /** the model with the fusions that took `names` away split there, and the node of each name in it */
  split(names: readonly string[]): { model: Model; nodes: number[] };
  dispose(): void;
}

export interface BackwardResult {
  /** gradient w.r.t. the model input */
  dx: Tensor;
  /** parameter gradients (only when asked), summed over the batch */
  params?: Map<string, Tensor>;
}

export class Model {
  /** output shape of every node for one image (batch dim excluded) */
  readonly nodeShapes: readonly (readonly number[])[];
  /** conv or gap node → the input whose gradient its input gradient finishes (lastReaders) */
  readonly finishesInputGradient: ReadonlyMap<number, number>;
  /** per node: whether its output's gradient reaches a parameter (false for the input: training skips it) */
  readonly leadsToParams: readonly boolean[];
  /** the values its file named, with the importer's fusions (models/fuse.ts) */
  source?: ModelSource;
  private disposed = false;

  constructor(
    readonly engine: Engine,
    readonly info: ModelInfo,
    readonly nodes: readonly GraphNode[],
    readonly params: Map<string, Tensor>,
  ) {
    if (info.inputShape.length < 1 || !info.inputShape.every((d) => Number.isInteger(d) && d >= 1))
      fail(`model ${info.name}: inputShape ${shapeStr(info.inputShape)} must be one or more positive integers`);
    const paramShapes = new Map([...params].map(([k, t]) => [k, t.shape]));
    for (const n of nodes)
      for (const p of nodeParams(n))
        if (!params.has(p)) fail(`model ${info.name}: parameter '${p}' of node '${n.name}' is missing`);
    this.nodeShapes = inferShapes(nodes, paramShapes, info.inputShape);
    this.finishesInputGradient = lastReaders(nodes);
    this.leadsToParams = leadsToParams(nodes);
    this.packConvWeights();
  }

  /** Conv weights are packed once, at load, next to the BN folding (an optimizer step repacks on use), in a submission of their own. */
  private packConvWeights(): void {
    for (const n of this.nodes) if (n.kind === 'conv2d') prepackConv2dWeights(this.params.get(n.weight)!, n.params);
    this.engine.flush();
  }

  get outputShape(): readonly number[] {
    return this.nodeShapes[this.nodes.length - 1]!;
  }

  /** Every value the model's file names, its shape per row, and whether it can be tapped without splitting a fusion. */
  layers(): { name: string; shape: number[]; tappable: boolean }[] {
    const values = this.source?.values ?? this.nodes.slice(1).map((n, i) => ({ name: n.name, node: i + 1 }));
    return values.map((v) => ({
      name: v.name,
      shape: [...(v.node === null ? (v as LayerValue).shape : this.nodeShapes[v.node]!)],
      tappable: v.node !== null,
    }));
  }

  /** Largest batch whose biggest activation fits in one storage binding. */
  maxBatchPerPass(): number {
    const perImage = Math.max(...this.nodeShapes.map((s) => s.reduce((a, b) => a * b, 1) * 4));
    return Math.max(1, Math.floor(this.engine.limits.maxStorageBufferBindingSize / perImage));
  }

  /** Validate a batch input: exactly [N, ...inputShape], N ≥ 1. */
  checkInput(x: Tensor): void {
    const row = this.info.inputShape;
    if (x.rank !== row.length + 1 || x.shape[0]! < 1 || row.some((d, i) => x.shape[i + 1] !== d)) {
      throw new PathlightError(
        `model ${this.info.name}: input has shape ${shapeStr(x.shape)}, expected ${batchShapeStr(row)}`,
      );
    }
  }

  /**
   * `training`: batch norms use the batch's statistics and update their running ones (the
   * trainer's mode); the default is inference (running statistics), as for every explanation.
   */
  /** `splice`: node → values [N, ...] that stand for its output (layer attribution); the rest runs from x */
  forward(x: Tensor, opts: { record?: boolean; training?: boolean; splice?: ReadonlyMap<number, Tensor> } = {}): Tape {
    this.live();
    this.checkInput(x);
    const n = x.shape[0]!;
    const chunk = this.maxBatchPerPass();
    const training = !!opts.training;
    const splice = opts.splice ?? new Map<number, Tensor>();
    if (n <= chunk) return this.forwardChunk(x, !!opts.record, false, training, splice);
    if (training && this.nodes.some((node) => node.kind === 'batchnorm')) {
      fail(
        `model ${this.info.name}: a training batch of ${n} exceeds one pass (${chunk} rows at this device's binding limit); batch-norm statistics need the whole batch in one pass, use a smaller batch`,
      );
    }
    const tapes: SingleTape[] = [];
    for (let start = 0; start < n; start += chunk) {
      const rows = Math.min(chunk, n - start);
      const part = sliceBatch(x, start, rows);
      const parts = new Map([...splice].map(([k, t]) => [k, sliceBatch(t, start, rows)]));
      tapes.push(this.forwardChunk(part, !!opts.record, true, training, parts));
      for (const t of parts.values()) t.dispose();
    }
    return new ChunkedTape(tapes);
  }

  /** Logits for a batch (no tape kept). Caller disposes. */
  logits(x: Tensor): Tensor {
    const tape = this.forward(x);
    const out = tape.takeOutput();
    tape.dispose();
    return out;
  }

  /** Upload float32 arrays for (some of) the parameters, checking names and shapes. */
  setParameters(
    values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
    opts: { strict?: boolean } = {},
  ): void {
    this.live();
    for (const [name, v] of values) {
      const t = this.params.get(name);
      if (!t) {
        if (opts.strict !== false)
          fail(`model ${this.info.name}: unknown parameter '${name}' (known: ${[...this.params.keys()].join(', ')})`);
        continue;
      }
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        fail(
          `model ${this.info.name}: parameter '${name}' has shape ${shapeStr(v.shape)}, expected ${shapeStr(t.shape)}`,
        );
      }
      assertFinite(v.data, `parameter '${name}'`);
      this.engine.write(t.buffer, v.data);
      t.markWritten();
    }
    if (opts.strict !== false) {
      const missing = [...this.params.keys()].filter((k) => !values.has(k));
      if (missing.length) fail(`model ${this.info.name}: weights are missing parameter(s) ${missing.join(', ')}`);
    }
    this.packConvWeights();
  }

  /** Download all parameters (one readback each). */
  async getParameters(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of this.params) out.set(name, { shape: [...t.shape], data: await t.download() });
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.source?.dispose();
    for (const t of this.params.values()) t.dispose();
  }

  private forwardChunk(
    x: Tensor,
    record: boolean,
    ownsInput: boolean,
    training: boolean,
    splice: ReadonlyMap<number, Tensor>,
  ): SingleTape {
    const params: Params = this.params;
    const outs: (Tensor | null)[] = [x];
    const saved: Tensor[][] = [[]];
    const remaining = this.nodes.map(() => 0); // readers of each output not run yet
    for (const node of this.nodes) for (const i of nodeInputs(node)) remaining[i]!++;
    for (let i = 1; i < this.nodes.length; i++) {
      const node = this.nodes[i]!;
      const inputs = nodeInputs(node).map((j) => outs[j]!);
      const spliced = splice.get(i);
      const r = spliced
        ? { output: spliced.reshape([x.shape[0]!, ...this.nodeShapes[i]!]) }
        : nodeKind(node).forward(node, inputs[0]!, inputs, params, training);
      outs.push(r.output);
      saved.push(r.saved ?? []);
      if (!record) {
        // Without a tape, free an activation as soon as its last reader has run.
        for (const j of nodeInputs(node)) {
          if (--remaining[j]! === 0 && !(j === 0 && !ownsInput)) {
            outs[j]!.dispose();
            outs[j] = null;
          }
        }
        for (const s of saved[i]!) s.dispose();
        saved[i] = [];
      }
    }
    return new SingleTape(this, outs, saved, ownsInput);
  }

  private live(): void {
    if (this.disposed) throw new PathlightError(`model ${this.info.name} used after dispose()`);
  }
}

export interface BackwardOptions {
  params?: boolean;
  /** stop at this node: its output's gradient is the result */
  to?: number;
}

/** What a forward pass leaves behind for backward. Dispose it when done. */
export abstract class Tape {
  /** the model output (logits) for the batch; owned by the tape */
  abstract get output(): Tensor;
  /** output of node `index` for the batch (for a chunked tape, a fresh joined copy the caller owns) */
  abstract nodeOutput(index: number): Tensor;
  /** Take ownership of the output: a view that outlives the tape (shared storage, its own reference). */
  takeOutput(): Tensor {
    const t = this.output;
    return t.reshape(t.shape);
  }
  /**
   * Backpropagate seeds (gradients w.r.t. node outputs: by default the model output) to the input,
   * or with `to` to that node's output (`dx` is then its gradient: a layer's).
   * Consumes the tape's activations: a tape supports one backward.
   */
  abstract backward(seed: Tensor | ReadonlyMap<number, Tensor>, opts?: BackwardOptions): BackwardResult;
  /**
   * The parameter gradients of Σ seed ⊙ output alone (training): gradients that reach no parameter
   * (the input's, first of all) are not computed. Consumes the tape like `backward`.
   */
  abstract parameterGradients(seed: Tensor): Map<string, Tensor>;
  abstract dispose(): void;
}

class SingleTape extends Tape {
  private used = false;

  constructor(
    private readonly model: Model,
    private readonly outs: (Tensor | null)[],
    private readonly saved: Tensor[][],
    private readonly ownsInput: boolean,
  ) {
    super();
  }

  get lastIndex(): number {
    return this.outs.length - 1;
  }

  get output(): Tensor {
    const t = this.outs[this.outs.length - 1];
    if (!t) throw new PathlightError('tape output was already taken or disposed');
    return t;
  }

  nodeOutput(index: number): Tensor {
    const t = this.outs[index];
    if (!t)
      throw new PathlightError(`tape: output of node ${index} is not available (not recorded, or freed by backward)`);
    return t;
  }

  backward(seed: Tensor | ReadonlyMap<number, Tensor>, opts: BackwardOptions = {}): BackwardResult {
    const { dx, params } = this.propagate(seed, opts, true);
    return { dx: dx!, params };
  }

  parameterGradients(seed: Tensor): Map<string, Tensor> {
    return this.propagate(seed, { params: true }, false).params!;
  }

  /** Backward; without `wantInput` only the gradients that reach a parameter are computed, and `dx` is absent. */
  private propagate(
    seed: Tensor | ReadonlyMap<number, Tensor>,
    opts: BackwardOptions,
    wantInput: boolean,
  ): { dx?: Tensor; params?: Map<string, Tensor> } {
    if (this.used) throw new PathlightError('tape.backward() was already called; run forward again');
    const nodes = this.model.nodes;
    const last = nodes.length - 1;
    const seeds = seed instanceof Tensor ? new Map([[last, seed]]) : seed;
    if (this.outs.some((o, i) => o === null && i > 0 && i < last))
      throw new PathlightError('tape.backward(): forward was run without { record: true }');
    for (const [i, s] of seeds) {
      const out = this.nodeOutput(i);
      if (s.size !== out.size)
        throw new PathlightError(
          `backward seed for node '${nodes[i]!.name}' has shape ${shapeStr(s.shape)}, expected ${shapeStr(out.shape)}`,
        );
    }
    this.used = true;
    const grads = new Map<number, Tensor>();
    for (const [i, s] of seeds) grads.set(i, s.reshape(this.nodeOutput(i).shape));
    const paramGrads = opts.params ? new Map<string, Tensor>() : undefined;
    const params: Params = this.model.params;
    const masked = new Set<number>(); // nodes whose gradient a reader has finished, relu mask included
    const to = opts.to ?? 0;
    const wanted = (j: number) => wantInput || this.model.leadsToParams[j]!;
    for (let i = last; i > to; i--) {
      const node = nodes[i]!;
      const dy = grads.get(i);
      if (dy) {
        grads.delete(i);
        const ins = nodeInputs(node);
        // readers that apply the node's relu mask (fuse.ts, or a conv's epilogue) leave its epilogue no mask to undo
        const unmasked =
          (node.reluMaskedByReaders && !seeds.has(i)) || masked.has(i) ? ({ ...node, relu: false } as GraphNode) : node;
        // the last reader of a relu node to run finishes the node's gradient (lastReaders); a global
        // average pool adds no sum, so not with a seed at its input
        const q = this.model.finishesInputGradient.get(i);
        // (not at a tap: its gradient is the relu's output's, unmasked)
        const p = q !== undefined && q !== to && wanted(q) && (node.kind === 'conv2d' || !grads.has(q)) ? q : undefined;
        const inputEpilogue = p === undefined ? undefined : { residual: grads.get(p), mask: this.outs[p]! };
        const r = nodeKind(node).backward(unmasked, {
          x0: this.outs[ins[0]!]!,
          xs: ins.map((j) => this.outs[j]!),
          y: this.outs[i]!,
          saved: this.saved[i]!,
          dy,
          params,
          wantParams: !!opts.params,
          wantInputGradient: wanted(ins[0]!),
          inputEpilogue,
        });
        dy.dispose();
        if (p !== undefined) {
          grads.get(p)?.dispose();
          grads.delete(p);
          masked.add(p);
        }
        ins.forEach((j, k) => (wanted(j) ? accumulate(grads, j, r.inputs[k] ?? null) : r.inputs[k]?.dispose()));
        if (r.params && paramGrads) for (const [name, g] of r.params) paramGrads.set(name, g);
      }
      // Activations are read only by this node's backward and its readers' (already done).
      this.freeNode(i);
    }
    const dx = grads.get(to);
    if (!dx && wantInput)
      throw new PathlightError(`backward: no gradient reached ${to ? `node '${nodes[to]!.name}'` : 'the input'}`);
    for (const [j, g] of grads) if (j !== to) g.dispose();
    for (let i = to; i >= 1; i--) this.freeNode(i);
    return { dx, params: paramGrads };
  }

  dispose(): void {
    for (let i = this.outs.length - 1; i >= 1; i--) this.freeNode(i);
    if (this.ownsInput) this.outs[0]?.dispose();
    this.outs[0] = null;
  }

  private freeNode(i: number): void {
    this.outs[i]?.dispose();
    this.outs[i] = null;
    for (const s of this.saved[i] ?? []) s.dispose();
    this.saved[i] = [];
  }
}

/**
 * Nodes whose input gradient finishes their input's: the input p (not the model input) has a relu
 * epilogue and the node is its reader with the smallest index, the last to run in backward, so
 * every other part of p's gradient (and a seed at p) is summed by then: a conv reading p once adds
 * that sum and applies p's relu mask in its epilogue, a global average pool, p's only reader, the
 * mask. No add and no relu backward for p.
 */
function lastReaders(nodes: readonly GraphNode[]): Map<number, number> {
  const lastReader = new Map<number, number>();
  nodes.forEach((n, c) => nodeInputs(n).forEach((p) => lastReader.has(p) || lastReader.set(p, c)));
  const finishers = new Map<number, number>();
  for (const [p, c] of lastReader) {
    const reader = nodes[c]!;
    const input = nodes[p]!;
    const finishes =
      reader.kind === 'conv2d'
        ? reader.residual !== p
        : reader.kind === 'gap' && nodes.filter((n) => nodeInputs(n).includes(p)).length === 1;
    if (p > 0 && finishes && 'relu' in input && input.relu) finishers.set(c, p);
  }
  return finishers;
}

/** Per node: whether it or a node it reads (transitively) has parameters, so its gradient reaches one. */
function leadsToParams(nodes: readonly GraphNode[]): boolean[] {
  const leads: boolean[] = [];
  nodes.forEach((n, i) => (leads[i] = i > 0 && (nodeParams(n).length > 0 || nodeInputs(n).some((j) => leads[j]))));
  return leads;
}

/** grads[key] += g (g is taken over; a gradient of another shape with the same size is viewed as prev's). */
function accumulate<K>(grads: Map<K, Tensor>, key: K, g: Tensor | null): void {
  if (!g) return;
  const prev = grads.get(key);
  if (!prev) {
    grads.set(key, g);
    return;
  }
  const view = g.reshape(prev.shape);
  grads.set(key, add(prev, view));
  view.dispose();
  prev.dispose();
  g.dispose();
}

/** A batch run as several sub-batches; outputs and gradients are joined by copies. */
class ChunkedTape extends Tape {
  private joined: Tensor | null = null;

  constructor(private readonly parts: SingleTape[]) {
    super();
  }

  get output(): Tensor {
    if (!this.joined) this.joined = concatBatch(this.parts.map((p) => p.output));
    return this.joined;
  }

  nodeOutput(index: number): Tensor {
    return concatBatch(this.parts.map((p) => p.nodeOutput(index)));
  }

  parameterGradients(seed: Tensor): Map<string, Tensor> {
    let sums: Map<string, Tensor> | undefined;
    let start = 0;
    for (const part of this.parts) {
      const rows = part.output.shape[0]!;
      const partSeed = sliceBatch(seed, start, rows);
      const grads = part.parameterGradients(partSeed);
      partSeed.dispose();
      if (!sums) sums = grads;
      else for (const [name, g] of grads) accumulate(sums, name, g);
      start += rows;
    }
    return sums!;
  }

  backward(seed: Tensor | ReadonlyMap<number, Tensor>, opts: BackwardOptions = {}): BackwardResult {
    const seeds = seed instanceof Tensor ? new Map([[-1, seed]]) : seed;
    const dxs: Tensor[] = [];
    let paramSums: Map<string, Tensor> | undefined;
    let start = 0;
    for (const part of this.parts) {
      const rows = part.output.shape[0]!;
      const partSeeds = new Map<number, Tensor>();
      for (const [i, s] of seeds) partSeeds.set(i === -1 ? part.lastIndex : i, sliceBatch(s, start, rows));
      const r = part.backward(partSeeds, opts);
      for (const t of partSeeds.values()) t.dispose();
      dxs.push(r.dx);
      if (r.params) {
        if (!paramSums) paramSums = r.params;
        else for (const [name, g] of r.params) accumulate(paramSums, name, g);
      }
      start += rows;
    }
    const dx = concatBatch(dxs);
    for (const t of dxs) t.dispose();
    return { dx, params: paramSums };
  }

  dispose(): void {
    this.joined?.dispose();
    this.joined = null;
    for (const p of this.parts) p.dispose();
  }
}
