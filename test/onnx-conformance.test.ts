/**
 * ONNX's own conformance cases through the predict path (see test/harness/onnx-conformance.ts);
 * regenerates test/onnx-conformance.md and holds issue #13's targets.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { conformanceReport, DEBIAN_DATA, listCases, ORIGINAL_OPS, runCases, SUITES, type CaseResult } from './harness/onnx-conformance.js';

const HERE = dirname(fileURLToPath(import.meta.url));

let engine: Engine;
let results: CaseResult[];
beforeAll(async () => {
  engine = await createEngine();
  const cases = [...listCases(DEBIAN_DATA, SUITES), ...listCases(join(HERE, 'fixtures'), ['onnx-node'])];
  results = await runCases(engine, cases);
  writeFileSync(join(HERE, 'onnx-conformance.md'), conformanceReport(results));
}, 600_000);
afterAll(() => engine?.dispose());

describe('ONNX conformance (libonnx-testdata)', () => {
  it('finds the Debian data', () => {
    expect(results.filter((r) => r.suite !== 'onnx-node').length).toBeGreaterThan(1000);
  });

  it('no case that imports gives wrong values', () => {
    const failed = results.filter((r) => r.outcome.status === 'failed').map((r) => `${r.name}: ${(r.outcome as { reason: string }).reason}`);
    expect(failed).toEqual([]);
  });

  it('at least 125 of the 132 CNN-op cases (3-D excluded) pass', () => {
    const listed = results.filter((r) => r.suite !== 'onnx-node' && r.ops.every((o) => ORIGINAL_OPS.has(o)) && !r.threeD);
    expect(listed.length).toBe(132);
    expect(listed.filter((r) => r.outcome.status === 'passed').length).toBeGreaterThanOrEqual(125);
  });
});
