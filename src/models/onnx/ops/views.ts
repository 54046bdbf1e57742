/**
 * ONNX shape plumbing on activations → views and slices: Flatten / Reshape / Squeeze / Unsqueeze
 * (views, no node until a consumer needs the shape), Slice and Split (slice nodes), Gather by
 * constant indices, Expand, and Concat with constants.
 */
import type { OnnxNode } from '../decode.js';
import { foldNode, resolveReshape, sliceRange, type ConstValue } from '../fold.js';
import { count, INT_BIG, ints, num, same, type Act } from '../state.js';
import { LayerImporter } from './layers.js';

export abstract class ViewImporter extends LayerImporter {
  /** Concat of one activation and constants: the activation padded with zeros, plus the constants in the padding. */
  protected concatWithConstants(node: OnnxNode): number {
    const acts = node.inputs.map((n, i) => (this.consts.has(n) ? -1 : i)).filter((i) => i >= 0);
    if (acts.length !== 1) this.fail(`${this.where}: a concat of ${acts.length} activations with constants is not supported (one activation at most)`);
    const x = this.act(node, acts[0]!);
    const axis = this.rowAxis(num(node.attributes.axis, this.model.opset < 4 ? 1 : 0), x, 'axis');
    const parts = node.inputs.map((n, i): ConstValue => {
      if (i === acts[0]) return { shape: x.shape, data: new Float32Array(count(x.shape)), dtype: 'float' };
      const c = this.consts.get(n)!;
      const shape = this.constRowShape(c.shape, x, 'constant');
      if (shape.length !== x.shape.length || shape.some((d, k) => k !== axis && d !== x.shape[k])) this.fail(`${this.where}: constant [${c.shape.join(', ')}] does not match the input's shape off the concat axis`);
      return { ...c, shape };
    });
    const full = foldNode({ ...node, attributes: { axis } }, parts, this.model.opset, (shape, b) => this.reserve(shape, b))[0]!;
    const before = parts.slice(0, acts[0]).reduce((t, p) => t + p.shape[axis]!, 0);
    const after = parts.slice(acts[0]! + 1).reduce((t, p) => t + p.shape[axis]!, 0);
    const r = x.shape.length;
    const pads = new Array<number>(2 * r).fill(0);
    pads[axis] = before;
    pads[r + axis] = after;
    const name = this.uniqueName(node.name);
    const padded = this.g.pad(`${name}_pad`, this.node(x), pads, 0);
    const idx = this.g.constant(name, padded, full.shape, 'add');
    this.setParam(`${name}.value`, full, full.shape);
    return idx;
  }

  /** Expand: a broadcast, as a product with ones of the target shape. */
  protected expand(node: OnnxNode): number | Act {
    const x = this.act(node, 0);
    const t = this.constant(node, 1, 'a constant shape');
    const target = Array.from(t.data, (d, i) => (t.batch?.[i] ? 1 : d));
    const shape = this.constRowShape(target, x, 'shape');
    const rank = Math.max(shape.length, x.shape.length);
    const out = Array.from({ length: rank }, (_, i) => Math.max(shape[shape.length - rank + i] ?? 1, x.shape[x.shape.length - rank + i] ?? 1));
    if (same(out, x.shape)) return x;
    const name = this.uniqueName(node.name);
    this.reserve(shape, 4);
    const idx = this.g.constant(name, this.node(x), shape, 'mul');
    this.setParam(`${name}.value`, { shape, data: new Float32Array(count(shape)).fill(1), dtype: 'float' }, shape);
    return idx;
  }

  /** Gather of an activation by constant indices: one slice per index, concatenated. */
  protected gather(node: OnnxNode): number | Act {
    if (this.consts.has(node.inputs[0]!)) this.fail(`${this.where}: indices computed from the input (a lookup table) are not supported`);
    const x = this.act(node, 0);
    const indices = this.constant(node, 1, 'constant indices');
    const axis = this.rowAxis(num(node.attributes.axis, 0), x, 'axis');
    const dim = x.shape[axis]!;
    if (indices.data.length === 0 || indices.data.length > 256) this.fail(`${this.where}: ${indices.data.length} indices (1 to 256 are supported)`);
    const input = this.node(x);
    const parts = Array.from(indices.data, (j, k) => {
      const at = j < 0 ? j + dim : j;
      if (!(at >= 0 && at < dim)) this.fail(`${this.where}: index ${j} is out of range for a dim of ${dim}`);
      return this.g.slice(this.uniqueName(`${node.name}_${k}`), input, axis, at, at + 1);
    });
    const joined = parts.length === 1 ? parts[0]! : this.g.concat(this.uniqueName(node.name), parts, axis);
    return { node: joined, shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)] };
  }

  protected flatten(node: OnnxNode): void {
    const x = this.act(node, 0);
    const rank = this.onnxRank(x);
    const given = num(node.attributes.axis, 1);
    const axis = given < 0 ? given + rank : given; // Flatten's axis is in [-rank, rank]
    if (axis < 0 || axis > rank) this.fail(`${this.where}: axis ${given} is out of range for rank ${rank}`);
    const full = this.mode === 'batch' ? [-1, ...x.shape] : x.shape;
    if (this.mode === 'batch' && axis !== 1) this.batchAxis(`${this.where}: axis ${given} folds other axes into the batch axis`);
    const shape = this.mode === 'batch' ? [count(x.shape)] : [count(full.slice(0, axis)), count(full.slice(axis))];
    this.view(node, x, shape);
  }

  /** A view of `x` with another per-row shape (no node until a consumer needs it). */
  protected view(node: OnnxNode, x: Act, shape: number[], k = 0): void {
    this.define(node, { node: x.pad ? this.node(x) : x.node, shape }, k);
  }

  protected reshape(node: OnnxNode): void {
    const x = this.act(node, 0);
    const t = node.attributes.shape !== undefined ? { data: Float64Array.from(ints(node.attributes.shape, [])), batch: undefined, shape: [] } : this.constant(node, 1, 'a constant shape');
    const target = Array.from(t.data);
    const allowZero = num(node.attributes.allowzero, 0) === 1;
    const isBatch = (i: number) => !!t.batch?.[i];
    if (this.mode === 'whole') {
      if (target.some((_, i) => isBatch(i))) this.fail(`${this.where}: internal: batch symbol in whole-tensor mode`);
      return this.view(node, x, this.resolve(x.shape, target, allowZero));
    }
    target.forEach((_, i) => i > 0 && isBatch(i) && this.batchAxis(`${this.where}: moves the batch size to axis ${i}`));
    const head = target[0];
    const rest = target.slice(1).map((d, i) => (d === 0 && !allowZero ? x.shape[i] ?? 0 : d));
    // A static batch of 1 (a PyTorch export's x.view(1, -1)) is 1 everywhere: [1, …] is per row.
    const batchOfOne = this.staticBatch1 && head === 1;
    const keepsBatch = isBatch(0) || (head === 0 && !allowZero) || batchOfOne || (head === -1 && !rest.includes(-1) && count(rest) === count(x.shape));
    if (!keepsBatch) this.batchAxis(`${this.where}: reshape to [${target.join(', ')}] changes the batch axis`);
    if (batchOfOne && !this.notes.some((n) => n.startsWith('the graph input has a static batch of 1'))) {
      this.notes.push(`the graph input has a static batch of 1: it is imported per row (a reshape to [1, …] keeps the batch axis), so it takes any batch`);
    }
    this.view(node, x, this.resolve(x.shape, rest, true));
  }

  protected resolve(shape: number[], target: number[], allowZero: boolean): number[] {
    try {
      return resolveReshape(shape, target, allowZero);
    } catch (e) {
      return this.fail(`${this.where}: ${(e as Error).message}`);
    }
  }

  protected squeeze(node: OnnxNode): void {
    const x = this.act(node, 0);
    const axesIn = node.attributes.axes !== undefined ? ints(node.attributes.axes, []) : node.inputs[1] ? Array.from(this.constant(node, 1, 'constant axes').data) : null;
    const batch = this.mode === 'batch';
    const full = batch ? [-1, ...x.shape] : x.shape;
    let shape: number[];
    if (node.opType === 'Unsqueeze') {
      const rank = full.length + (axesIn ?? []).length;
      const axes = new Set((axesIn ?? []).map((v) => this.normalize(v, rank, 'axis')));
      shape = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(axes.has(i) ? 1 : full[k++]!);
    } else {
      if (!axesIn && batch && this.model.inputs[0]!.shape[0] === 1) this.batchAxis(`${this.where}: squeezes every unit axis, the batch axis of 1 included`);
      const axes = axesIn ? new Set(axesIn.map((v) => this.normalize(v, full.length, 'axis'))) : null;
      shape = full.filter((d, i) => (axes ? !axes.has(i) : d !== 1));
    }
    if (batch && shape[0] !== -1) this.batchAxis(`${this.where}: moves the batch axis`);
    this.view(node, x, batch ? shape.slice(1) : shape);
  }

  /** One Slice of an activation: one slice node per sliced axis (step 1). */
  protected slice(node: OnnxNode): number | Act {
    const a = node.attributes;
    let x = this.act(node, 0);
    const list = (attr: string, i: number): number[] | undefined => (a[attr] !== undefined ? ints(a[attr], []) : node.inputs[i] ? Array.from(this.constant(node, i, `constant ${attr}`).data) : undefined);
    const starts = list('starts', 1) ?? [];
    const ends = list('ends', 2) ?? [];
    const rank = this.onnxRank(x);
    const axes = list('axes', 3) ?? starts.map((_, i) => i);
    const steps = list('steps', 4) ?? starts.map(() => 1);
    let out: number | Act = x;
    axes.forEach((axisIn, k) => {
      const onnx = this.normalize(axisIn, rank, 'axis');
      if (steps[k] !== 1) this.fail(`${this.where}: step ${steps[k]} is not supported on activations (only 1)`);
      if (this.mode === 'batch' && onnx === 0) {
        if (starts[k] === 0 && ends[k]! >= INT_BIG) return;
        this.batchAxis(`${this.where}: slices the batch axis`);
      }
      const axis = this.mode === 'batch' ? onnx - 1 : onnx;
      const dim = x.shape[axis]!;
      const r = sliceRange(dim, starts[k]!, ends[k]!, 1);
      if (r.length === dim) return;
      if (r.length === 0) this.fail(`${this.where}: slices axis ${axisIn} to nothing`);
      const idx = this.g.slice(this.uniqueName(node.name), this.node(x), axis, r[0]!, r[r.length - 1]! + 1);
      x = { node: idx, shape: this.shapes()[idx]! };
      out = idx;
    });
    return out;
  }

  protected split(node: OnnxNode): void {
    const a = node.attributes;
    const x = this.act(node, 0);
    const axis = this.rowAxis(num(a.axis, 0), x, 'axis');
    const dim = x.shape[axis]!;
    const outs = node.outputs.length;
    let sizes = a.split !== undefined ? ints(a.split, []) : node.inputs[1] ? Array.from(this.constant(node, 1, 'constant split sizes').data) : null;
    if (!sizes) {
      const n = num(a.num_outputs, outs);
      const size = Math.ceil(dim / n);
      sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(size, dim - i * size)));
    }
    if (sizes.length !== outs || sizes.reduce((s, v) => s + v, 0) !== dim) this.fail(`${this.where}: split sizes [${sizes.join(', ')}] do not cover axis ${num(a.axis, 0)} of ${dim} in ${outs} parts`);
    let start = 0;
    sizes.forEach((size, k) => {
      const idx = this.g.slice(this.uniqueName(`${node.name}_${k}`), this.node(x), axis, start, start + size);
      start += size;
      this.define(node, idx, k);
    });
  }
}
