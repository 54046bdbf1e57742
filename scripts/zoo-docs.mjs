#!/usr/bin/env node
/**
 * `node scripts/zoo-docs.mjs models | twins | commands`: docs/zoo.md's tables, read from the
 * training records that `npm run train` writes into the safetensors headers of assets/models/
 * (the shipped zoo) and assets/twins/ (the random-label twins, outside the npm package), never
 * typed by hand. scripts/docs-tables.mjs puts them into docs/zoo.md (`--write`) and checks them
 * (`--check`, run by test/readme.test.ts).
 *
 * A record continued with `--init` carries the earlier sittings in `continued_from`: epochs, steps
 * and time are their sums. Records written before the record held the seed and the command
 * (the zoo of 2026-11, trained before issue #26) take both from EARLIER_COMMANDS, the commands
 * docs/training.md gave for them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATASET = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

/** The commands of the records that do not hold theirs, oldest sitting first (from docs/training.md). */
export const EARLIER_COMMANDS = {
  'lenet-mnist.safetensors': [
    'npm run train -- --model lenet --dataset mnist --epochs 2 --batch 128 --lr 0.003 --optimizer adam --seed 2',
  ],
  'resnet-fashion-mnist.safetensors': [
    'npm run train -- --model resnet --dataset fashion-mnist --steps 400 --batch 32 --lr 0.002 --optimizer adam --seed 3 --out assets/models/resnet-fashion-mnist.safetensors',
  ],
  'mobilenet-fashion-mnist.safetensors': [
    'npm run train -- --model mobilenet --dataset fashion-mnist --steps 400 --batch 32 --lr 0.003 --optimizer adam --seed 3 --out assets/models/mobilenet-fashion-mnist.safetensors',
  ],
  'vgg-fashion-mnist.safetensors': [
    'npm run train -- --model vgg --dataset fashion-mnist --steps 500 --batch 32 --lr 0.002 --optimizer adam --seed 3 --out vgg-500.safetensors',
    'npm run train -- --model vgg --dataset fashion-mnist --steps 300 --batch 32 --lr 0.001 --optimizer adam --seed 4 --init vgg-500.safetensors --out assets/models/vgg-fashion-mnist.safetensors',
  ],
};

const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const percent = (v) => `${(100 * Number(v)).toFixed(2)} %`;

/** The header of a safetensors file: its tensors and its metadata (the training record). */
export function readHeader(bytes) {
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  const { __metadata__: metadata = {}, ...tensors } = header;
  return { tensors, metadata };
}

/** Trainable parameters: every tensor but the batch norms' running statistics. */
export function trainableParameters(tensors) {
  return Object.entries(tensors)
    .filter(([k]) => !/(running_mean|running_var|num_batches_tracked)$/.test(k))
    .reduce((a, [, t]) => a + t.shape.reduce((x, y) => x * y, 1), 0);
}

/** One weights file as the tables need it: the sittings (oldest first) and their totals. */
export function zooEntry(file, bytes) {
  const { tensors, metadata } = readHeader(bytes);
  const runs = [metadata];
  for (let r = metadata; r.continued_from;) runs.push((r = JSON.parse(r.continued_from)));
  runs.reverse();
  const earlier = EARLIER_COMMANDS[file] ?? [];
  const commands = runs.map((r, i) => r.command ?? earlier[i] ?? '(not recorded)');
  const seeds = runs.map((r, i) => r.seed ?? /--seed (\d+)/.exec(commands[i])?.[1] ?? '?');
  const seen = runs.reduce((a, r) => a + Number(r.steps) * Number(r.batch), 0);
  const cpu = runs.find((r) => r.cpu)?.cpu;
  return {
    file,
    record: metadata,
    runs,
    commands,
    seeds,
    parameters: trainableParameters(tensors),
    epochs: seen / Number(metadata.train_images),
    seen,
    seconds: runs.reduce((a, r) => a + Number(r.train_seconds), 0),
    schedule: [...new Set(runs.map((r) => r.schedule ?? r.optimizer.split(' ').at(-1)))].join(', then '),
    optimizer: [...new Set(runs.map((r) => `${r.optimizer.split(' lr ')[0]} lr ${r.optimizer.split(' ')[2]}`))].join(
      ', then ',
    ),
    machine: `${runs.at(-1).adapter.replace(/^google swiftshader /, '')}${cpu ? `; ${cpu}` : '; CPU not recorded'}`,
  };
}

/** The entries of one folder of weights, in file-name order. */
export function zooEntries(folder) {
  const dir = join(ROOT, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => zooEntry(f, readFileSync(join(dir, f))));
}

/** The sittings' seeds: a run of consecutive ones as a range, else in order. */
function seedList(seeds) {
  const consecutive = seeds.length > 2 && seeds.every((s, i) => i === 0 || Number(s) === Number(seeds[i - 1]) + 1);
  return consecutive ? `${seeds[0]}–${seeds.at(-1)} (one per sitting)` : seeds.join(', then ');
}

const time = (s) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s / 60)} min`);
const sittingsNote = (e) => (e.runs.length > 1 ? ` in ${e.runs.length} sittings` : '');

export function modelsTable(entries = zooEntries('assets/models')) {
  const lines = [
    '| model | dataset | test accuracy (10 000 test images) | trainable parameters | epochs | seed | optimizer | schedule | batch | training time | machine |',
    '|---|---|---:|---:|---:|---|---|---|---:|---:|---|',
  ];
  for (const e of entries) {
    const m = e.record;
    lines.push(
      `| ${m.model} | ${DATASET[m.dataset] ?? m.dataset} | ${percent(m.test_accuracy)} | ${group(e.parameters)} | ` +
        `${e.epochs.toFixed(2)}${sittingsNote(e)} | ${seedList(e.seeds)} | ${e.optimizer} | ${e.schedule} | ${m.batch} | ` +
        `${time(e.seconds)} | ${e.machine} |`,
    );
  }
  return lines.join('\n');
}

export function twinsTable(entries = zooEntries('assets/twins')) {
  const lines = [
    '| file | model | dataset | training images | labels | training accuracy (its permuted labels) | test accuracy (true labels) | epochs | seed | optimizer | schedule | batch | training time | machine |',
    '|---|---|---|---:|---|---:|---:|---:|---|---|---|---:|---:|---|',
  ];
  for (const e of entries) {
    const m = e.record;
    const images = m.subset ? `${group(m.subset)} (seeded subset, seed ${m.subset_seed})` : group(m.train_images);
    const labels = m.permute_labels_seed !== undefined ? `permuted, seed ${m.permute_labels_seed}` : 'true';
    lines.push(
      `| \`assets/twins/${e.file}\` | ${m.model} | ${DATASET[m.dataset] ?? m.dataset} | ${images} | ${labels} | ` +
        `${m.train_accuracy !== undefined ? percent(m.train_accuracy) : '—'} | ${percent(m.test_accuracy)} (first ${group(m.test_images ?? 10000)}) | ` +
        `${e.epochs.toFixed(2)}${sittingsNote(e)} | ${seedList(e.seeds)} | ${e.optimizer} | ${e.schedule} | ${m.batch} | ${time(e.seconds)} | ${e.machine} |`,
    );
  }
  return lines.join('\n');
}

/** The commands that trained each file, sitting by sitting (with the training accuracy each reached), in one fenced block. */
export function commands(entries) {
  const lines = ['```'];
  for (const e of entries) {
    lines.push(`# ${e.file}`);
    e.commands.forEach((command, i) => {
      lines.push(command);
      const r = e.runs[i];
      if (r.train_accuracy !== undefined) lines.push(`#   -> training accuracy ${percent(r.train_accuracy)}`);
    });
  }
  lines.push('```');
  return lines.join('\n');
}

const GENERATED = {
  models: () => modelsTable(),
  twins: () => twinsTable(),
  'model-commands': () => commands(zooEntries('assets/models')),
  'twin-commands': () => commands(zooEntries('assets/twins')),
  checkpoints: () => modelsTable(zooEntries('assets/checkpoints')),
  'checkpoint-commands': () => commands(zooEntries('assets/checkpoints')),
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const what = process.argv[2];
  if (!GENERATED[what]) {
    console.error(`usage: node scripts/zoo-docs.mjs ${Object.keys(GENERATED).join(' | ')}`);
    process.exit(2);
  }
  console.log(GENERATED[what]());
}
