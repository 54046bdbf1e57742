/**
 * Attribution at a layer in Node and Chromium: on the fused conv net (test/harness/layers.ts), a
 * value fused away (split at the tap) through each method family: layer IG (the layer path),
 * conductance (the input path), Grad-CAM (at x) and neuron IG, against float64 references.
 * Every case in Node: test/layer-attribution.test.ts.
 */
import { defineCases } from '../harness/cases.js';
import { checkImported, convNetSpec, load } from '../harness/layers.js';

export default defineCases('layers', (test) => {
  test('a fused-away conv output: layer IG, conductance, Grad-CAM and neuron IG against float64', async (engine) => {
    const model = load(engine, convNetSpec());
    try {
      await checkImported(engine, model, 'c2', [1, 2, 3], 72);
    } finally {
      model.dispose();
    }
  });
});
