/**
 * The `subgroups` and `shader-f16` paths in Node (Dawn). Subgroups: softmax's workgroup rows take
 * their max with subgroupMax, and must be bitwise identical to the tree path (engine option
 * `subgroups: false`) and close to float64. shader-f16 is not offered by SwiftShader: its tests
 * skip, printing why, and asking for it there is a one-line error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { requestAdapter } from '../src/gpu/acquire.js';
import { Tensor } from '../src/tensor/tensor.js';
import { logSoftmax, softmax } from '../src/ops/softmax.js';
import { matmul } from '../src/ops/matmul.js';
import { expectClose } from './harness/assert.js';
import { Rng, asF32 } from './harness/random.js';
import * as ref from './reference/softmax.js';
import * as linearRef from './reference/linear.js';

const { adapter } = await requestAdapter();
const offered = (f: string) => adapter.features.has(f as GPUFeatureName);
const adapterName = `${adapter.info.architecture || adapter.info.description || 'this adapter'}`;
const why = (f: string) => `'${f}' is not offered by ${adapterName}`;
if (!offered('subgroups')) console.log(`subgroups tests skipped: ${why('subgroups')}`);
if (!offered('shader-f16')) console.log(`shader-f16 tests skipped: ${why('shader-f16')}`);

/** An engine on a device of its own, with the WGSL of every shader it compiles. */
async function engineWithShaders(options: { subgroups?: boolean; f16?: boolean }) {
  const engine = await createEngine({ ...options, ownDevice: true });
  const shaders: string[] = [];
  const create = engine.device.createShaderModule.bind(engine.device);
  engine.device.createShaderModule = (d) => (shaders.push(d.code), create(d));
  return { engine, shaders };
}

describe.skipIf(!offered('subgroups'))('subgroups', () => {
  let withSubgroups: Awaited<ReturnType<typeof engineWithShaders>>;
  let without: Awaited<ReturnType<typeof engineWithShaders>>;
  beforeAll(async () => {
    withSubgroups = await engineWithShaders({});
    without = await engineWithShaders({ subgroups: false });
  });
  afterAll(() => [withSubgroups, without].forEach((e) => e?.engine.dispose()));

  it('are on by default where offered, off on request', () => {
    expect(withSubgroups.engine.subgroups).toBe(true);
    expect(without.engine.subgroups).toBe(false);
  });

  it('softmax rows wider than a lane: subgroup max bitwise identical to the tree, close to float64', async () => {
    const [n, c] = [5, 1000];
    const x = asF32(new Rng(3).normal(n * c, 4));
    x.fill(-30, c, 2 * c - 7); // a row whose max sits in its last few columns
    x[3 * c + 500] = 80; // and one with a single dominant value
    const results = [];
    for (const { engine, shaders } of [withSubgroups, without]) {
      const t = Tensor.from(engine, x, [n, c]);
      const [y, ly] = [softmax(t), logSoftmax(t)];
      results.push([await y.download(), await ly.download()]);
      for (const r of [t, y, ly]) r.dispose();
      expect(shaders.some((s) => s.includes('enable subgroups;'))).toBe(engine.subgroups);
    }
    const [[y, ly], [y0, ly0]] = results as [Float32Array[], Float32Array[]];
    expect(new Uint32Array(y!.buffer)).toEqual(new Uint32Array(y0!.buffer));
    expect(new Uint32Array(ly!.buffer)).toEqual(new Uint32Array(ly0!.buffer));
    expectClose(y!, ref.softmax(x, n, c), { rtol: 1e-5, atol: 1e-7 }, 'softmax (subgroups) vs float64');
    expectClose(ly!, ref.logSoftmax(x, n, c), { rtol: 1e-5, atol: 1e-5 }, 'logSoftmax (subgroups) vs float64');
  });
});

describe('shader-f16', () => {
  it.skipIf(offered('shader-f16'))('asking for it where it is not offered is a one-line error', async () => {
    await expect(createEngine({ f16: true })).rejects.toThrow(
      /^engine: f16 needs the 'shader-f16' feature, which this adapter .* does not offer$/,
    );
  });

  it.skipIf(!offered('shader-f16'))('matmul with f16 operands stays within its bound of the float32 path', async () => {
    const [m, n, k] = [7, 12, 40];
    const rng = new Rng(9);
    const [a, b] = [asF32(rng.uniform(m * k)), asF32(rng.uniform(k * n))];
    const out: Float32Array[] = [];
    for (const f16 of [true, false]) {
      const { engine, shaders } = await engineWithShaders({ f16 });
      const [ta, tb] = [Tensor.from(engine, a, [m, k]), Tensor.from(engine, b, [k, n])];
      out.push(await matmul(ta, tb).download());
      expect(shaders.some((s) => s.includes('enable f16;'))).toBe(f16);
      engine.dispose();
    }
    // the bound of docs/internals.md: operands within 2^-10 relative (or 2^-14 absolute, flushed
    // subnormals) of their values, exact products, two float32 sums of K terms
    const exact = linearRef.matmul(a, b, m, n, k);
    const magnitudes = linearRef.matmul(a.map(Math.abs), b.map(Math.abs), m, n, k);
    const bound = magnitudes.map((s) => (2 ** -9 + 2 ** -20 + 2 * k * 2 ** -24) * s + 2 * k * 2 ** -14);
    out[0]!.forEach((v, i) => expect(Math.abs(v - out[1]![i]!)).toBeLessThanOrEqual(bound[i]!));
    out[0]!.forEach((v, i) => expect(Math.abs(v - exact[i]!)).toBeLessThanOrEqual(bound[i]!));
  });
});
