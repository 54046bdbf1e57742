#!/usr/bin/env node
/**
 * End-to-end conv A/B in one Node process: bench/conv-e2e.ts bundled from this checkout (B) and
 * from another source tree (A, `--base DIR`, e.g. a `git archive` of the baseline commit with
 * node_modules linked), IG calls interleaved A/B/B/A per rep.
 *
 *   node bench/conv-ab.mjs --base /tmp/conv-base [--models lenet,resnet] [--steps 64] [--reps 7]
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
for (const model of models) {
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
writeFileSync(`${ROOT}/out/conv-ab.json`, JSON.stringify({ runtime: 'node', base, results }, null, 2) + '\n');
process.exit(0);
