/**
 * `npm run train -- --model lenet --dataset mnist [--epochs E] [--batch B] [--lr LR] [--optimizer sgd|adam|adamw]
 *   [--weight-decay W] [--seed S] [--limit N] [--out file.safetensors]`
 * Trains a zoo model on the GPU and writes its weights (with the measured test accuracy and
 * throughput in the file's metadata). 3×32×32 models see Fashion-MNIST padded to 32×32 and
 * replicated to 3 channels.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { PathlightError } from '../gpu/errors.js';
import { createZooModel, defaultWeightsFile } from '../models/load.js';
import { zooEntry, type ZooName } from '../models/zoo.js';
import { writeSafetensors } from '../models/safetensors.js';
import { loadFashionMnist, loadMnist, toRgb32, type Split } from '../data/datasets.js';
import { createOptimizer } from './optimizers.js';
import { evaluateAccuracy, train } from './trainer.js';
import { formatProgress } from './progress.js';
import type { LabelledImages } from './batches.js';

function args(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new PathlightError(`unexpected argument '${a}'`);
    out.set(a.slice(2), argv[i + 1] ?? '');
    i++;
  }
  return out;
}

function dataset(name: string, split: Split, channels: number, limit: number): LabelledImages {
  const d = name === 'mnist' ? loadMnist(split) : name === 'fashion-mnist' ? loadFashionMnist(split) : null;
  if (!d) throw new PathlightError(`unknown dataset '${name}' (mnist, fashion-mnist)`);
  const count = Math.min(limit, d.count);
  const images = channels === 3 ? toRgb32(d.images, count) : d.images.subarray(0, count * d.height * d.width);
  return { images, labels: Array.from(d.labels.subarray(0, count)), count };
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const modelName = a.get('model') ?? 'lenet';
  const entry = zooEntry(modelName);
  const dsName = a.get('dataset') ?? entry.dataset;
  const epochs = Number(a.get('epochs') ?? 2);
  const batch = Number(a.get('batch') ?? 64);
  const optimizerName = a.get('optimizer') ?? 'adam';
  const lr = Number(a.get('lr') ?? (optimizerName === 'sgd' ? 0.05 : 2e-3));
  const seed = Number(a.get('seed') ?? 1);
  const limit = Number(a.get('limit') ?? Infinity);
  const out = a.get('out') ?? `assets/models/${defaultWeightsFile(modelName as ZooName)}`;

  const engine = await createEngine();
  const model = createZooModel(engine, modelName, { seed });
  const channels = model.info.inputShape[0];
  const trainSet = dataset(dsName, 'train', channels, limit);
  const testSet = dataset(dsName, 'test', channels, Infinity);
  console.log(`training ${modelName} on ${dsName} (${trainSet.count} images, ${epochs} epochs, batch ${batch}, ${optimizerName} lr ${lr}) on ${engine.adapter.description || engine.adapter.architecture}`);
  const optimizer = createOptimizer(optimizerName, { lr, weightDecay: a.has('weight-decay') ? Number(a.get('weight-decay')) : undefined });
  const tty = process.stdout.isTTY;
  const result = await train(model, trainSet, {
    optimizer,
    epochs,
    batchSize: batch,
    seed,
    reportEvery: 50,
    // cosine decay to 5 % of the initial rate
    lrSchedule: (step, total) => lr * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * step) / total))),
    onReport: (r) => process.stdout.write(tty ? `\r${formatProgress(r)}` : `${formatProgress(r)}\n`),
  });
  if (tty) process.stdout.write('\n');
  const acc = await evaluateAccuracy(model, testSet);
  console.log(`test accuracy ${(100 * acc.accuracy).toFixed(2)} % (${acc.correct}/${acc.count}); ${result.imagesPerSecond.toFixed(0)} img/s; ${result.seconds.toFixed(0)} s`);
  const params = await model.getParameters();
  const metadata = {
    model: modelName,
    dataset: dsName,
    test_accuracy: acc.accuracy.toFixed(4),
    epochs: String(epochs),
    train_images: String(trainSet.count),
    images_per_second: result.imagesPerSecond.toFixed(0),
    train_seconds: result.seconds.toFixed(0),
    optimizer: `${optimizerName} lr ${lr} cosine, batch ${batch}, seed ${seed}`,
    adapter: `${engine.adapter.vendor} ${engine.adapter.architecture} ${engine.adapter.description}`.trim(),
    date: new Date().toISOString().slice(0, 10),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, writeSafetensors(params, metadata));
  console.log(`wrote ${out}`);
  optimizer.dispose();
  model.dispose();
  engine.dispose();
}

main().catch((e) => {
  console.error(e instanceof PathlightError ? `error: ${e.message}` : e);
  process.exit(1);
});
