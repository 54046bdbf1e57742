/** `pathlight predict`'s flags: strict, with paths checked before any GPU work (its runs: test/cli-predict.e2e.test.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../esbuild.config.mjs';
import { parseFlags } from '../src/cli/flags.js';
import { parsePredictFlags } from '../src/cli/predict-command.js';

const onnx = join(ROOT, 'test/fixtures/small_resnet.onnx');
const input = join(ROOT, 'test/fixtures/small_resnet_input.npy');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pathlight-predict-'));
});

describe('predict flags', () => {
  const parse =
    (...argv: string[]) =>
    () =>
      parsePredictFlags(parseFlags(argv));
  it('refuses unknown, missing and empty flags, and bad paths, before any GPU work', () => {
    expect(parse('--model', onnx, '--input', input, '--steps', '4')).toThrow(/predict: unknown flag --steps/);
    expect(parse('--input', input)).toThrow(/predict: --model is required/);
    expect(parse('--model', onnx)).toThrow(/predict: --input is required/);
    expect(parse('--model', onnx, '--input', '')).toThrow(/--input needs a value, got an empty one/);
    expect(parse('--model', onnx, '--input', join(dir, 'missing.npy'))).toThrow(
      /--input: .*missing\.npy does not exist/,
    );
    expect(parse('--model', onnx, '--input', onnx)).toThrow(/--input .*small_resnet\.onnx: use a \.npy file/);
    expect(parse('--model', onnx, '--input', input, '--out', join(dir, 'y.png'))).toThrow(
      /--out .*y\.png: use a \.npy file name/,
    );
    expect(parse('--model', onnx, '--input', input, '--out', dir)).toThrow(/is a directory, not a file name/);
    expect(parse('--model', join(dir, 'nope.onnx'), '--input', input)).toThrow(
      /--model: .*nope\.onnx is not a zoo model/,
    );
  });

  it('accepts the documented flags', () => {
    expect(parse('--model', onnx, '--input', input, '--out', join(dir, 'y.npy'), '--json')()).toEqual({
      model: onnx,
      input,
      out: join(dir, 'y.npy'),
      json: true,
      allowOutside: false,
    });
  });
});
