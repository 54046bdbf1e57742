/** Runs every kernel case in Node (Dawn via the npm `webgpu` package). */
import { afterAll, beforeAll, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { cases } from './kernels/index.js';
import { caseTitle } from './harness/cases.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

for (const c of cases) it(caseTitle(c), () => c.run(engine));
