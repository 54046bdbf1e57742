/** The full imputation sweep: every ROAD level and 99 %, on 1×28² and 3×32² (the quick cut is in metrics-road.test.ts). */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { ROAD_PERCENTAGES } from '../src/metrics/index.js';
import { imputationError } from './harness/imputation.js';

let engine: Engine;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(() => engine?.dispose());

for (const shape of [
  [1, 28, 28],
  [3, 32, 32],
] as const)
  it(`imputation matches a float64 direct solve to 1e-4 on ${shape.join('×')} at 10 … 90 % and 99 %`, async () => {
    expect(await imputationError(engine, shape, [...ROAD_PERCENTAGES, 99])).toBeLessThan(1e-4);
  }, 120_000);
