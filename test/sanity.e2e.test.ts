/** `pathlight sanity` end to end: the built CLI on LeNet with a twin, its JSON and SVG, and one-line errors. */
import { beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, ROOT } from '../esbuild.config.mjs';

const cli = join(ROOT, 'dist/cli.js');
let dir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000, cwd: dir });
}

beforeAll(async () => {
  await build();
  dir = mkdtempSync(join(tmpdir(), 'pathlight-sanity-cli-'));
});

it('sanity writes the JSON and the figure: every order, random logit and the twin, per method and measure', () => {
  // the trained weights themselves as the twin: the data-randomisation similarity is then exactly 1
  const twin = join(dir, 'twin.safetensors');
  copyFileSync(join(ROOT, 'assets/models/lenet-mnist.safetensors'), twin);
  const out = join(dir, 'res', 'lenet.json');
  const r = run(
    'sanity',
    '--model',
    'lenet',
    '--method',
    'grad,ig',
    '--samples',
    '2',
    '--steps',
    '4',
    '--twin',
    twin,
    '--out',
    out,
    '--quiet',
  );
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('random logit');
  const j = JSON.parse(readFileSync(out, 'utf8'));
  expect(j.settings).toMatchObject({
    model: 'lenet',
    dataset: 'mnist',
    methods: ['grad', 'ig'],
    steps: 4,
    indices: [0, 1],
  });
  expect(j.layers).toEqual(['fc3', 'fc2', 'fc1', 'conv2', 'conv1']);
  for (const order of ['cascading', 'independent']) {
    expect(j.mprt[order]).toHaveLength(6);
    for (const step of j.mprt[order])
      for (const m of ['grad', 'ig'])
        for (const kind of ['signed', 'abs'])
          for (const measure of ['spearman', 'ssim', 'topk'])
            expect(step.methods[m][kind][measure].values).toHaveLength(2);
  }
  expect(j.dataRandomisation.methods.grad.signed.spearman.mean).toBe(1);
  expect(j.randomLogit.classes).toHaveLength(2);
  const svg = readFileSync(out.replace(/\.json$/, '.svg'), 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.match(/<polyline/g)!.length).toBe(2 * 2 * 6); // 2 orders × 6 panels × 2 methods
  expect(existsSync(join(dir, 'bench'))).toBe(false);
});

it('bad flags: one line naming the problem, exit 1, nothing written', () => {
  for (const [args, message] of [
    [['--model', 'lenet', '--method', 'nope'], "unknown method 'nope'"],
    [['--model', 'model.onnx'], 'must be a zoo model or a zoo-architecture .safetensors'],
    [['--model', 'lenet', '--orders', 'sideways'], "unknown order 'sideways'"],
    [['--model', 'lenet', '--twin', 'missing.safetensors'], 'missing.safetensors does not exist'],
    [['--model', 'lenet', '--record', '--out', 'x.json'], 'give --record or --out'],
    [['--model', 'lenet', '--range', '0:20000'], 'has 10000 images'],
  ] as const) {
    const r = run('sanity', ...args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  }
  expect(existsSync(join(dir, 'out'))).toBe(false);
});
