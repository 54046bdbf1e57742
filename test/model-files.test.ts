/**
 * A model's files are read only from inside its folder, only when they are regular files, and
 * never by blocking on a FIFO (issue #22): TF.js shards and ONNX external data through `loadModel`,
 * the CLI's --allow-outside, and every file error naming its file.
 *
 * A FIFO read that blocks would block this whole process (the old reader was synchronous), so each
 * FIFO has a watchdog writer: it opens the FIFO for writing every 2 s and logs each open that
 * found a reader. The fixed reader never opens a FIFO, so its log stays empty; the old one is
 * released by the watchdog and the test then fails on what it read.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { loadModel, loadPredictor } from '../src/models/load.js';
import { modelFromTfjs } from '../src/models/tfjs/load.js';
import { writeNpy } from '../src/models/npy.js';
import { Tensor } from '../src/tensor/tensor.js';
import { parseFlags } from '../src/cli/flags.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { evalCommand } from '../src/cli/eval-command.js';
import { predictCommand } from '../src/cli/predict-command.js';
import { TinyGraph } from './harness/tfjs-graph.js';
import { tinyOnnx } from './harness/onnx-build.js';

let engine: Engine;
let base: string; // holds model/ (the model's folder) and outside/ (files the model must not reach)
let folder: string;
let outside: string;
const watchdogs: ChildProcess[] = [];

/** A FIFO at `path`, with a watchdog writer whose opens are logged to `path`.log (see above). */
function fifo(path: string): { log: string } {
  execFileSync('mkfifo', [path]);
  const log = `${path}.log`;
  const writer = spawn(
    'timeout',
    ['60', 'sh', '-c', 'while true; do sleep 2; printf x > "$0" && echo opened >> "$1"; done', path, log],
    { stdio: 'ignore' },
  );
  watchdogs.push(writer);
  return { log };
}

/** A tiny TF.js graph model ([4] → 3 logits) and its one shard. */
function tinyTfjs(seed = 5) {
  const g = new TinyGraph(seed);
  const x = g.input([4]);
  g.op('_FusedMatMul', 'logits', [x, g.const('w', [4, 3]), g.const('b', [3])], {
    fused_ops: ['BiasAdd'],
    num_args: 1,
    transpose_a: false,
    transpose_b: false,
  });
  return g.build();
}

/** model/<name>.json naming `shard` as its only weight file. */
function tfjsNaming(name: string, shard: string): string {
  const { json } = tinyTfjs();
  json.weightsManifest[0]!.paths = [shard];
  writeFileSync(join(folder, `${name}.json`), JSON.stringify(json));
  return join(folder, `${name}.json`);
}

/** model/<name>.onnx: a 1×1 Conv whose weight (-3) is external data at `location`. */
function onnxNaming(name: string, location: string): string {
  const bytes = tinyOnnx({
    inputs: [{ name: 'x', shape: ['N', 1, 1, 2] }],
    outputs: ['y'],
    initializers: [{ name: 'w', shape: [1, 1, 1, 1], data: [0], external: location }],
    nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'] }],
  });
  writeFileSync(join(folder, `${name}.onnx`), bytes);
  return join(folder, `${name}.onnx`);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  engine = await createEngine();
  base = mkdtempSync(join(tmpdir(), 'pathlight-model-files-'));
  folder = join(base, 'model');
  outside = join(base, 'outside');
  mkdirSync(folder);
  mkdirSync(outside);
  const { shards } = tinyTfjs();
  writeFileSync(join(folder, 'shard.bin'), shards[0]!);
  // a "system file" of the shard's size, so a reader that follows the model out gets a model
  writeFileSync(join(outside, 'secret.bin'), tinyTfjs(6).shards[0]!);
  symlinkSync(join(outside, 'secret.bin'), join(folder, 'linked.bin'));
  writeFileSync(join(outside, 'w.bin'), new Uint8Array(Float32Array.of(-3).buffer));
  symlinkSync(join(outside, 'w.bin'), join(folder, 'w.bin'));
  mkdirSync(join(folder, 'sub'));
}, 120_000);

afterAll(() => {
  for (const w of watchdogs) w.kill();
  engine?.dispose();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('TF.js shards', () => {
  it('a shard named by an absolute path is refused, naming it and the folder (model.json given without a folder part)', async () => {
    const model = tfjsNaming('absolute', join(outside, 'secret.bin'));
    const cwd = process.cwd();
    process.chdir(folder);
    try {
      await expect(loadModel(engine, 'absolute.json')).rejects.toThrow(
        new RegExp(
          `^weight shard of absolute\\.json: "${esc(join(outside, 'secret.bin'))}" is not a relative path inside the model's folder ${esc(process.cwd())}$`,
        ),
      );
      // with --allow-outside too: it follows links, never absolute names
      await expect(loadModel(engine, model, { allowOutside: true })).rejects.toThrow(
        /is not a relative path inside the model's folder/,
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('a symlinked shard that leaves the folder is refused in one line naming both paths; allowOutside follows it', async () => {
    const model = tfjsNaming('linked', 'linked.bin');
    const refusal = `weight shard of ${model}: ${join(folder, 'linked.bin')} resolves to ${join(outside, 'secret.bin')}, outside the model's folder ${folder} (allowOutside / --allow-outside follows links out of it)`;
    await expect(loadModel(engine, model)).rejects.toThrow(new RegExp(`^${esc(refusal)}$`));
    const { model: m } = await loadModel(engine, model, { allowOutside: true });
    const { json } = tinyTfjs();
    const { model: want } = modelFromTfjs(engine, json, [readFileSync(join(outside, 'secret.bin'))]);
    const x = Tensor.from(engine, Float32Array.of(1, 2, 3, 4), [1, 4]);
    const [a, b] = [m.logits(x), want.logits(x)];
    expect([...(await a.download())]).toEqual([...(await b.download())]);
    for (const d of [a, b, x, m, want]) d.dispose();
  });

  it('a symlink that stays inside the folder is read', async () => {
    symlinkSync('shard.bin', join(folder, 'alias.bin'));
    const { model } = await loadModel(engine, tfjsNaming('alias', 'alias.bin'));
    expect(model.info.numClasses).toBe(3);
    model.dispose();
  });

  it('a FIFO shard is refused without being opened, with or without allowOutside', async () => {
    const { log } = fifo(join(folder, 'pipe.bin'));
    const model = tfjsNaming('pipe', 'pipe.bin');
    const refusal = new RegExp(
      `^weight shard of ${esc(model)}: ${esc(join(folder, 'pipe.bin'))} is not a regular file \\(a FIFO, socket or device is never read\\)$`,
    );
    await expect(loadModel(engine, model)).rejects.toThrow(refusal);
    await expect(loadModel(engine, model, { allowOutside: true })).rejects.toThrow(refusal);
    // a link out of the folder onto a FIFO: allowOutside follows the link, and still refuses the FIFO
    const { log: outsideLog } = fifo(join(outside, 'pipe.bin'));
    symlinkSync(join(outside, 'pipe.bin'), join(folder, 'linked-pipe.bin'));
    const linked = tfjsNaming('linked-pipe', 'linked-pipe.bin');
    await expect(loadModel(engine, linked)).rejects.toThrow(/resolves to .*outside the model's folder/);
    await expect(loadModel(engine, linked, { allowOutside: true })).rejects.toThrow(
      /linked-pipe\.bin is not a regular file/,
    );
    // the model file itself, given to the API (the CLI checks --model before loading)
    const { log: modelLog } = fifo(join(folder, 'fifo.json'));
    await expect(loadModel(engine, join(folder, 'fifo.json'))).rejects.toThrow(
      new RegExp(`^TF\\.js model: ${esc(join(folder, 'fifo.json'))} is not a regular file`),
    );
    expect(existsSync(log) || existsSync(outsideLog) || existsSync(modelLog), 'a FIFO was opened for reading').toBe(
      false,
    );
  });

  it('a directory as a shard is an error naming it (not a bare EISDIR)', async () => {
    const model = tfjsNaming('dir', 'sub');
    await expect(loadModel(engine, model)).rejects.toThrow(
      new RegExp(`^weight shard of ${esc(model)}: ${esc(join(folder, 'sub'))} is a directory, not a file$`),
    );
  });
});

describe('ONNX external data', () => {
  it('external data symlinked out of the folder is refused naming both paths; allowOutside reads it', async () => {
    const model = onnxNaming('linked', 'w.bin');
    const refusal = `external data of ${model}: ${join(folder, 'w.bin')} resolves to ${join(outside, 'w.bin')}, outside the model's folder ${folder} (allowOutside / --allow-outside follows links out of it)`;
    await expect(loadModel(engine, model)).rejects.toThrow(new RegExp(`^${esc(refusal)}$`));
    await expect(loadPredictor(engine, model)).rejects.toThrow(new RegExp(`^${esc(refusal)}$`));
    const { model: m } = await loadModel(engine, model, { allowOutside: true });
    const x = Tensor.from(engine, Float32Array.of(1, 2), [1, 1, 1, 2]);
    const y = m.logits(x);
    expect([...(await y.download())]).toEqual([-3, -6]);
    for (const d of [x, y, m]) d.dispose();
  });

  it('FIFO external data is refused without being opened', async () => {
    const { log } = fifo(join(folder, 'pipe.weights'));
    const model = onnxNaming('pipe', 'pipe.weights');
    const refusal = new RegExp(
      `^external data of ${esc(model)}: ${esc(join(folder, 'pipe.weights'))} is not a regular file`,
    );
    await expect(loadModel(engine, model)).rejects.toThrow(refusal);
    await expect(loadPredictor(engine, model, { allowOutside: true })).rejects.toThrow(refusal);
    expect(existsSync(log), 'the FIFO was opened for reading').toBe(false);
  });

  it('a model path that is a directory is an error naming it (not a bare EISDIR)', async () => {
    mkdirSync(join(base, 'dir.onnx'));
    mkdirSync(join(base, 'dir.safetensors'));
    await expect(loadModel(engine, join(base, 'dir.onnx'))).rejects.toThrow(
      new RegExp(`^ONNX model: ${esc(join(base, 'dir.onnx'))} is a directory, not a file$`),
    );
    await expect(loadModel(engine, join(base, 'dir.safetensors'))).rejects.toThrow(
      new RegExp(`^weights: ${esc(join(base, 'dir.safetensors'))} is a directory, not a file$`),
    );
  });
});

describe('--allow-outside', () => {
  it('predict refuses external data linked out of the folder, and reads it with --allow-outside', async () => {
    const model = onnxNaming('cli', 'w.bin');
    const input = join(base, 'x.npy');
    writeFileSync(input, writeNpy(Float32Array.of(1, 2), [1, 1, 1, 2]));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await expect(predictCommand(parseFlags(['--model', model, '--input', input, '--json']))).rejects.toThrow(
        /resolves to .*outside the model's folder/,
      );
      await predictCommand(parseFlags(['--model', model, '--input', input, '--json', '--allow-outside']));
      expect(JSON.parse(String(log.mock.calls.at(-1)![0])).outputs).toEqual([-3, -6]);
    } finally {
      log.mockRestore();
    }
  });

  it('explain and eval accept the switch', async () => {
    const model = tfjsNaming('flags', 'shard.bin');
    const input = join(base, 'x4.npy');
    writeFileSync(input, writeNpy(Float32Array.of(1, 2, 3, 4), [1, 4]));
    expect(
      parseExplainFlags(
        parseFlags(['--model', model, '--input', input, '--out', join(base, 'a.npy'), '--allow-outside']),
      ).model,
    ).toBe(model);
    // eval checks its flags first: it gets past them to the dataset check
    await expect(evalCommand(parseFlags(['--model', model, '--method', 'ig', '--allow-outside']))).rejects.toThrow(
      /eval: say which test images with --dataset/,
    );
  });
});
