import { defineCases } from '../harness/cases.js';
import { assert, expectThrows } from '../harness/assert.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { relu } from '../../src/ops/relu.js';
import { bucketSize } from '../../src/gpu/pool.js';

export default defineCases('runtime', (test) => {
  test('upload/download round trip and pool reuse', async (engine) => {
    const data = Float32Array.from({ length: 37 }, (_, i) => i * 0.5 - 3);
    const before = engine.poolStats();
    const t = Tensor.from(engine, data, [37]);
    const back = await t.download();
    assert(
      back.every((v, i) => v === data[i]),
      'round trip changed values',
    );
    t.dispose();
    const t2 = Tensor.empty(engine, [37]);
    const after = engine.poolStats();
    assert(
      after.created === before.created + (before.freeBuffers > 0 ? 0 : 1),
      `pool did not reuse the released buffer (${JSON.stringify(after)})`,
    );
    t2.dispose();
    assert(engine.poolStats().liveBuffers === before.liveBuffers, 'live buffer count changed');
  });

  test('bucket sizes waste at most 25 %', async () => {
    for (const n of [1, 255, 256, 257, 1000, 4097, 123457, 1 << 20]) {
      const b = bucketSize(n);
      assert(b >= n && b <= Math.max(256, n * 1.25 + 4), `bucket ${b} for ${n}`);
    }
  });

  test('use after dispose, bad shapes and non-finite input are clear errors', async (engine) => {
    const t = Tensor.from(engine, [1, 2, 3, 4], [2, 2]);
    t.dispose();
    await expectThrows(() => relu(t), /used after dispose/, 'use after dispose');
    await expectThrows(
      () => Tensor.from(engine, [1, 2, 3], [2, 2]),
      /3 values do not fit shape \[2, 2\]/,
      'size mismatch',
    );
    await expectThrows(
      () => Tensor.from(engine, [1, NaN], [2], { validate: true }),
      /non-finite value NaN at index 1/,
      'NaN',
    );
    await expectThrows(() => Tensor.from(engine, [1, 2], [2.5]), /non-negative integers/, 'fractional shape');
  });

  test('reshape views share storage and free it once', async (engine) => {
    const live = engine.poolStats().liveBuffers;
    const t = Tensor.from(engine, [1, 2, 3, 4, 5, 6], [2, 3]);
    const v = t.reshape([3, 2]);
    t.dispose();
    const back = await v.download();
    assert(back[5] === 6 && v.shape[0] === 3, 'view lost data');
    await expectThrows(() => v.reshape([4]), /cannot view shape/, 'bad reshape');
    v.dispose();
    assert(engine.poolStats().liveBuffers === live, 'storage not released');
  });

  test('one submission and one readback for a chain of ops', async (engine) => {
    const s0 = { ...engine.stats };
    const x = Tensor.from(engine, [-1, 2, -3, 4], [4]);
    let y = x;
    for (let i = 0; i < 5; i++) {
      const next = relu(y);
      if (y !== x) y.dispose();
      y = next;
    }
    assert(engine.stats.submissions === s0.submissions, 'recording submitted work early');
    await y.download();
    assert(
      engine.stats.submissions === s0.submissions + 1,
      `expected 1 submission, got ${engine.stats.submissions - s0.submissions}`,
    );
    assert(engine.stats.readbacks === s0.readbacks + 1, 'expected 1 readback');
    x.dispose();
    y.dispose();
  });

  test('GPU validation errors surface at the next sync as errors naming the op', async (engine) => {
    const source =
      '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; a[0] = f32(x); }';
    const t = Tensor.zeros(engine, [4]);
    engine.run({ op: 'broken_op', source, bindings: { a: t }, grid: [1] });
    await expectThrows(() => engine.sync(), /GPU .*error in broken_op/, 'shader compile error');
    t.dispose();
    await engine.sync(); // the error was reported once and cleared
  });

  test('a binding over the storage-binding limit is refused with the op and sizes named', async () => {
    const { createEngine } = await import('../../src/gpu/engine.js');
    const small = await createEngine({ maxBindingBytes: 1024 });
    try {
      const t = Tensor.zeros(small, [512]);
      // elementwise ops split such tensors themselves; a kernel that binds the whole buffer is refused
      const source =
        '@group(0) @binding(0) var<storage, read_write> a: array<f32>;\n@compute @workgroup_size(1) fn main() { a[0] = 1.0; }';
      await expectThrows(
        () => small.run({ op: 'probe', source, bindings: { a: t }, grid: [1, 1] }),
        /probe: binding 0 is 2048 bytes, over the device's maxStorageBufferBindingSize \(1024\)/,
        'binding limit',
      );
      const y = relu(t);
      assert(
        (await y.download()).every((v) => v === 0),
        'chunked relu of zeros is not zero',
      );
      y.dispose();
      t.dispose();
    } finally {
      small.dispose();
    }
  });
});
