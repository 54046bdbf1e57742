#!/usr/bin/env node
/**
 * End-to-end conv A/B in one Node process: bench/conv-e2e.ts bundled from this checkout (B) and
 * from another source tree (A, `--base DIR`, e.g. a `git archive` of the baseline commit with
 * node_modules linked), IG calls interleaved A/B/B/A per rep.
 *
 *   node bench/conv-ab.mjs --base /tmp/conv-base [--models lenet,resnet] [--steps 64] [--reps 7]
 *   node bench/conv-ab.mjs --base /tmp/conv-base --kernels [--n 32] [--only 16->16]   (per conv shape)
 *
 * Prints per model the median wall and CPU ms per call, GFLOP/s, pipelines, and the profile's top
 * ops of each side; writes out/conv-ab.json.
 */
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1];
};
const base = arg('base');
if (!base) throw new Error('conv-ab: give --base DIR (the baseline source tree)');
const models = arg('models', 'lenet,resnet').split(',');
const steps = Number(arg('steps', '64'));
const reps = Number(arg('reps', '7'));

mkdirSync(`${ROOT}/.tmp`, { recursive: true });
const sides = {};
for (const [name, root] of [
  ['A', base],
  ['B', ROOT],
]) {
  if (root !== ROOT) for (const f of ['conv-e2e.ts']) copyFileSync(`${ROOT}/bench/${f}`, `${root}/bench/${f}`);
  const outfile = `${ROOT}/.tmp/conv-e2e-${name}.mjs`;
  await esbuild.build({ ...nodeOptions, absWorkingDir: root, entryPoints: [`${root}/bench/conv-e2e.ts`], outfile });
  sides[name] = await import(outfile);
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const results = [];
// ResNet-S's conv shapes (batch `--n`): [name, cin, cout, hw, k, params]
const SHAPES = [
  ['stem 3->16 32x32', 3, 16, 32, 3, { padding: 1 }],
  ['16->16 32x32', 16, 16, 32, 3, { padding: 1 }],
  ['16->32 32x32 s2', 16, 32, 32, 3, { padding: 1, stride: 2 }],
  ['32->32 16x16', 32, 32, 16, 3, { padding: 1 }],
  ['32->64 16x16 s2', 32, 64, 16, 3, { padding: 1, stride: 2 }],
  ['64->64 8x8', 64, 64, 8, 3, { padding: 1 }],
  ['lenet 1->6 28x28 5x5 p2', 1, 6, 28, 5, { padding: 2 }],
  ['lenet 6->16 14x14 5x5', 6, 16, 14, 5, {}],
];
const kernels = process.argv.includes('--kernels');
const n = Number(arg('n', '32'));
for (const [name, ...shape] of kernels ? SHAPES.filter(([s]) => s.includes(arg('only', ''))) : []) {
  const s = { A: await sides.A.kernelSide(...shape, n), B: await sides.B.kernelSide(...shape, n) };
  for (const direction of ['forward', 'inputGradient']) {
    const samples = { A: { wall: [], cpu: [] }, B: { wall: [], cpu: [] } };
    for (const k of ['A', 'B']) await s[k].run(direction);
    for (let r = 0; r < reps; r++) {
      for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) {
        const [t0, c0] = [performance.now(), cpu()];
        await s[k].run(direction);
        samples[k].wall.push(performance.now() - t0);
        samples[k].cpu.push(cpu() - c0);
      }
    }
    const row = { shape: name, direction, n, reps };
    for (const k of ['A', 'B']) {
      const wall = median(samples[k].wall);
      const cpuMs = median(samples[k].cpu);
      row[k] = {
        wallMs: +wall.toFixed(2),
        cpuMs: +cpuMs.toFixed(2),
        gflops: +(s.A.flops / wall / 1e6).toFixed(2),
        gflopsCpu: +(s.A.flops / cpuMs / 1e6).toFixed(2),
      };
    }
    row.ratioWall = +(row.A.wallMs / row.B.wallMs).toFixed(3);
    row.ratioCpu = +(row.A.cpuMs / row.B.cpuMs).toFixed(3);
    console.error(
      `${name} ${direction}: A ${row.A.gflops} / B ${row.B.gflops} GFLOP/s wall, A ${row.A.gflopsCpu} / B ${row.B.gflopsCpu} per CPU-s: B ${row.ratioWall}x by wall, ${row.ratioCpu}x by CPU`,
    );
    results.push(row);
  }
  for (const k of ['A', 'B']) s[k].dispose();
}
for (const model of kernels ? [] : models) {
  const s = { A: await sides.A.side(model, steps), B: await sides.B.side(model, steps) };
  const samples = { A: { wall: [], cpu: [] }, B: { wall: [], cpu: [] } };
  for (const k of ['A', 'B']) await s[k].call(); // compile
  for (let r = 0; r < reps; r++) {
    for (const k of r % 2 ? ['B', 'A'] : ['A', 'B']) {
      const [t0, c0] = [performance.now(), cpu()];
      await s[k].call();
      samples[k].wall.push(performance.now() - t0);
      samples[k].cpu.push(cpu() - c0);
    }
  }
  const row = { model, steps, reps };
  for (const k of ['A', 'B']) {
    const profile = await s[k].profile();
    const wall = median(samples[k].wall);
    const cpuMs = median(samples[k].cpu);
    const top = profile.supported
      ? profile.ops.slice(0, 6).map((o) => ({ op: o.op, n: o.dispatches, ms: +o.gpuMs.toFixed(1) }))
      : [];
    row[k] = {
      wallMs: +wall.toFixed(1),
      cpuMs: +cpuMs.toFixed(1),
      gflops: +(s[k].flops() / wall / 1e6).toFixed(2),
      gflopsCpu: +(s[k].flops() / cpuMs / 1e6).toFixed(2),
      pipelines: s[k].pipelines(),
      top,
      samples: samples[k].wall.map((x) => +x.toFixed(1)),
    };
    console.error(`${model} IG-${steps} ${k}: ${JSON.stringify(row[k])}`);
    s[k].dispose();
  }
  row.ratioWall = +(row.A.wallMs / row.B.wallMs).toFixed(3);
  row.ratioCpu = +(row.A.cpuMs / row.B.cpuMs).toFixed(3);
  console.error(`${model}: B is ${row.ratioWall}x A by wall, ${row.ratioCpu}x by CPU`);
  results.push(row);
}
mkdirSync(`${ROOT}/out`, { recursive: true });
writeFileSync(
  `${ROOT}/out/conv-ab${kernels ? '-kernels' : ''}.json`,
  JSON.stringify({ runtime: 'node', base, results }, null, 2) + '\n',
);
process.exit(0);
