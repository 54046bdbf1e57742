import { afterAll, beforeAll, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import cases from './kernels/train.cases.js';
let engine: Engine;
beforeAll(async () => { engine = await createEngine(); });
afterAll(() => engine?.dispose());
for (const c of cases) it(c.name, () => c.run(engine));
