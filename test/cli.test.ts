/** The `pathlight` command end to end: build, explain an ONNX model's inputs, check the files and errors. */
import { beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';
import { readNpy } from '../src/models/npy.js';
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
  expect(bad.stderr).toMatch(/target class 99 for input 0 is out of range/);
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
