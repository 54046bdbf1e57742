/**
 * `npm run train`'s recording end to end on the GPU (SwiftShader), a few LeNet steps: a twin's
 * sitting writes its record (subset, permutation, seed, training accuracy, machine, command), and a
 * second sitting with `--init` carries the first one's record and refuses other labels.
 */
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../src/models/safetensors.js';
import { parseTrainArgs, runTrain } from '../src/train/cli.js';
import { sittings } from '../src/train/record.js';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-twins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const twin = (extra: string[]) =>
  parseTrainArgs([
    ...['--model', 'lenet', '--dataset', 'mnist', '--subset', '64', '--permute-labels', '26', '--batch', '16'],
    ...['--steps', '2', '--test-images', '32', '--schedule', 'constant', ...extra],
  ]);

it('records a twin sitting and carries it into the next one (--init)', async () => {
  const first = join(dir, 'first.safetensors');
  const second = join(dir, 'second.safetensors');
  const quiet = () => {};
  const a = await runTrain(twin(['--seed', '3', '--out', first]), quiet, 'first command');
  expect(a.path).toBe(first);
  expect(a.trainAccuracy).toBeGreaterThanOrEqual(0);
  await runTrain(twin(['--seed', '4', '--init', first, '--out', second]), quiet, 'second command');
  const record = readSafetensors(new Uint8Array(readFileSync(second))).metadata;
  const [newest, earlier] = sittings(record);
  expect(sittings(record)).toHaveLength(2);
  expect(newest).toMatchObject({ subset: '64', subset_seed: '1', permute_labels_seed: '26', seed: '4' });
  expect(newest).toMatchObject({ steps: '2', batch: '16', test_images: '32', command: 'second command' });
  expect(earlier).toMatchObject({ seed: '3', command: 'first command', train_accuracy: a.trainAccuracy!.toFixed(4) });
  for (const key of ['train_accuracy', 'train_seconds', 'adapter', 'cpu', 'load_average', 'schedule', 'date'])
    expect(newest![key], key).toBeTruthy();
  await expect(runTrain(twin(['--init', second, '--permute-labels', '27', '--out', second]), quiet)).rejects.toThrow(
    /permute_labels_seed 26, this run has 27/,
  );
}, 300_000);
