/**
 * Issue #22's importer hardening, on the CPU (no GPU work): the load-time limit (maxModelBytes)
 * refuses tiny files that ask for huge tensors before allocating them; graph walks need no
 * recursion and cycles are refused as cycles; dtype tables keyed by file content take own keys
 * only; weights beyond float32's range get a note.
 */
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../src/models/onnx/import.js';
import { importTfjs } from '../src/models/tfjs/load.js';
import { readTfjsWeights } from '../src/models/tfjs/format.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { readSafetensors, writeSafetensors } from '../src/models/safetensors.js';
import { modelFromSafetensors } from '../src/models/load.js';
import { tinyOnnx, type TinyModel } from './harness/onnx-build.js';
import { TinyGraph } from './harness/tfjs-graph.js';

const onnx =
  (m: TinyModel, options: { maxModelBytes?: number } = {}) =>
  () =>
    importOnnxBytes(tinyOnnx(m), 'tiny.onnx', options);
const int64 = (name: string, data: number[], shape = [data.length]) => ({ name, shape, data, type: 7 });

describe('maxModelBytes: refused from shapes, before allocating', () => {
  it('a 200-byte Expand to [20000, 20000, 3] is refused in under 2 s with under 200 MB of RSS growth, naming the node', () => {
    const bytes = tinyOnnx({
      inputs: [{ name: 'x', shape: [1, 1] }],
      outputs: ['y'],
      nodes: [{ op: 'Expand', name: 'big', inputs: ['x', 's'], outputs: ['y'] }],
      initializers: [int64('s', [20000, 20000, 3])],
    });
    expect(bytes.length).toBeLessThan(300);
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    expect(() => importOnnxBytes(bytes, 'tiny.onnx')).toThrow(
      /^ONNX tiny\.onnx: node "big" \(Expand\): .*\[20000, 20000, 3\].*exceeds maxModelBytes \(1 GiB\)/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200e6);
  });

  it('an Expand of a constant, Range(0, 3e8), ConstantOfShape and Pad too large are refused naming the node (no RangeError)', () => {
    const add = (c: string) => ({ op: 'Add', inputs: ['x', c], outputs: ['y'] });
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'Expand', name: 'e', inputs: ['one', 's'], outputs: ['c'] }, add('c')],
        initializers: [{ name: 'one', shape: [1], data: [1] }, int64('s', [20000, 20000, 3])],
      }),
    ).toThrow(/node "e" \(Expand\): a tensor of shape \[20000, 20000, 3\]/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'Range', name: 'r', inputs: ['a', 'b', 'd'], outputs: ['c'] }, add('c')],
        initializers: [int64('a', [0], []), int64('b', [3e8], []), int64('d', [1], [])],
      }),
    ).toThrow(/node "r" \(Range\): a tensor of shape \[300000000\] \(2\.24 GiB\) exceeds maxModelBytes/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'Range', name: 'r', inputs: ['a', 'b', 'd'], outputs: ['c'] }, add('c')],
        initializers: [int64('a', [0], []), int64('b', [3], []), int64('d', [0], [])],
      }),
    ).toThrow(/node "r" \(Range\): Range\(0, 3, 0\) needs .* non-zero delta/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'ConstantOfShape', name: 'k', inputs: ['s'], outputs: ['c'] }, add('c')],
        initializers: [int64('s', [1, 3e9])],
      }),
    ).toThrow(/node "k" \(ConstantOfShape\): a tensor of shape \[1, 3000000000\]/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'ConstantOfShape', name: 'k', inputs: ['s'], outputs: ['c'] }, add('c')],
        initializers: [int64('s', [1, -3])],
      }),
    ).toThrow(/node "k" \(ConstantOfShape\): shape \[1, -3\] has a size that is not a non-negative integer/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'Pad', name: 'p', inputs: ['x', 'pads'], outputs: ['y'] }],
        initializers: [int64('pads', [0, 0, 0, 3e9])],
      }),
    ).toThrow(/node "p" \(Pad\): its output of \[N, 3000000003\] needs 11\.2 GiB per row, over maxModelBytes/);
  });

  it('an input whose one row alone is over the limit is refused naming it (ONNX, TF.js)', () => {
    expect(
      onnx({
        inputs: [{ name: 'x', shape: ['N', 3, 1e5, 1e5] }],
        outputs: ['y'],
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
      }),
    ).toThrow(
      /^ONNX tiny\.onnx: graph input "x": its output of \[N, 3, 100000, 100000\] needs 112 GiB per row, over maxModelBytes/,
    );
    const { json, bytes } = tfjsChain(0).build();
    json.modelTopology.node[0]!.attr!.shape!.shape!.dim![1]!.size = '1000000000';
    expect(() => importTfjs(json, bytes, { source: 'm.json' })).toThrow(
      /^m\.json: node "input": its output of \[N, 1000000000\] needs 3\.73 GiB per row/,
    );
  });

  it('counts the total, and takes a smaller or larger limit; a bad limit is named', () => {
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: [1, 1000] }],
      outputs: ['y'],
      nodes: [
        { op: 'Add', inputs: ['x', 'a'], outputs: ['s'] },
        { op: 'Add', inputs: ['s', 'b'], outputs: ['y'] },
      ],
      initializers: ['a', 'b'].map((name) => ({ name, shape: [1000], data: new Array(1000).fill(1) })),
    };
    expect(onnx(m, { maxModelBytes: 6000 })).toThrow(
      /initializer "b": a tensor of shape \[1000\] \(4000 bytes\) brings the model's constant tensors to 8000 bytes, over maxModelBytes \(6000 bytes\)/,
    );
    expect(onnx(m, { maxModelBytes: 3000 })).toThrow(
      /initializer "a": a tensor of shape \[1000\] \(4000 bytes\) exceeds maxModelBytes \(3000 bytes\)/,
    );
    expect(onnx(m, { maxModelBytes: 8000 })).not.toThrow();
    expect(onnx(m, { maxModelBytes: -1 })).toThrow(/maxModelBytes must be a positive whole number of bytes, got -1/);
    const big = {
      inputs: [{ name: 'x', shape: [1, 1] }],
      outputs: ['y'],
      nodes: [{ op: 'Expand', name: 'e', inputs: ['x', 's'], outputs: ['y'] }],
      initializers: [int64('s', [300, 300, 3])],
    };
    expect(onnx(big, { maxModelBytes: 2 ** 20 })).toThrow(/node "e" \(Expand\)/);
    expect(onnx(big, { maxModelBytes: 2 ** 21 })).not.toThrow();
  });

  it('a TF.js weight manifest is bounded the same way', () => {
    const g = new TinyGraph(3);
    const x = g.input([4]);
    g.op('MatMul', 'mm', [x, g.const('w', [4, 3])], {});
    const { json, bytes } = g.build();
    expect(() => importTfjs(json, bytes, { source: 'm.json', maxModelBytes: 40 })).toThrow(
      /^m\.json: weight "w": a tensor of shape \[4, 3\] \(48 bytes\) exceeds maxModelBytes \(40 bytes\)/,
    );
    expect(importTfjs(json, bytes, { source: 'm.json', maxModelBytes: 48 }).spec.info.numClasses).toBe(3);
  });
});

/** A TF.js dense layer, then `n` Relus one after the other. */
function tfjsChain(n: number): TinyGraph {
  const g = new TinyGraph(5);
  let v = g.op('MatMul', 'mm', [g.input([4]), g.const('w', [4, 3])], {});
  for (let k = 0; k < n; k++) v = g.op('Relu', `r${k}`, [v]);
  return g;
}

describe('graphs: walks without recursion, cycles refused as cycles', () => {
  it('a TF.js chain of 6 000 nodes imports (the recursive walk overflowed the stack)', () => {
    const { json, bytes } = tfjsChain(6000).build();
    const { spec } = importTfjs(json, bytes, { fuse: false });
    expect(spec.nodes.length).toBe(6002);
  });

  it('a TF.js node that reads itself is refused as a cycle (it was dropped, and another node taken as the output)', () => {
    const g = tfjsChain(1);
    g.op('Relu', 'loop', ['loop:0']);
    const { json, bytes } = g.build();
    expect(() => importTfjs(json, bytes, { source: 'm.json' })).toThrow(
      /^m\.json: node "loop" \(Relu\) reads its own output: the graph has a cycle$/,
    );
  });

  it('a TF.js 2-node cycle is refused naming both nodes (it was "the graph has no layers")', () => {
    const g = tfjsChain(0);
    g.op('Relu', 'a', ['b']);
    g.op('Relu', 'b', ['a']);
    g.op('Relu', 'out', ['a', 'mm']);
    const { json, bytes } = g.build();
    expect(() => importTfjs(json, bytes, { source: 'm.json' })).toThrow(
      /^m\.json: the graph has a cycle: "(a|b)" reads "(a|b)" reads "(a|b)"$/,
    );
  });

  it('ONNX: a node that reads its own output, and a 2-node cycle, are refused as cycles naming the nodes', () => {
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [{ op: 'Add', name: 'self', inputs: ['x', 'y'], outputs: ['y'] }],
      }),
    ).toThrow(/^ONNX tiny\.onnx: node "self" \(Add → y\) reads its own output "y": the graph has a cycle$/);
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [
          { op: 'Add', name: 'a', inputs: ['x', 'v'], outputs: ['u'] },
          { op: 'Relu', name: 'b', inputs: ['u'], outputs: ['v'] },
          { op: 'Relu', name: 'c', inputs: ['v'], outputs: ['y'] },
        ],
      }),
    ).toThrow(/the graph has a cycle: node "a" \(Add → u\) → node "b" \(Relu → v\) → node "a" \(Add → u\)$/);
    // out of order without a cycle: named as such
    expect(
      onnx({
        inputs: [{ name: 'x', shape: [1, 3] }],
        outputs: ['y'],
        nodes: [
          { op: 'Relu', name: 'b', inputs: ['u'], outputs: ['y'] },
          { op: 'Relu', name: 'a', inputs: ['x'], outputs: ['u'] },
        ],
      }),
    ).toThrow(
      /node "b" \(Relu → y\) reads "u", which node "a" \(Relu → u\) computes later: nodes must be in topological order/,
    );
  });
});

describe('dtype tables take own keys only', () => {
  it('TF.js: a weight of dtype "constructor" is refused by name (it was "the manifest describes NaN")', () => {
    const { json, bytes } = tfjsChain(0).build();
    json.weightsManifest[0]!.weights[0]!.dtype = 'constructor';
    expect(() => readTfjsWeights(json, bytes, 'm.json')).toThrow(
      /^m\.json: weight "w" has dtype constructor; supported:/,
    );
    json.weightsManifest[0]!.weights[0]!.dtype = 'float32';
    json.modelTopology.node.find((n) => n.name === 'mm')!.op = 'constructor';
    expect(() => importTfjs(json, bytes, { source: 'm.json' })).toThrow(
      /node "mm" \(constructor\): op constructor is not supported/,
    );
  });

  it('ONNX: an attribute named "__proto__" is a plain (ignored) name, not the prototype of the node\'s attributes', () => {
    // before: its tensor became the prototype, and Reshape read the tensor's `shape` as its target
    const proto = { name: '__proto__', type: 4, t: { name: 'p', dims: [1], data_type: 1, float_data: [0] } } as never;
    const m: TinyModel = {
      inputs: [{ name: 'x', shape: ['N', 2, 3] }],
      outputs: ['y'],
      nodes: [{ op: 'Reshape', name: 'r', inputs: ['x', 's'], outputs: ['y'], attrs: [proto] }],
      initializers: [int64('s', [0, 6])],
    };
    expect(importOnnxBytes(tinyOnnx(m)).onnxOutputShape).toEqual([-1, 6]);
  });

  it('npy and safetensors: "constructor" / "toString" are no dtypes', () => {
    const npy = writeNpy(new Float32Array(4), [4]);
    const text = Buffer.from(npy).toString('latin1').replace("'<f4'", "'valueOf'").replace('    \n', '\n');
    expect(() => readNpy(new Uint8Array(Buffer.from(text, 'latin1')))).toThrow(
      /^npy: dtype 'valueOf' is not supported/,
    );
    const header = JSON.stringify({ w: { dtype: 'constructor', shape: [2], data_offsets: [0, 8] } });
    const file = new Uint8Array(8 + header.length + 8);
    new DataView(file.buffer).setBigUint64(0, BigInt(header.length), true);
    file.set(new TextEncoder().encode(header), 8);
    expect(() => readSafetensors(file)).toThrow(/tensor "w": unsupported dtype constructor/);
  });
});

describe('weights at the edge of float32', () => {
  const mul = (c: number[]): TinyModel => ({
    inputs: [{ name: 'x', shape: [1, 3] }],
    outputs: ['y'],
    nodes: [
      { op: 'Mul', inputs: ['c', 'c'], outputs: ['d'] },
      { op: 'Add', name: 'plus', inputs: ['x', 'd'], outputs: ['y'] },
    ],
    initializers: [{ name: 'c', shape: [3], data: c }],
  });

  it("ONNX: a weight near float32's limit is noted (outputs overflowed to ±Inf silently); one that overflows is refused naming the file and tensor", () => {
    // 1.5e19² = 2.25e38 fits float32; a forward adding inputs to it overflows on ordinary inputs
    expect(importOnnxBytes(tinyOnnx(mul([1.5e19, 1, 1]))).notes).toEqual([
      expect.stringMatching(
        /^weight 'plus\.value' holds values up to 2\.25e\+38, near float32's limit \(3\.40e\+38\): outputs may overflow to ±Inf$/,
      ),
    ]);
    // 1e30² overflows the float32 fold: the upload refused it, without naming the file
    expect(onnx(mul([1e30, 1, 1]))).toThrow(
      /^ONNX tiny\.onnx: weight 'plus\.value' holds Infinity \(beyond float32's range, ±3\.4028e\+38\) at index 0/,
    );
  });

  it('safetensors: a NaN weight is refused naming the file (the upload named only the tensor; fuzz seed 3)', () => {
    const bytes = writeSafetensors({ 'fc.weight': { shape: [2], data: Float32Array.of(1, NaN) } }, { model: 'lenet' });
    expect(() => modelFromSafetensors(undefined as never, bytes, { source: 'w.safetensors' })).toThrow(
      /^w\.safetensors: weight 'fc\.weight' holds NaN at index 1/,
    );
  });

  it('TF.js: float weights near the limit are noted; a quantised weight dequantised beyond it is refused naming it', () => {
    const near = tfjsChain(1);
    const { json, bytes } = near.build();
    new Float32Array(bytes.buffer, bytes.byteOffset, 12)[0] = 3e38;
    expect(importTfjs(json, bytes, { source: 'm.json' }).notes).toEqual([
      expect.stringMatching(/^weight 'mm\.weight' holds values up to 3\.00e\+38, near float32's limit/),
    ]);
    const w = json.weightsManifest[0]!.weights[0]!;
    Object.assign(w, { quantization: { dtype: 'uint8', scale: 1e38, min: 0 } });
    expect(() => importTfjs(json, bytes.subarray(0, 12), { source: 'm.json' })).toThrow(
      /^m\.json: weight 'mm\.weight' holds Infinity \(beyond float32's range/,
    );
  });
});
