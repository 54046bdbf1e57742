#!/usr/bin/env node
/**
 * `npm run bench:train [-- --models lenet,vgg,resnet,mobilenet] [--batch 64] [--steps 3] [--warmup 1]
 *   [--reps 1] [--base DIR] [--record]`: training throughput in Node (Dawn, npm `webgpu`): per zoo
 * model, `steps` steps of the library's trainer (Adam, seeded synthetic images) after `warmup`
 * steps, as images/s, GFLOP/s (3 × the forward's conv + linear FLOPs per image: forward, input and
 * weight gradients) and the fraction of Node's FMA ceiling (bench/ceiling.ts), the median of
 * `reps` timed runs. With `--base DIR` (a source tree, e.g. `git archive` of an older commit with
 * node_modules linked) the same runs of that tree interleave with this one's in one process
 * (A/B/B/A), and each model reports the speed-up: on a shared machine only such ratios compare.
 * JSON to stdout and out/results/train-node.json (bench/results/ with --record).
 */
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';
import { sourceCommit } from '../scripts/source-commit.mjs';
import { resultsDir } from '../scripts/results-dir.mjs';

const { dir: out, argv } = resultsDir();
const KNOWN = ['models', 'batch', 'steps', 'warmup', 'reps', 'base'];
const flags = new Map();
for (let i = 0; i < argv.length; i += 2) {
  const name = argv[i].replace(/^--/, '');
  if (!argv[i].startsWith('--') || !KNOWN.includes(name))
    throw new Error(
      `bench:train: unknown argument ${argv[i]} (known: ${KNOWN.map((k) => `--${k}`).join(' ')} --record)`,
    );
  flags.set(name, argv[i + 1]);
}
const positive = (name, dflt) => {
  const v = Number(flags.get(name) ?? dflt);
  if (!Number.isInteger(v) || v < 1) throw new Error(`bench:train: --${name} needs a positive integer`);
  return v;
};
const models = (flags.get('models') ?? 'lenet,vgg,resnet,mobilenet').split(',');
const batch = positive('batch', 64);
const steps = positive('steps', 3);
const warmup = positive('warmup', 1);
const reps = positive('reps', 1);
const base = flags.get('base');

mkdirSync(`${ROOT}/.tmp`, { recursive: true });
const load = async (name, root) => {
  if (root !== ROOT) copyFileSync(`${ROOT}/bench/train-side.ts`, `${root}/bench/train-side.ts`);
  const outfile = `${ROOT}/.tmp/train-side-${name}.mjs`;
  await esbuild.build({ ...nodeOptions, absWorkingDir: root, entryPoints: [`${root}/bench/train-side.ts`], outfile });
  return import(outfile);
};
const sides = { new: await load('new', ROOT), ...(base ? { base: await load('base', base) } : {}) };
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const loadBefore = loadavg();
const ceiling = await sides.new.nodeCeiling();
console.error(`ceiling: ${ceiling.gflops.toFixed(2)} GFLOP/s (Node FMA probe)`);
let adapter = '';
const results = [];
for (const model of models) {
  const runs = {};
  for (const [name, side] of Object.entries(sides)) {
    const s = await side.trainSide(model, batch);
    adapter = s.adapter;
    await s.run(warmup); // compiles every pipeline
    runs[name] = { s, wall: [], cpu: [] };
  }
  const order = base ? ['base', 'new', 'new', 'base'] : ['new'];
  for (let r = 0; r < reps; r++)
    for (const name of order) {
      const run = runs[name];
      const c0 = cpuSeconds();
      run.wall.push(await run.s.run(steps));
      run.cpu.push(cpuSeconds() - c0);
    }
  const figures = (run) => {
    const seconds = median(run.wall);
    const imagesPerSecond = (steps * batch) / seconds;
    const gflops = (run.s.flopsPerImage * imagesPerSecond) / 1e9;
    return {
      imagesPerSecond: +imagesPerSecond.toFixed(2),
      gflops: +gflops.toFixed(3),
      ofCeiling: +(gflops / ceiling.gflops).toFixed(3),
      secondsPerStep: +(seconds / steps).toFixed(3),
      cpuSecondsPerStep: +(median(run.cpu) / steps).toFixed(3),
      runs: run.wall.length,
    };
  };
  const row = { model, flopsPerImage: runs.new.s.flopsPerImage, ...figures(runs.new) };
  if (base) {
    row.base = figures(runs.base);
    row.speedup = +(row.imagesPerSecond / row.base.imagesPerSecond).toFixed(2);
    row.cpuSpeedup = +(row.base.cpuSecondsPerStep / row.cpuSecondsPerStep).toFixed(2);
  }
  console.error(
    `${model}: ${row.imagesPerSecond} img/s, ${row.gflops} GFLOP/s (${(100 * row.ofCeiling).toFixed(1)} % of the ceiling)` +
      (base ? `; base ${row.base.imagesPerSecond} img/s: ${row.speedup}× (CPU time ${row.cpuSpeedup}×)` : ''),
  );
  results.push(row);
  for (const run of Object.values(runs)) run.s.dispose();
}
const json = {
  runtime: 'node',
  adapter,
  date: new Date().toISOString(),
  commit: sourceCommit(ROOT),
  ...(base ? { base } : {}),
  batch,
  steps,
  warmup,
  reps,
  optimizer: 'adam',
  flopsFormula: '3 × (Σ conv 2·Cout·Ho·Wo·Cin/groups·KH·KW + Σ linear 2·in·out) per image (bench/flops.ts)',
  loadAverage: { before: loadBefore.map((v) => +v.toFixed(2)), after: loadavg().map((v) => +v.toFixed(2)) },
  ceiling: { gflops: +ceiling.gflops.toFixed(3), copyGBps: +ceiling.copy.gbps.toFixed(2) },
  models: results,
};
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/train-node.json`, JSON.stringify(json, null, 2) + '\n');
console.log(JSON.stringify(json));
process.exit(0);
