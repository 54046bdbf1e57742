/** `pathlight explain --targets … --baseline-set …` end to end on a tiny ONNX model (issue #25). */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { modelFromOnnx } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { explain } from '../src/index.js';
import { parseFlags } from '../src/cli/flags.js';
import { explainCommand } from '../src/cli/explain-command.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { maxAbsDiff } from './harness/assert.js';
import { N, SET, X, tinyBytes } from './harness/tiny-classes.js';

let engine: Engine;
let model: Model;
beforeAll(async () => {
  engine = await createEngine();
  model = modelFromOnnx(engine, tinyBytes(), { source: 'tiny' }).model;
});
afterAll(() => {
  model?.dispose();
  engine?.dispose();
});

describe('CLI', () => {
  it('explain --targets 2,0 --baseline-set f.npy writes [N, T, ...] and a summary per input and target', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-targets-'));
    writeFileSync(join(dir, 'tiny.onnx'), tinyBytes());
    writeFileSync(join(dir, 'x.npy'), writeNpy(X, [N, 1, 4, 4]));
    writeFileSync(join(dir, 'set.npy'), writeNpy(SET, [3, 1, 4, 4]));
    const args = [
      '--model',
      join(dir, 'tiny.onnx'),
      '--input',
      join(dir, 'x.npy'),
      '--steps',
      '8',
      '--quiet',
      '--json',
    ];
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const out = join(dir, 'a.npy');
      await explainCommand(
        parseFlags([...args, '--targets', '2,0', '--baseline-set', join(dir, 'set.npy'), '--out', out]),
      );
      const summary = JSON.parse(String(log.mock.calls.at(-1)![0])) as {
        images: { target: number; baselineSensitivity: object }[];
      };
      expect(summary.images.map((im) => im.target)).toEqual([2, 0, 2, 0]);
      expect(summary.images.every((im) => im.baselineSensitivity)).toBe(true);
      const written = readNpy(new Uint8Array(readFileSync(out)));
      expect(written.shape).toEqual([N, 2, 1, 4, 4]);
      const api = await explain(engine, model, X, { method: 'ig', steps: 8, targets: [2, 0], baseline: { set: SET } });
      expect(maxAbsDiff(written.data, api.attribution)).toBeLessThan(1e-6);
      await explainCommand(parseFlags([...args, '--targets', 'top2', '--out', join(dir, 'b.npy')]));
      expect(readNpy(new Uint8Array(readFileSync(join(dir, 'b.npy')))).shape).toEqual([N, 2, 1, 4, 4]);
    } finally {
      log.mockRestore();
    }
  });
});
