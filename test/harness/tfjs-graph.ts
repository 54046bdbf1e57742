/**
 * Tiny TF.js graph models built in tests: nodes as `tensorflowjs_converter` writes them (strings
 * base64, ints as strings) and weights encoded as float32, float16 or affine-quantised uint8 /
 * uint16 shards (value ≈ q · scale + min), optionally split over several shard files.
 */
import type { TfjsAttr, TfjsModelJson, TfjsNode, TfjsWeightSpec } from '../../src/models/tfjs/format.js';
import { floatToHalf } from '../../src/models/half.js';
import { Rng } from './random.js';

export type Encoding = 'float32' | 'float16' | 'uint8' | 'uint16';
type AttrValue = string | number | boolean | number[] | string[];

/** attributes from plain values: strings → s, integers → i, other numbers → f, arrays → list */
function attrs(values: Record<string, AttrValue>): Record<string, TfjsAttr> {
  const out: Record<string, TfjsAttr> = { T: { type: 'DT_FLOAT' } };
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') out[k] = { s: btoa(v) };
    else if (typeof v === 'boolean') out[k] = { b: v };
    else if (typeof v === 'number')
      out[k] =
        Number.isInteger(v) && k !== 'epsilon' && k !== 'alpha' && k !== 'leakyrelu_alpha'
          ? { i: String(v) }
          : { f: v };
    else if (v.length > 0 && typeof v[0] === 'string') out[k] = { list: { s: (v as string[]).map((s) => btoa(s)) } };
    else out[k] = { list: { i: (v as number[]).map(String) } };
  }
  return out;
}

export class TinyGraph {
  readonly nodes: TfjsNode[] = [];
  private readonly weights: { name: string; shape: number[]; data: Float32Array; int: boolean }[] = [];
  private readonly rng: Rng;

  constructor(seed = 1) {
    this.rng = new Rng(seed);
  }

  /** the Placeholder, [-1, ...shape] */
  input(shape: number[]): string {
    this.nodes.push({
      name: 'input',
      op: 'Placeholder',
      attr: {
        dtype: { type: 'DT_FLOAT' },
        shape: { shape: { dim: [-1, ...shape].map((d) => ({ size: String(d) })) } },
      },
    });
    return 'input';
  }

  const(name: string, shape: number[], data?: ArrayLike<number>, int = false): string {
    const n = shape.reduce((a, b) => a * b, 1);
    this.weights.push({ name, shape, data: Float32Array.from(data ?? this.rng.uniform(n, -1, 1)), int });
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: int ? 'DT_INT32' : 'DT_FLOAT' } } });
    return name;
  }

  ints(name: string, values: number[], shape = [values.length]): string {
    return this.const(name, shape, values, true);
  }

  op(op: string, name: string, input: string[], values: Record<string, AttrValue> = {}): string {
    this.nodes.push({ name, op, input, attr: attrs(values) });
    return name;
  }

  /** model.json and the shards' bytes (one Uint8Array per shard path) */
  build(
    encoding: Encoding = 'float32',
    shardCount = 1,
  ): { json: TfjsModelJson; shards: Uint8Array[]; bytes: Uint8Array } {
    const specs: TfjsWeightSpec[] = [];
    const parts: Uint8Array[] = [];
    for (const w of this.weights) {
      const { bytes, spec } = w.int
        ? { bytes: new Uint8Array(Int32Array.from(w.data).buffer), spec: { dtype: 'int32' } }
        : encode(w.data, encoding);
      specs.push({ name: w.name, shape: w.shape, ...spec } as TfjsWeightSpec);
      parts.push(bytes);
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (bytes.set(p, at), at + p.length), 0);
    const cut = Array.from({ length: shardCount + 1 }, (_, k) => Math.round((k * bytes.length) / shardCount));
    const shards = cut.slice(1).map((end, k) => bytes.slice(cut[k], end));
    const json: TfjsModelJson = {
      format: 'graph-model',
      generatedBy: 'pathlight tests',
      modelTopology: { node: this.nodes, versions: { producer: 1882 } },
      weightsManifest: [{ paths: shards.map((_, k) => `group1-shard${k + 1}of${shardCount}.bin`), weights: specs }],
    };
    return { json, shards, bytes };
  }
}

function encode(data: Float32Array, encoding: Encoding): { bytes: Uint8Array; spec: Partial<TfjsWeightSpec> } {
  if (encoding === 'float32') return { bytes: new Uint8Array(data.slice().buffer), spec: { dtype: 'float32' } };
  if (encoding === 'float16')
    return {
      bytes: new Uint8Array(Uint16Array.from(data, floatToHalf).buffer),
      spec: { dtype: 'float32', quantization: { dtype: 'float16' } },
    };
  const levels = encoding === 'uint8' ? 255 : 65535;
  const min = Math.min(...data);
  const scale = (Math.max(...data) - min) / levels || 1;
  const q = Array.from(data, (v) => Math.round((v - min) / scale));
  const bytes = encoding === 'uint8' ? Uint8Array.from(q) : new Uint8Array(Uint16Array.from(q).buffer);
  return { bytes, spec: { dtype: 'float32', quantization: { dtype: encoding, scale, min } } };
}
