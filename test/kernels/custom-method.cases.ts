/** The README's example of a new method (examples/quadratic-path-idgi.ts) runs and keeps its axioms. */
import '../../examples/quadratic-path-idgi.js';
import { defineCases } from '../harness/cases.js';
import { assert } from '../harness/assert.js';
import { Rng } from '../harness/random.js';
import { explain } from '../../src/attribution/index.js';
import { smallCnn } from './methods.cases.js';

export default defineCases('custom method', (test) => {
  test('sqrt-idgi is exactly complete and sqrt-ig converges like IG', async (engine) => {
    const { model } = smallCnn(engine);
    const x = Float32Array.from(new Rng(31).uniform(72, 0, 1));
    const idgi = await explain(engine, model, x, { method: 'sqrt-idgi', steps: 12, target: 2 });
    const im = idgi.images[0]!;
    assert(
      Math.abs(im.sum - (im.fx - im.fStart - im.droppedDelta)) < 1e-4 * Math.max(1, Math.abs(im.fx - im.fStart)),
      `sqrt-idgi completeness ${im.sum} vs ${im.fx - im.fStart}`,
    );
    const coarse = await explain(engine, model, x, { method: 'sqrt-ig', steps: 4, target: 2 });
    const fine = await explain(engine, model, x, { method: 'sqrt-ig', steps: 128, target: 2 });
    assert(fine.images[0]!.completenessError < coarse.images[0]!.completenessError, 'sqrt-ig does not converge');
    model.dispose();
  });
});
