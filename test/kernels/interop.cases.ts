/**
 * Sharing the GPUDevice with another library: `Tensor.wrap` / `share()` on raw buffers, and a
 * TF.js CNN (WebGPU backend on pathlight's device) explained through `gpuFunction` with no CPU
 * copy (examples/tfjs-gpu-function.ts), against pathlight's own Model on the same weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { defineCases } from '../harness/cases.js';
import { assert, AssertionFailed, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { PathlightError } from '../../src/errors.js';
import { STORAGE_USAGE } from '../../src/gpu/pool.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { explain, type ExplainOptions } from '../../src/attribution/index.js';
import { fuseModel, modelFromSpec } from '../../src/models/fuse.js';
import { zooSpec } from '../../src/models/zoo.js';
import { tfModelFromSpec } from '../../bench/tfjs-net.js';
import { shareDeviceWithTfjs, tfjsClassifier } from '../../examples/tfjs-gpu-function.js';

/** Copy a buffer to the CPU with the device alone (submitted now, so it sees only work already in the queue). */
function readRaw(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([enc.finish()]);
  return staging.mapAsync(GPUMapMode.READ).then(() => {
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return out;
  });
}

function rawBuffer(device: GPUDevice, size: number, usage = STORAGE_USAGE): GPUBuffer {
  return device.createBuffer({ size, usage, label: 'caller buffer' });
}

async function expectPathlightError(fn: () => unknown, pattern: RegExp, label: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert(
      e instanceof PathlightError,
      `${label}: threw ${(e as Error).name}, not a PathlightError: ${(e as Error).message}`,
    );
    assert(
      pattern.test(e.message) && !e.message.includes('\n'),
      `${label}: "${e.message}" does not match ${pattern} on one line`,
    );
    return;
  }
  throw new AssertionFailed(`${label}: expected a PathlightError matching ${pattern}, none was thrown`);
}

const same = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

/** Record the calls of some methods of one object (own-property shims over its prototype's; restore removes them). */
function spyOn(obj: object, names: readonly string[]): { calls: Record<string, unknown[][]>; restore(): void } {
  const o = obj as Record<string, (...a: unknown[]) => unknown>;
  const calls: Record<string, unknown[][]> = {};
  for (const name of names) {
    const original = o[name];
    if (typeof original !== 'function') throw new AssertionFailed(`spyOn: ${name} is not a method`);
    const seen: unknown[][] = (calls[name] = []);
    o[name] = function (this: unknown, ...args: unknown[]) {
      seen.push(args);
      return original.apply(this, args);
    };
  }
  return { calls, restore: () => names.forEach((name) => delete o[name]) };
}

const LENET: [number, number, number] = [1, 28, 28];
const D = LENET[0] * LENET[1] * LENET[2];

export default defineCases('interop', (test) => {
  test('Tensor.wrap borrows a caller buffer: data both ways, release once after dispose, work submitted first', async (engine) => {
    const data = Float32Array.from({ length: 10 }, (_, i) => i * 1.5 - 4);
    const raw = rawBuffer(engine.device, 64); // larger than the tensor: allowed
    engine.device.queue.writeBuffer(raw, 0, data);
    let releases = 0;
    const released = () => releases; // a call, so the asserts below do not narrow the count
    let seenAtRelease: Promise<Float32Array> | null = null;
    const live = engine.poolStats().liveBuffers;
    const t = Tensor.wrap(engine, raw, [2, 5], {
      release: () => {
        releases++;
        seenAtRelease = readRaw(engine.device, raw, 40);
      },
    });
    assert(t.buffer === raw && t.byteLength === 40, 'wrap did not keep the caller buffer');
    assert(same(await t.download(), data), 'reading a wrapped buffer changed the values');
    assert(engine.poolStats().liveBuffers === live, 'wrap took a pooled buffer');
    // pathlight writes into the caller's buffer (recorded, not yet submitted) ...
    const next = Float32Array.from({ length: 10 }, (_, i) => 100 - i);
    const src = Tensor.from(engine, next, [10]);
    engine.copy(src.buffer, 0, t.buffer, 0, 40);
    const view = t.reshape([10]);
    t.dispose();
    assert(released() === 0, 'release called while a view is alive');
    view.dispose();
    assert(released() === 1, `release called ${released()} times after the last dispose`);
    view.dispose();
    t.dispose();
    assert(released() === 1, 'release called again by a second dispose');
    // ... and the release callback, reading with its own submission, already sees that write
    const seen = seenAtRelease as Promise<Float32Array> | null; // set by the release callback, which TS does not follow
    assert(
      seen !== null && same(await seen, next),
      'work recorded on the wrapped buffer was not submitted before release',
    );
    await expectPathlightError(() => view.download(), /used after dispose/, 'disposed wrap');
    src.dispose();
    raw.destroy();
  });

  test('share() lends a tensor buffer: contents final, writes visible, storage kept until both ends let go', async (engine) => {
    const data = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i));
    const live = engine.poolStats().liveBuffers;
    const t = Tensor.from(engine, data, [3, 4]); // the upload is recorded, not submitted
    const s = t.share();
    assert(
      s.byteLength === 48 && s.buffer.size >= 48 && (s.buffer.usage & STORAGE_USAGE) === STORAGE_USAGE,
      'shared buffer size or usage',
    );
    assert(same(await readRaw(engine.device, s.buffer, 48), data), 'share() did not submit the pending upload');
    const written = Float32Array.from({ length: 12 }, (_, i) => -i);
    engine.device.queue.writeBuffer(s.buffer, 0, written); // the borrower writes through the loan
    assert(same(await t.download(), written), "the borrower's write is not what the tensor reads");
    t.dispose();
    assert(engine.poolStats().liveBuffers === live + 1, 'storage returned to the pool while still lent');
    s.release();
    assert(engine.poolStats().liveBuffers === live, 'storage not returned after dispose + release');
    s.release();
    assert(engine.poolStats().liveBuffers === live, 'a second release() released again');
    const u = Tensor.from(engine, data, [12]);
    const s2 = u.share();
    s2.release();
    assert(same(await u.download(), data), 'releasing the loan first broke the tensor');
    u.dispose();
    assert(engine.poolStats().liveBuffers === live, 'release-then-dispose leaked');
    await expectPathlightError(() => u.share(), /used after dispose/, 'share after dispose');
  });

  test('Tensor.wrap rejects unusable buffers with one-line PathlightErrors', async (engine) => {
    const d = engine.device;
    const small = rawBuffer(d, 16);
    const noCopyDst = rawBuffer(d, 64, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC);
    const mappable = rawBuffer(d, 64, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    let releases = 0;
    const release = () => void releases++;
    await expectPathlightError(
      () => Tensor.wrap(engine, small, [2, 5], { release }),
      /buffer of 16 bytes is smaller than shape \[2, 5\] \(40 bytes\)/,
      'too small',
    );
    await expectPathlightError(
      () => Tensor.wrap(engine, noCopyDst, [2, 5], { release }),
      /lacks STORAGE \| COPY_SRC \| COPY_DST/,
      'no COPY_DST',
    );
    await expectPathlightError(
      () => Tensor.wrap(engine, mappable, [4], { release }),
      /lacks STORAGE \| COPY_SRC \| COPY_DST/,
      'map buffer',
    );
    await expectPathlightError(
      () => Tensor.wrap(engine, {} as GPUBuffer, [4], { release }),
      /needs a GPUBuffer/,
      'not a buffer',
    );
    await expectPathlightError(
      () => Tensor.wrap(engine, small, [2.5], { release }),
      /non-negative integers/,
      'bad shape',
    );
    assert(releases === 0, 'a rejected buffer was released');
    for (const b of [small, noCopyDst, mappable]) b.destroy();
  });

  test('IDGI of a TF.js CNN on the shared device (gpuFunction, zero-copy) matches the same pathlight Model', async (engine) => {
    const backend: WebGPUBackend = await shareDeviceWithTfjs(engine.device);
    assert(backend.device === engine.device, 'TF.js runs on another device');
    const spec = fuseModel(zooSpec('lenet', undefined, 7));
    const model = modelFromSpec(engine, spec);
    const net = tfModelFromSpec(spec);
    const rng = new Rng(11);
    const x = Float32Array.from(rng.uniform(2 * D, 0, 1));
    // a random baseline: no max-pool ties along the path (a tie routes the gradient either way)
    const options: ExplainOptions = {
      method: 'idgi',
      steps: 16,
      target: [3, 7],
      baseline: Float32Array.from(rng.uniform(2 * D, 0, 0.3)),
    };
    // every way TF.js reads a tensor to the CPU (data, dataSync, arraySync, ...) ends in read or readSync
    const spies = spyOn(backend, ['read', 'readSync', 'getBufferData', 'createTensorFromGPUData', 'copyBuffer']);
    const count = (name: string) => spies.calls[name]!.length;
    try {
      const ours = await explain(engine, model, x, options);
      // the whole path in one evaluation, then chunks of 12 rows (a small memory budget)
      for (const budget of [undefined, 12 * 8 * 4 * 784]) {
        const subject = tfjsClassifier((z) => net.predict(z), { inputShape: LENET });
        await engine.sync();
        const reads0 = engine.stats.readbacks;
        const live = engine.poolStats().liveBuffers;
        const tensors = tf.memory().numTensors;
        const wrapped = count('createTensorFromGPUData');
        const r = await explain(engine, subject, x, { ...options, ...(budget && { memoryBudgetBytes: budget }) });
        const what = `budget ${budget ?? 'default'}`;
        assert(
          engine.stats.readbacks - reads0 === 2,
          `${what}: ${engine.stats.readbacks - reads0} pathlight readbacks, expected 2`,
        );
        assert(
          engine.poolStats().liveBuffers === live,
          `${what}: ${engine.poolStats().liveBuffers - live} pathlight buffers leaked`,
        );
        assert(tf.memory().numTensors === tensors, `${what}: ${tf.memory().numTensors - tensors} TF.js tensors leaked`);
        const err = relL2(r.attribution, ours.attribution);
        assert(err < 1e-4, `${what}: TF.js vs pathlight attribution rel L2 ${err.toExponential(3)}`);
        r.images.forEach((im, i) => {
          const o = ours.images[i]!;
          assert(
            Math.abs(im.fx - o.fx) <= 1e-4 * Math.max(1, Math.abs(o.fx)) &&
              Math.abs(im.fStart - o.fStart) <= 1e-4 * Math.max(1, Math.abs(o.fStart)),
            `${what}: image ${i} TF.js f(x) ${im.fx}, f(x') ${im.fStart} vs pathlight ${o.fx}, ${o.fStart}`,
          );
          const gap = im.fx - im.fStart - im.droppedDelta;
          assert(
            Math.abs(im.sum - gap) <= 1e-4 * Math.max(1, Math.abs(gap)),
            `${what}: image ${i} IDGI completeness Σ ${im.sum} vs f(x) − f(x') ${gap}`,
          );
        });
        assert(count('createTensorFromGPUData') > wrapped, `${what}: TF.js never wrapped the points`);
      }
      const zeroCopy = spies.calls.createTensorFromGPUData!.map(([data]) => (data as { zeroCopy?: boolean }).zeroCopy);
      assert(
        zeroCopy.every((z) => z === true),
        `points were handed to TF.js with zeroCopy ${JSON.stringify(zeroCopy)}`,
      );
      const [read, readSync, getBufferData] = ['read', 'readSync', 'getBufferData'].map(count);
      assert(
        read === 0 && readSync === 0 && getBufferData === 0,
        `TF.js read back to the CPU: read ${read}, readSync ${readSync}, getBufferData ${getBufferData}`,
      );
      assert(count('copyBuffer') === 0, `TF.js copied the points ${count('copyBuffer')} times`);
      // the spies do see a read: one data() call is counted
      const probe = tf.tidy(() => net.predict(tf.zeros([1, 28, 28, 1])));
      await probe.data();
      probe.dispose();
      assert(
        count('read') === 1 && count('getBufferData') === 1,
        `a data() call was counted as read ${count('read')}, getBufferData ${count('getBufferData')}`,
      );
      const [live, tensors] = [engine.poolStats().liveBuffers, tf.memory().numTensors];
      await expectPathlightError(
        () =>
          explain(
            engine,
            tfjsClassifier((z) => net.predict(z), { inputShape: LENET }),
            x,
            { method: 'idgi', steps: 4, target: 'auto' },
          ),
        /tfjsClassifier: explain\(\) needs explicit targets/,
        'auto targets',
      );
      assert(
        engine.poolStats().liveBuffers === live && tf.memory().numTensors === tensors,
        'the failed explanation leaked',
      );
    } finally {
      spies.restore();
      net.dispose();
      model.dispose();
    }
  });
});
