#!/usr/bin/env node
/**
 * `node scripts/models-table.mjs`: the README's table of shipped models, read from the training
 * record that `npm run train` writes into each assets/models/*.safetensors header (accuracy,
 * epochs, time, images/s, command settings), plus the parameter count of its tensors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'assets', 'models');
const PYTORCH = { lenet: '~3 900 img/s', resnet: '~1 000 img/s' };
const DATASET = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST' };

const group = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

const rows = [];
for (const file of readdirSync(DIR)
  .filter((f) => f.endsWith('.safetensors'))
  .sort()) {
  const bytes = readFileSync(join(DIR, file));
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  const m = header.__metadata__ ?? {};
  // a run continued with --init carries the earlier run's record: report the totals
  const runs = [m];
  for (let r = m; r.continued_from;) runs.push((r = JSON.parse(r.continued_from)));
  const total = (key) => runs.reduce((a, r) => a + Number(r[key]), 0);
  const params = Object.entries(header)
    .filter(
      ([k]) =>
        k !== '__metadata__' &&
        !k.endsWith('running_mean') &&
        !k.endsWith('running_var') &&
        !k.endsWith('num_batches_tracked'),
    )
    .reduce((a, [, t]) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const images = Number(m.train_images);
  const seen = runs.reduce((a, r) => a + Number(r.steps) * Number(r.batch), 0);
  const epochs = (seen / images).toFixed(2);
  const how = runs
    .map((r) => `${r.steps} steps ${r.optimizer}`)
    .reverse()
    .join(', then ');
  const ips =
    runs.length > 1
      ? runs
          .map((r) => r.images_per_second)
          .reverse()
          .join(' / ')
      : m.images_per_second;
  rows.push(
    `| ${m.model} | ${DATASET[m.dataset] ?? m.dataset} | ${group(params)} | ${(100 * Number(m.test_accuracy)).toFixed(2)} % | ` +
      `${epochs} epochs (${group(seen)} of ${group(images)} images seen): ${how}, batch ${m.batch} | ${group(Math.round(total('train_seconds')))} s | ${ips} img/s | ${PYTORCH[m.model] ?? '—'} |`,
  );
}
console.log(
  '| model | dataset | trainable parameters | test accuracy (10 000 test images) | training | training time | trainer throughput | PyTorch, same 2 cores |',
);
console.log('|---|---|---:|---:|---|---:|---:|---:|');
for (const r of rows) console.log(r);
