/**
 * What the TF.js importer keeps while it walks the graph: the graph being built, TF values as
 * imported values (NCHW, TF order, or a pending HWC flatten), the weights, per-row shapes, and the
 * layout helpers every op uses. The op table's entries (ops/*.ts) build on it; import.ts walks
 * the graph with it.
 */
import { GraphBuilder } from '../../nn/graph.js';
import { GraphShapeError, inferShapes } from '../../nn/shapes.js';
import type { ParamValues } from '../fuse.js';
import { ModelBytesError, type ModelBytes } from '../model-bytes.js';
import { attr, TfjsError, type TfjsModelJson, type TfjsNode, type TfjsTensor } from './format.js';

/**
 * An imported value. `nchw`: a 4-D NHWC TF tensor held as NCHW. `hwc`: a TF [N, H·W·C] flatten of
 * the NCHW node `node`, not materialised (a MatMul absorbs it by permuting its weight rows).
 */
export interface Value {
  node: number;
  nchw: boolean;
  hwc?: [number, number, number];
}

/** A Placeholder with free sizes after N and no inputShape; `shape`: the input in pathlight's order, [-1, C, H, W] or [-1, D], -1 where free. */
export class TfjsFreeInputSizesError extends TfjsError {
  constructor(
    source: string,
    message: string,
    readonly shape: number[],
  ) {
    super(source, message);
  }
}

/**
 * One TF.js op's table entry (ops/*.ts): `build` reads the node's attributes and inputs and
 * returns its value (nothing where it records a constant); `passThrough`: the op hands its input
 * on unchanged (a final Softmax behind it is still the graph's last).
 */
export interface TfjsOp {
  build: (s: TfjsImportState, n: TfjsNode, where: string) => Value | number | void;
  passThrough?: boolean;
}

/** TF's NHWC axis (1…3) → the per-row axis of the NCHW row [C, H, W]. */
export const NHWC_TO_ROW = [-1, 1, 2, 0];

export class TfjsImportState {
  readonly g = new GraphBuilder();
  readonly params: ParamValues = new Map();
  readonly nodes = new Map<string, TfjsNode>();
  readonly values = new Map<string, Value>();
  readonly notes: string[] = [];
  /** TF names that are the graph output or pass straight through to it (a Softmax there is dropped) */
  readonly outputChain = new Set<string>();
  readonly tfView = new Map<number, number>();
  shapeCache: number[][] = [];
  /** how many node inputs read each TF value */
  readonly tfReaders = new Map<string, number>();
  inputRow: number[] = [];
  keepFinal = false;
  givenInput: readonly number[] | undefined;

  constructor(
    readonly json: TfjsModelJson,
    readonly weights: Map<string, TfjsTensor>,
    readonly source: string,
    readonly limit: ModelBytes,
  ) {
    for (const n of json.modelTopology.node) this.nodes.set(n.name, n);
    for (const n of json.modelTopology.node)
      for (const i of n.input ?? []) this.tfReaders.set(ref(i), (this.tfReaders.get(ref(i)) ?? 0) + 1);
  }

  /** Records node `n`'s value (a graph node alone: a value in TF order). */
  set(n: TfjsNode, v: Value | number): void {
    this.values.set(n.name, typeof v === 'number' ? { node: v, nchw: false } : v);
  }

  /** The node holding `x` in TF's own axis order (a transpose of an NCHW value, cached). */
  tfOrder(x: Value): number {
    if (x.hwc) return this.features(x);
    if (!x.nchw) return x.node;
    const cached = this.tfView.get(x.node);
    if (cached !== undefined) return cached;
    const [c, h, w] = this.shape(x.node) as [number, number, number];
    const name = `${this.g.nodes[x.node]!.name}/nhwc`;
    // moving only unit axes is a reshape
    const idx =
      c === 1 || h * w === 1 ? this.g.reshape(name, x.node, [h, w, c]) : this.g.transpose(name, x.node, [1, 2, 0]);
    this.tfView.set(x.node, idx);
    return idx;
  }

  /** A non-4-D value in TF order: a pending HWC flatten is materialised (transpose, then flatten). */
  features(x: Value): number {
    if (x.nchw) return this.tfOrder(x);
    if (!x.hwc) return x.node;
    const t = this.tfOrder({ node: x.node, nchw: true });
    return this.g.flatten(`${this.g.nodes[t]!.name}/flatten`, t);
  }

  materialised(x: Value): Value {
    return x.hwc ? { node: this.features(x), nchw: false } : x;
  }

  /** A 4-D activation as NCHW (a 4-D value in TF order is transposed back). */
  nchw(x: Value, where: string): number {
    if (x.nchw) return x.node;
    const s = this.shape(x.node);
    if (x.hwc || s.length !== 3)
      this.fail(`${where}: expects a 4-D [N, H, W, C] input, got [N, ${this.tfShape(x).join(', ')}]`);
    return this.g.transpose(`${this.g.nodes[x.node]!.name}/nchw`, x.node, [2, 0, 1]);
  }

  /** The TF shape of a value, batch axis excluded. */
  tfShape(x: Value): number[] {
    if (x.hwc) return [x.hwc.reduce((a, b) => a * b, 1)];
    const s = this.shape(x.node);
    return x.nchw ? [s[1]!, s[2]!, s[0]!] : s;
  }

  shape(node: number): number[] {
    if (this.shapeCache.length !== this.g.nodes.length) {
      try {
        const from = this.shapeCache.length;
        this.shapeCache = inferShapes(this.g.nodes, this.g.paramShapes, this.inputRow);
        for (let i = from; i < this.shapeCache.length; i++) {
          try {
            this.limit.checkActivation(this.shapeCache[i]!);
          } catch (e) {
            throw e instanceof ModelBytesError ? new GraphShapeError(i, e.message) : e;
          }
        }
      } catch (e) {
        const at = e instanceof GraphShapeError ? `node "${this.g.nodes[e.node]?.name}": ` : '';
        this.fail(`${at}${(e as Error).message}`);
      }
    }
    return this.shapeCache[node]!;
  }

  /** The k-th data input's name (control inputs `^name` skipped). */
  inputName(n: TfjsNode, k: number): string {
    return ref((n.input ?? []).filter((i) => !i.startsWith('^'))[k] ?? '');
  }

  input(n: TfjsNode, k: number, where: string): Value {
    const name = this.inputName(n, k);
    const v = this.values.get(name);
    if (!v)
      this.fail(
        `${where}: input ${k} ("${name}") is ${this.weights.has(name) ? 'a constant, where an activation is expected' : 'not an activation of the graph input'}`,
      );
    return v;
  }

  value(name: string, what: string): Value {
    const v = this.values.get(name);
    if (!v) this.fail(`${what} "${name}" is not computed from the graph input`);
    return v;
  }

  isConst(n: TfjsNode, k: number): boolean {
    return this.weights.has(this.inputName(n, k));
  }

  constant(n: TfjsNode, k: number, where: string, what = 'a constant'): TfjsTensor {
    const name = this.inputName(n, k);
    const t = this.weights.get(name);
    if (!t) this.fail(`${where}: input ${k} ("${name}") must be ${what}`);
    return t;
  }

  checkNhwc(n: TfjsNode, where: string): void {
    const f = attr.string(n, 'data_format', 'NHWC');
    if (f !== 'NHWC') this.fail(`${where}: data_format ${f} is not supported (only NHWC, what TF.js runs)`);
  }

  /** An [N, H, W, C] attribute's H and W (N and C must be 1). */
  spatial(n: TfjsNode, key: string, where: string): [number, number] {
    const v = attr.ints(n, key, [1, 1, 1, 1]);
    if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || !(v[1]! >= 1 && v[2]! >= 1))
      this.fail(`${where}: ${key} [${v.join(', ')}] must be [1, h, w, 1]`);
    return [v[1]!, v[2]!];
  }

  /** VALID, SAME (the odd pad at the end, as TF) or EXPLICIT, as [top, left, bottom, right]. */
  padding(
    n: TfjsNode,
    size: [number, number],
    kernel: [number, number],
    stride: [number, number],
    dilation: [number, number],
    where: string,
  ): [number, number, number, number] {
    const mode = attr.string(n, 'padding', 'VALID');
    if (mode === 'VALID') return [0, 0, 0, 0];
    if (mode === 'EXPLICIT') {
      const p = attr.ints(n, 'explicit_paddings', []);
      if (p.length !== 8 || p[0] || p[1] || p[6] || p[7])
        this.fail(`${where}: explicit_paddings [${p.join(', ')}] must pad H and W only`);
      return [p[2]!, p[4]!, p[3]!, p[5]!];
    }
    if (mode !== 'SAME') this.fail(`${where}: padding ${mode} is not supported`);
    const total = (k: 0 | 1): number =>
      Math.max((Math.ceil(size[k] / stride[k]) - 1) * stride[k] + (kernel[k] - 1) * dilation[k] + 1 - size[k], 0);
    const [th, tw] = [total(0), total(1)];
    return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
  }

  fail(message: string): never {
    throw new TfjsError(this.source, message);
  }
}

/** A node input reference without its output index (`name:0` → `name`). */
export function ref(input: string): string {
  const m = /^(.*?)(?::(\d+))?$/.exec(input)!;
  return m[1]!;
}
