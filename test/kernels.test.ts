/**
 * Runs every kernel case in Node (Dawn via the npm `webgpu` package); `npm run test:quick`
 * (PATHLIGHT_TEST_QUICK=1) all but the model-scale ones (test/kernels/quick.ts).
 */
import { afterAll, beforeAll, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { cases } from './kernels/index.js';
import { quickCases } from './kernels/quick.js';
import { caseTitle } from './harness/cases.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

const chosen = process.env.PATHLIGHT_TEST_QUICK === '1' ? quickCases(cases) : cases;
for (const c of chosen) it(caseTitle(c), () => c.run(engine));
