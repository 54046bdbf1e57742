/**
 * Path methods on imported non-image models ([N, D] MLP, [N, C, L] 1-D CNN, PyTorch-exported ONNX):
 * IG, IDGI, Guided IG, IG2 and SmoothGrad on the GPU against the float64 references of the same
 * algorithms on the same graph (test/reference/graph.ts evaluates the imported spec in float64).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { importOnnxBytes } from '../src/models/onnx/import.js';
import { modelFromSpec } from '../src/models/fuse.js';
import { readNpy } from '../src/models/npy.js';
import { cpuFunction, explain } from '../src/attribution/index.js';
import { graphRefModel } from './reference/graph.js';
import type { RefModel } from './reference/methods/model.js';
import { integratedGradients } from './reference/methods/ig.js';
import { idgiIG } from './reference/methods/idgi-variants.js';
import { guidedIntegratedGradients } from './reference/methods/guided-ig.js';
import { ig2 } from './reference/methods/ig2.js';
import { relL2 } from './harness/assert.js';

const fixture = (name: string) => new Uint8Array(readFileSync(join(__dirname, 'fixtures', name)));

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

function load(name: string) {
  const { spec } = importOnnxBytes(fixture(`${name}.onnx`), `${name}.onnx`);
  const model = modelFromSpec(engine, spec);
  const shapes = new Map([...spec.params].map(([k, v]) => [k, v.shape]));
  const params = new Map([...spec.params].map(([k, v]) => [k, Float64Array.from(v.data)]));
  const ref = graphRefModel(spec.nodes, params, shapes, spec.info.inputShape as never, spec.info.representationNode);
  return { model, ref };
}

function row(a: ArrayLike<number>, i: number, d: number): Float64Array {
  return Float64Array.from(Array.prototype.slice.call(a, i * d, (i + 1) * d));
}

/** The float64 reference as a cpuFunction: same noise draws as the GPU model under the same seed. */
function refFunction(ref: RefModel, inputShape: readonly number[]) {
  const d = inputShape.reduce((a, b) => a * b, 1);
  return cpuFunction(
    (points, shape, info) => {
      const grad = new Float32Array(shape[0]! * d);
      const f = new Float32Array(shape[0]!);
      for (let r = 0; r < shape[0]!; r++) {
        const z = row(points, r, d);
        f[r] = ref.logits(z)[info.targets![r]!]!;
        grad.set(ref.grad(z, info.targets![r]!, 'logit'), r * d);
      }
      return { f, grad };
    },
    { inputShape, batchSize: 64 },
  );
}

describe.each(['mlp', 'conv1d'])('%s imported from ONNX', (name) => {
  it('IG, IDGI, Guided IG, IG2 and SmoothGrad match float64 on the same graph', async () => {
    const { model, ref } = load(name);
    const input = readNpy(fixture(`${name}_input.npy`));
    const shape = model.info.inputShape;
    const d = shape.reduce((a, b) => a * b, 1);
    const x = input.data.subarray(0, 2 * d);
    const targets = [1, 2]; // the 1-D CNN has 3 classes, the MLP 5
    const baseline = new Float32Array(d);
    const b64 = new Float64Array(d);
    const ig = await explain(engine, model, x, { method: 'ig', steps: 16, target: targets });
    const idgi = await explain(engine, model, x, { method: 'idgi', steps: 16, target: targets });
    const gig = await explain(engine, model, x, {
      method: 'gig',
      steps: 16,
      target: targets,
      methodOptions: { fraction: 0.25, maxDist: 0.1 },
    });
    // references: the fixture's rows 2 and 3 (row 0 again when it has 3)
    const n = input.shape[0]!;
    const refs = Float32Array.from([...row(input.data, 2 % n, d), ...row(input.data, 3 % n, d)]);
    const g2 = await explain(engine, model, x, {
      method: 'ig2',
      steps: 8,
      target: targets,
      methodOptions: { references: refs, stepSize: 0.5, clip: null },
    });
    expect(ig.shape).toEqual([2, ...shape]);
    for (let i = 0; i < 2; i++) {
      const xi = row(x, i, d);
      const t = { target: targets[i]! };
      const cases: [string, ArrayLike<number>, Float64Array, number][] = [
        [
          'IG',
          row(ig.attribution, i, d),
          integratedGradients(ref, xi, b64, { ...t, steps: 16, rule: 'trapezoid' }).attribution,
          1e-4,
        ],
        ['IDGI', row(idgi.attribution, i, d), idgiIG(ref, xi, b64, { ...t, steps: 16 }).attribution, 1e-4],
        [
          'Guided IG',
          row(gig.attribution, i, d),
          guidedIntegratedGradients(ref, xi, b64, { ...t, steps: 16, fraction: 0.25, maxDist: 0.1 }).attribution,
          1e-3,
        ],
        [
          'IG2',
          row(g2.attribution, i, d),
          ig2(ref, xi, [row(refs, 0, d), row(refs, 1, d)], { ...t, steps: 8, stepSize: 0.5 }).attribution,
          1e-3,
        ],
      ];
      for (const [method, got, want, tol] of cases) expect(relL2(got, want), `${method} input ${i}`).toBeLessThan(tol);
      expect(Math.abs(idgi.images[i]!.completenessError)).toBeLessThan(1e-4);
    }
    const sg = { method: 'grad', target: targets, smoothgrad: { samples: 8, noiseLevel: 0.1 }, seed: 3 } as const; // grad takes no baseline
    const ours = await explain(engine, model, x, sg);
    const want = await explain(engine, refFunction(ref, shape), x, sg);
    expect(relL2(ours.attribution, want.attribution)).toBeLessThan(1e-4);
    model.dispose();
  });
});

it("Captum's IG test vectors on its MLP exported from PyTorch as ONNX with a 2-D input (the same vectors run through cpuFunction in anchors.cases.ts)", async () => {
  const { model } = load('captum_mlp');
  expect(model.info.inputShape).toEqual([3]);
  for (const rule of ['trapezoid', 'gauss-legendre'] as const) {
    const r = await explain(engine, model, Float32Array.of(1.5, 2, 1.3, 0.5, 0.1, 2.3), {
      method: 'ig',
      steps: 64,
      rule,
      target: 0,
    });
    const want = [4.5, 6, 3.9, 1.5, 0.3, 6.9];
    r.attribution.forEach((v, i) => expect(Math.abs(v - want[i]!), `${rule} element ${i}: ${v}`).toBeLessThan(1e-4));
  }
  model.dispose();
});
