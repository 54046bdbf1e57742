/**
 * `pathlight predict` end to end (the built CLI): atomic output, and agreement with the in-process
 * predict path. Its flags, checked before the GPU: test/cli-predict.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { onnxPredictor } from '../src/models/predict.js';
import { readTensorProto } from '../src/models/onnx/tensor.js';
import { tinyOnnx, type TinyModel } from './harness/onnx-build.js';

const cli = join(ROOT, 'dist/cli.js');
const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
const input = join(ROOT, 'test/fixtures/small_resnet_input.npy');
let dir: string;
let engine: Engine;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, 'predict', ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  await build();
  dir = mkdtempSync(join(tmpdir(), 'pathlight-predict-'));
  engine = await createEngine();
}, 300_000);
afterAll(() => engine?.dispose());

describe('pathlight predict', () => {
  it('writes the outputs as .npy, equal to the in-process predict path (final Softmax kept)', async () => {
    const out = join(dir, 'logits.npy');
    const r = run('--model', onnx, '--input', input, '--out', out, '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({
      mode: 'batch',
      outputShape: [readNpy(new Uint8Array(readFileSync(input))).shape[0], 10],
      out,
    });
    const written = readNpy(new Uint8Array(readFileSync(out)));
    const predictor = onnxPredictor(engine, new Uint8Array(readFileSync(onnx)));
    const expected = await predictor.predict(readNpy(new Uint8Array(readFileSync(input))));
    predictor.dispose();
    expect(written.shape).toEqual(expected.shape);
    expect(Array.from(written.data)).toEqual(Array.from(expected.data));
    expect(summary.top[0].index).toBe(
      expected.data.subarray(0, 10).indexOf(Math.max(...expected.data.subarray(0, 10))),
    );
  });

  it("a case of ONNX's conformance data through the CLI matches its expected output", () => {
    const caseDir = '/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d_depthwise_padded';
    const x = readTensorProto(new Uint8Array(readFileSync(join(caseDir, 'test_data_set_0/input_0.pb'))));
    const y = readTensorProto(new Uint8Array(readFileSync(join(caseDir, 'test_data_set_0/output_0.pb'))));
    const xFile = join(dir, 'conv-x.npy');
    const yFile = join(dir, 'conv-y.npy');
    writeFileSync(xFile, writeNpy(Float32Array.from(x.data), x.shape));
    const r = run('--model', join(caseDir, 'model.onnx'), '--input', xFile, '--out', yFile);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote .*conv-y\.npy/);
    const got = readNpy(new Uint8Array(readFileSync(yFile)));
    expect(got.shape).toEqual(y.shape);
    got.data.forEach((v, i) =>
      expect(Math.abs(v - y.data[i]!)).toBeLessThanOrEqual(1e-7 + 1e-3 * Math.abs(y.data[i]!)),
    );
  });

  it('a graph with several outputs writes each one (the first to --out, the others beside it)', () => {
    const caseDir = '/usr/share/libonnx-testdata/data/node/test_split_equal_parts_2d';
    const x = readTensorProto(new Uint8Array(readFileSync(join(caseDir, 'test_data_set_0/input_0.pb'))));
    const xFile = join(dir, 'split-x.npy');
    writeFileSync(xFile, writeNpy(Float32Array.from(x.data), x.shape));
    const r = run('--model', join(caseDir, 'model.onnx'), '--input', xFile, '--out', join(dir, 'split.npy'), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual([join(dir, 'split.npy'), join(dir, 'split.1.npy')]);
    ['split.npy', 'split.1.npy'].forEach((f, k) => {
      const expected = readTensorProto(new Uint8Array(readFileSync(join(caseDir, `test_data_set_0/output_${k}.pb`))));
      const got = readNpy(new Uint8Array(readFileSync(join(dir, f))));
      expect(got.shape).toEqual(expected.shape);
      expect(Array.from(got.data)).toEqual(Array.from(expected.data));
    });
  });

  it('an .onnx with external data reads its weights from beside the model; a location outside its folder is refused', () => {
    const model = (location: string): TinyModel => ({
      inputs: [{ name: 'x', shape: ['N', 1, 1, 2] }],
      outputs: ['y'],
      initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [0], external: location }],
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
    });
    writeFileSync(join(dir, 'ext.onnx'), tinyOnnx(model('ext.weights')));
    writeFileSync(join(dir, 'ext.weights'), new Uint8Array(new Float32Array([-3]).buffer));
    const xFile = join(dir, 'ext-x.npy');
    writeFileSync(xFile, writeNpy(Float32Array.of(1, 2), [1, 1, 1, 2]));
    const r = run('--model', join(dir, 'ext.onnx'), '--input', xFile, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).outputs).toEqual([-3, -6]);
    writeFileSync(join(dir, 'escape.onnx'), tinyOnnx(model('../ext.weights')));
    const bad = run('--model', join(dir, 'escape.onnx'), '--input', xFile);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /pathlight: ONNX .*escape\.onnx: tensor "w" names external data "\.\.\/ext\.weights"; only a relative path inside the model's folder is read/,
    );
  });

  it('bad input is one line on stderr, and no output file is left behind', () => {
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, writeNpy(new Float32Array(5), [5]));
    const out = join(dir, 'never.npy');
    const r = run('--model', onnx, '--input', bad, '--out', out);
    expect(r.status).toBe(1);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('pathlight:')),
    ).toEqual([
      expect.stringMatching(
        /^pathlight: model small_resnet: input has shape \[5\], expected \[N, 3, 16, 16\] or \[3, 16, 16\]$/,
      ),
    ]);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('never'))).toEqual([]);
  });

  describe('non-finite values', () => {
    // x·3e38 overflows float32 for |x| > ~1.13: ReLU keeps +Infinity, and ×0 makes it NaN
    const overflow = (): TinyModel => ({
      inputs: [{ name: 'x', shape: ['N', 1, 1, 2] }],
      outputs: ['y'],
      initializers: [
        { name: 'big', shape: [1, 1, 1, 1], data: [3e38] },
        { name: 'zero', shape: [1, 1, 1, 1], data: [0] },
      ],
      nodes: [
        { op: 'Conv', inputs: ['x', 'big'], outputs: ['h'] },
        { op: 'Relu', inputs: ['h'], outputs: ['r'] },
        { op: 'Conv', inputs: ['r', 'zero'], outputs: ['y'] },
      ],
    });

    it('a NaN or infinite input is refused in one line, naming the file and the index, as explain does', async () => {
      const nan = join(dir, 'nan-x.npy');
      const x = readNpy(new Uint8Array(readFileSync(input)));
      x.data[5] = NaN;
      writeFileSync(nan, writeNpy(x.data, x.shape));
      const r = run('--model', onnx, '--input', nan, '--json');
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('pathlight:')),
      ).toEqual([expect.stringMatching(/^pathlight: --input .*nan-x\.npy: non-finite value NaN at index 5$/)]);
      // the library's predict path refuses it too
      const predictor = onnxPredictor(engine, new Uint8Array(readFileSync(onnx)));
      x.data[5] = 0;
      x.data[7] = -Infinity;
      await expect(predictor.predict(x)).rejects.toThrow(/^model \w+: input: non-finite value -Infinity at index 7$/);
      predictor.dispose();
    });

    it('NaN and infinite outputs are noted in the summary and --json; an all-NaN row has no top', () => {
      writeFileSync(join(dir, 'overflow.onnx'), tinyOnnx(overflow()));
      const xFile = join(dir, 'overflow-x.npy');
      // row 0: [NaN, 0] (10·3e38 overflows, 0.5·3e38 does not); row 1: [NaN, NaN]
      writeFileSync(xFile, writeNpy(Float32Array.of(10, 0.5, 10, 10), [2, 1, 1, 2]));
      const r = run('--model', join(dir, 'overflow.onnx'), '--input', xFile, '--json');
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.outputs).toEqual([null, 0, null, null]);
      expect(summary.top).toEqual([{ index: 1, value: 0 }, null]);
      expect(summary.nonFiniteOutputs).toEqual({ nan: 3, infinite: 0 });
      expect(summary.notes).toContainEqual(
        expect.stringMatching(/^3 NaN among the 4 output values \(.*JSON writes them as null\)$/),
      );
      const text = run('--model', join(dir, 'overflow.onnx'), '--input', xFile);
      expect(text.status, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/row 0 +top 1 \(0\)\nrow 1 +top none \(every output is NaN\)\n/);
      expect(text.stdout).toMatch(/note +3 NaN among the 4 output values/);
    });
  });
});
