import { afterAll, beforeAll, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import blur from './kernels/blur.cases.js';
import { caseTitle } from './harness/cases.js';
let engine: Engine;
beforeAll(async () => { engine = await createEngine(); });
afterAll(() => engine?.dispose());
for (const c of blur) it(caseTitle(c), () => c.run(engine));
