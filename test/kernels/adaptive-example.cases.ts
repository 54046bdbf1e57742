/** The adaptive example (examples/guided-ig-gx.ts) against a float64 reference of the same algorithm. */
import '../../examples/guided-ig-gx.js';
import { defineCases } from '../harness/cases.js';
import { assert, relL2 } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { explain } from '../../src/attribution/index.js';
import { smallCnn } from './methods.cases.js';
import { guidedIntegratedGradients } from '../reference/methods/guided-ig.js';
import { idgiGuidedIG } from '../reference/methods/idgi-variants.js';

const D = 72;
const TARGETS = [1, 3];
const score = (g: number, x: number, z: number) => Math.abs(g * (x - z));

export default defineCases('adaptive example', (test) => {
  test('gig-gx (Guided IG selecting by |g ⊙ (x − z)|) and its IDGI match float64, differ from gig, end at x', async (engine) => {
    const { model, ref } = smallCnn(engine, 7);
    const x = Float32Array.from(new Rng(71).uniform(2 * D, 0, 1));
    const baseline = Float32Array.from(new Rng(72).uniform(2 * D, 0, 1));
    const row = (a: Float32Array, i: number) => Float64Array.from(a.subarray(i * D, (i + 1) * D));
    try {
      const opts = { steps: 10, baseline, target: TARGETS, methodOptions: { fraction: 0.2 } };
      const gx = await explain(engine, model, x, { ...opts, method: 'gig-gx' });
      const gxIdgi = await explain(engine, model, x, { ...opts, method: 'gig-gx-idgi' });
      const gig = await explain(engine, model, x, { ...opts, method: 'gig' });
      TARGETS.forEach((target, i) => {
        const o = { target, steps: 10, fraction: 0.2, score };
        const want = guidedIntegratedGradients(ref, row(x, i), row(baseline, i), o);
        const got = gx.attribution.subarray(i * D, (i + 1) * D);
        assert(
          relL2(got, want.attribution) < 1e-3,
          `gig-gx image ${i}: rel L2 ${relL2(got, want.attribution)} vs float64`,
        );
        const plain = guidedIntegratedGradients(ref, row(x, i), row(baseline, i), { ...o, score: undefined });
        assert(
          relL2(want.attribution, plain.attribution) > 1e-2,
          `image ${i}: the |g ⊙ (x − z)| score chose the same path as |g|`,
        );
        assert(
          relL2(gig.attribution.subarray(i * D, (i + 1) * D), plain.attribution) < 1e-3,
          `gig image ${i} moved off its own reference`,
        );
        const gapDelta = gx.images[i]!.sum - (want.fx - want.fBaseline);
        assert(
          Math.abs(gapDelta - want.delta) <= 1e-4 * (1 + Math.abs(want.fx - want.fBaseline)),
          `gig-gx image ${i}: Σ attr − Δf ${gapDelta}, float64 ${want.delta}`,
        );
        const wantIdgi = idgiGuidedIG(ref, row(x, i), row(baseline, i), o);
        const gotIdgi = gxIdgi.attribution.subarray(i * D, (i + 1) * D);
        assert(
          relL2(gotIdgi, wantIdgi.attribution) < 1e-3,
          `gig-gx-idgi image ${i}: rel L2 ${relL2(gotIdgi, wantIdgi.attribution)} vs float64`,
        );
        assert(
          gxIdgi.images[i]!.completenessError < 1e-4,
          `gig-gx-idgi image ${i}: completeness error ${gxIdgi.images[i]!.completenessError}`,
        );
      });
    } finally {
      model.dispose();
    }
  });
});
