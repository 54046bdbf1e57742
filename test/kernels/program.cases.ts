/** The program value (src/gpu/program.ts): derived cache keys, named bindings, host data, prepare. */
import { defineCases } from '../harness/cases.js';
import { assert, expectThrows } from '../harness/assert.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { uniformBytes } from '../../src/gpu/program.js';

// y[i] = x[i] * scale + table[i % k]: a storage binding, host data as storage and as a uniform.
const source = `
struct Params { n: u32, k: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
${'${MAIN}'}
  if (i >= params.n) { return; }
  y[i] = x[i] * params.scale ${'${SIGN}'} table[i % params.k];
}`;

function launch(x: Tensor, table: Float32Array, scale: number, sign = '+'): Tensor {
  const y = Tensor.empty(x.engine, x.shape);
  const params = uniformBytes([
    ['u32', x.size],
    ['u32', table.length],
    ['f32', scale],
  ]);
  x.engine.run({
    op: 'program_test',
    source,
    params: { SIGN: sign },
    bindings: { x, table, y, params },
    grid: { threads: x.size },
  });
  return y;
}

export default defineCases('program', (test) => {
  test('sizes as uniforms: one pipeline for every size; params change the key; results exact', async (engine) => {
    const before = engine.stats.pipelines;
    for (const n of [5, 64, 130]) {
      const xs = Float32Array.from({ length: n }, (_, i) => i - 3);
      const table = Float32Array.from({ length: 1 + (n % 7) }, (_, i) => 0.5 * i);
      const x = Tensor.from(engine, xs, [n]);
      const y = launch(x, table, 2);
      const got = await y.download();
      for (let i = 0; i < n; i++)
        assert(got[i] === xs[i]! * 2 + table[i % table.length]!, `n=${n} y[${i}] = ${got[i]}`);
      x.dispose();
      y.dispose();
    }
    assert(engine.stats.pipelines - before <= 1, `${engine.stats.pipelines - before} pipelines for three sizes`);
    const x = Tensor.from(engine, [1, 2], [2]);
    const y = launch(x, Float32Array.of(1), 1, '-');
    assert((await y.download()).join() === '0,1', 'the SIGN param selected another shader');
    assert(engine.stats.pipelines - before === 2, 'a new param value compiles one new pipeline');
    x.dispose();
    y.dispose();
  });

  test('bindings must match the shader by name: missing and undeclared ones are one-line errors', async (engine) => {
    const x = Tensor.from(engine, [1, 2], [2]);
    const y = Tensor.empty(engine, [2]);
    const params = uniformBytes([
      ['u32', 2],
      ['u32', 1],
      ['f32', 1],
    ]);
    const run = (bindings: Record<string, unknown>) => () =>
      engine.run({
        op: 'program_test',
        source,
        params: { SIGN: '+' },
        bindings: bindings as never,
        grid: { threads: 2 },
      });
    await expectThrows(
      run({ x, y, params }),
      /program_test: bindings do not match the shader \(missing table\)/,
      'missing binding',
    );
    await expectThrows(
      run({ x, table: Float32Array.of(0), y, params, extra: x }),
      /not declared: extra/,
      'undeclared binding',
    );
    x.dispose();
    y.dispose();
  });

  test('prepare compiles a dry run asynchronously, records nothing, and the real run compiles nothing', async (engine) => {
    const x = Tensor.from(engine, [3, 4, 5], [3]);
    const work = () => launch(x, Float32Array.of(1), 4, '*').dispose();
    const stats0 = { ...engine.stats };
    const progress: string[] = [];
    const { pipelines } = await engine.prepare(work, (done, total) => progress.push(`${done}/${total}`));
    assert(pipelines === 1 && engine.stats.pipelines === stats0.pipelines + 1, `prepare compiled ${pipelines}`);
    assert(engine.stats.dispatches === stats0.dispatches, 'the dry run recorded a dispatch');
    assert(progress.join() === '0/1,1/1', `progress ${progress.join()}`);
    const y = launch(x, Float32Array.of(1), 4, '*');
    assert((await y.download()).join() === '12,16,20', 'the prepared pipeline computes');
    assert(
      engine.stats.pipelines === stats0.pipelines + 1 && engine.stats.dispatches === stats0.dispatches + 1,
      'the real run compiled again or did not dispatch',
    );
    x.dispose();
    y.dispose();
  });
});

export const poolCases = defineCases('pool', (test) => {
  test('engine.trim gives free pooled memory above the cap back, largest buffers first, live ones untouched', async (engine) => {
    const big = [1 << 20, 2 << 20, 3 << 20].map((bytes) => Tensor.empty(engine, [bytes / 4]));
    const keep = Tensor.empty(engine, [1 << 18]);
    engine.trim(0);
    const created0 = engine.poolStats().created;
    for (const t of big) t.dispose();
    assert(engine.poolStats().freeBytes >= 6 << 20, 'released buffers are free for reuse');
    engine.trim(1.5 * 2 ** 20);
    const s = engine.poolStats();
    assert(s.freeBytes <= 1.5 * 2 ** 20 && s.freeBuffers === 1, `after trim: ${JSON.stringify(s)}`);
    const again = Tensor.empty(engine, [(1 << 20) / 4]);
    assert(engine.poolStats().created === created0, 'the kept 1 MiB buffer was not reused');
    assert((await keep.download()).length === 1 << 18, 'a live buffer was destroyed');
    again.dispose();
    keep.dispose();
  });
});
