/** The `pathlight` command end to end: build, explain an ONNX model's inputs, check the files and errors. */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { decodePng } from '../src/data/png.js';

const cli = join(ROOT, 'dist/cli.js');
const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
const input = join(ROOT, 'test/fixtures/small_resnet_input.npy');
let dir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
}

beforeAll(async () => {
  await build();
  dir = mkdtempSync(join(tmpdir(), 'pathlight-cli-'));
});

it('explain --json writes the attribution .npy (input shape) and a heatmap .png', () => {
  const out = join(dir, 'attr.npy');
  const r = run('explain', '--model', onnx, '--input', input, '--method', 'idgi', '--steps', '8', '--target', '3', '--out', out, '--json');
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stdout);
  expect(summary.method).toBe('idgi');
  expect(summary.images).toHaveLength(2);
  for (const im of summary.images) {
    expect(im.target).toBe(3);
    // IDGI is exactly complete
    expect(Math.abs(im.sum - (im.fx - im.fBaseline - im.droppedDelta))).toBeLessThan(1e-3 * Math.max(1, Math.abs(im.fx - im.fBaseline)));
  }
  const npy = readNpy(new Uint8Array(readFileSync(out)));
  expect(npy.shape).toEqual([2, 3, 16, 16]);
  expect(npy.data.some((v) => v !== 0)).toBe(true);
  const png = decodePng(new Uint8Array(readFileSync(join(dir, 'attr.png'))), { channels: 3 });
  expect(png.width).toBeGreaterThan(3 * 16);
});

it('a bad target, an unknown method and a missing file are one-line errors with exit code 1', () => {
  const bad = run('explain', '--model', onnx, '--input', input, '--method', 'grad', '--target', '99', '--out', join(dir, 'x.npy'));
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/target class 99 for image 0 is out of range/);
  expect(bad.stderr).not.toMatch(/cli\.js:\d+/); // no stack trace of ours (Dawn may print its own adapter warnings)
  const method = run('explain', '--model', onnx, '--input', input, '--method', 'magic');
  expect(method.status).toBe(1);
  expect(method.stderr).toMatch(/unknown method 'magic'/);
  const missing = run('explain', '--model', join(dir, 'nope.onnx'), '--input', input, '--method', 'grad');
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/nope\.onnx does not exist/);
});

it('eval --json scores methods on the bundled samples: AUCs in [0, 1], IDGI exactly complete, IG2 on relevant references', () => {
  const out = join(dir, 'eval.json');
  const r = run('eval', '--model', 'lenet', '--method', 'ig,idgi,ig2', '--samples', '2', '--steps', '8', '--json', '--out', out);
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
  expect(result.labels).toHaveLength(2);
  expect(result.methods.map((m: { method: string }) => m.method)).toEqual(['ig', 'idgi', 'ig2']);
  for (const m of result.methods) {
    expect(m.images).toBe(2);
    for (const k of ['insertionAuc', 'deletionAuc', 'gini']) expect(m[k]).toBeGreaterThanOrEqual(0), expect(m[k]).toBeLessThanOrEqual(1);
    // a trained LeNet is confident on these digits, so PIC keeps them
    expect(m.picImages).toBeGreaterThan(0);
    expect(m.sicAuc).toBeGreaterThan(0);
  }
  const [ig, idgi] = result.methods;
  expect(idgi.completenessError).toBeLessThan(1e-4);
  expect(ig.completenessError).toBeGreaterThan(idgi.completenessError);
  // deleting pixels in attribution order must hurt more than inserting them helps from nothing
  expect(ig.deletionAuc).toBeLessThan(ig.insertionAuc);
  const bad = run('eval', '--model', 'lenet', '--method', 'ig,magic');
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/unknown method 'magic'/);
  const typo = run('eval', '--model', 'lenet', '--sample', '2');
  expect(typo.status).toBe(1);
  expect(typo.stderr).toMatch(/unknown flag --sample/);
});

describe('explain on non-image models: .npy in, .npy out', () => {
  const fixtures = [
    { name: 'mlp', shape: [4, 10] },
    { name: 'conv1d', shape: [3, 4, 16] },
  ];
  for (const f of fixtures) {
    for (const method of ['ig', 'idgi']) {
      it(`${f.name} [N, ${f.shape.slice(1).join(', ')}], --method ${method}: the attribution has the input's shape and sums to f(x) − f(x')`, () => {
        const out = join(dir, `${f.name}-${method}.npy`);
        const model = join(ROOT, `test/fixtures/${f.name}.onnx`);
        const r = run('explain', '--model', model, '--input', join(ROOT, `test/fixtures/${f.name}_input.npy`), '--method', method, '--steps', '64', '--out', out, '--json');
        expect(r.status, r.stderr).toBe(0);
        const summary = JSON.parse(r.stdout);
        expect(summary.files).toEqual({ npy: out });
        expect(existsSync(join(dir, `${f.name}-${method}.png`))).toBe(false);
        const npy = readNpy(new Uint8Array(readFileSync(out)));
        expect(npy.shape).toEqual(f.shape);
        const per = npy.data.length / f.shape[0]!;
        expect(summary.images).toHaveLength(f.shape[0]);
        summary.images.forEach((im: { sum: number; fx: number; fBaseline: number; droppedDelta: number; completenessError: number }, row: number) => {
          const sum = npy.data.subarray(row * per, (row + 1) * per).reduce((a, b) => a + b, 0);
          const delta = im.fx - im.fBaseline;
          const scale = Math.max(1, Math.abs(delta));
          // the file holds what the summary reports
          expect(Math.abs(sum - im.sum)).toBeLessThan(1e-4 * scale);
          // IDGI is exactly complete; IG up to its quadrature error over the ReLU kinks (64 trapezoid
          // steps: at most 3.5 % of f(x) − f(x') on these rows, measured)
          if (method === 'idgi') expect(Math.abs(sum - (delta - im.droppedDelta))).toBeLessThan(1e-3 * scale);
          else expect(Math.abs(sum - delta)).toBeLessThan(0.06 * Math.abs(delta) + 1e-4);
          expect(npy.data.subarray(row * per, (row + 1) * per).some((v) => v !== 0)).toBe(true);
        });
      });
    }
  }

  it('one row [D] in gives one row out; the default output is .npy', () => {
    const row = join(dir, 'row.npy');
    writeFileSync(row, writeNpy(Float32Array.from({ length: 10 }, (_, i) => i / 10 - 0.4), [10]));
    const cwd = mkdtempSync(join(tmpdir(), 'pathlight-cli-cwd-'));
    const r = spawnSync(process.execPath, [cli, 'explain', '--model', join(ROOT, 'test/fixtures/mlp.onnx'), '--input', row, '--method', 'grad', '--target', '2'], { encoding: 'utf8', timeout: 120_000, cwd });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wrote +out\/mlp-grad\.npy\n/);
    expect(readNpy(new Uint8Array(readFileSync(join(cwd, 'out/mlp-grad.npy')))).shape).toEqual([10]);
  });

  it('image-only inputs and outputs are one-line errors naming the model input shape', () => {
    const mlp = join(ROOT, 'test/fixtures/mlp.onnx');
    const x = join(ROOT, 'test/fixtures/mlp_input.npy');
    const png = run('explain', '--model', mlp, '--input', x, '--method', 'grad', '--out', join(dir, 'mlp.png'));
    expect(png.status).toBe(1);
    expect(png.stderr).toMatch(/--out .*mlp\.png: a heatmap PNG needs an image input \[C, H, W\], model mlp takes \[N, 10\]; use --out file\.npy/);
    expect(png.stderr).not.toMatch(/cli\.js:\d+/);
    const sample = run('explain', '--model', mlp, '--input', 'sample:0', '--dataset', 'mnist', '--method', 'grad');
    expect(sample.status).toBe(1);
    expect(sample.stderr).toMatch(/--input sample:0 \(a bundled image sample\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\], which is not an image/);
    // refused before it is decoded
    const image = join(dir, 'image.png');
    writeFileSync(image, 'not decoded');
    const pngIn = run('explain', '--model', mlp, '--input', image, '--method', 'grad');
    expect(pngIn.status).toBe(1);
    expect(pngIn.stderr).toMatch(/\(a PNG\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\]/);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, writeNpy(new Float32Array(40), [2, 20]));
    const shape = run('explain', '--model', mlp, '--input', wrong, '--method', 'grad');
    expect(shape.status).toBe(1);
    expect(shape.stderr).toMatch(/input .*wrong\.npy has shape \[2, 20\], model mlp expects \[N, 10\] or \[10\]/);
    // the image fixture's 2×3×16×16 values as [6, 256]: the element count fits, the shape does not
    const flat = join(dir, 'flat.npy');
    writeFileSync(flat, writeNpy(readNpy(new Uint8Array(readFileSync(input))).data, [6, 256]));
    const image4d = run('explain', '--model', onnx, '--input', flat, '--method', 'grad');
    expect(image4d.status).toBe(1);
    expect(image4d.stderr).toMatch(/flat\.npy has shape \[6, 256\], model small_resnet expects \[N, 3, 16, 16\] or \[3, 16, 16\]/);
    const evalMlp = run('eval', '--model', mlp, '--dataset', 'mnist', '--samples', '2');
    expect(evalMlp.status).toBe(1);
    expect(evalMlp.stderr).toMatch(/pathlight eval \(image datasets and pixel metrics only\) needs a model with an image input \[C, H, W\]; model mlp takes \[N, 10\]/);
  });
});
