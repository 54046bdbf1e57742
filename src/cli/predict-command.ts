/**
 * `pathlight predict --model M --input x.npy [--out y.npy] [--json]`: the model's outputs for a
 * batch, as its framework gives them (an ONNX model's final Softmax included), so an import can
 * be checked against the original in one command. Flags and paths are checked before the GPU is
 * touched; the output is written atomically.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createEngine } from '../gpu/engine.js';
import { fail } from '../errors.js';
import { loadPredictor } from '../models/load.js';
import { readNpy, writeNpy } from '../models/npy.js';
import type { HostArray } from '../models/predict.js';
import { assertFinite } from '../tensor/tensor.js';
import { checkKnownFlags, checkModelFlag, MODEL_FILE_FLAGS, modelFileFlags, type Flags } from './flags.js';
import { checkInputFile, checkOutputPath } from './paths.js';
import { writeFilesAtomically } from './atomic-write.js';

export const PREDICT_FLAGS = ['model', 'input', 'out', 'json', ...MODEL_FILE_FLAGS];

export interface PredictRequest {
  model: string;
  input: string;
  out?: string;
  json: boolean;
  /** --max-model-bytes */
  maxModelBytes?: number;
  /** --input-shape */
  inputShape?: number[];
}

export function parsePredictFlags(flags: Flags): PredictRequest {
  checkKnownFlags(flags, PREDICT_FLAGS, 'predict');
  const model = flags.get('model') ?? fail('predict: --model is required');
  checkModelFlag(model);
  const input = flags.get('input') ?? fail('predict: --input is required (a .npy file)');
  if (!input.toLowerCase().endsWith('.npy')) fail(`predict: --input ${input}: use a .npy file`);
  checkInputFile(input, '--input');
  const out = flags.get('out');
  if (out !== undefined) checkOutputPath(out, '--out', ['.npy']);
  return { model, input, out, json: flags.has('json'), ...modelFileFlags(flags) };
}

/**
 * Per row: the index and value of the largest output (for class scores), NaN left out; null for a
 * row with nothing but NaN (there is no largest).
 */
function topOf(out: HostArray, rows: number): ({ index: number; value: number } | null)[] {
  const per = out.data.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let index = -1;
    for (let i = 0; i < per; i++) {
      const v = out.data[r * per + i]!;
      if (!Number.isNaN(v) && (index < 0 || v > out.data[r * per + index]!)) index = i;
    }
    return index < 0 ? null : { index, value: out.data[r * per + index]! };
  });
}

/** The NaN and ±Infinity among the outputs, as a note (JSON writes them as null), or null when all are finite. */
export function nonFiniteNote(outs: readonly HostArray[]): { nan: number; infinite: number; note: string } | null {
  let nan = 0;
  let infinite = 0;
  for (const o of outs) {
    for (const v of o.data) {
      if (Number.isNaN(v)) nan++;
      else if (!Number.isFinite(v)) infinite++;
    }
  }
  if (nan + infinite === 0) return null;
  const total = outs.reduce((n, o) => n + o.data.length, 0);
  const what = [nan ? `${nan} NaN` : '', infinite ? `${infinite} ±Infinity` : ''].filter(Boolean).join(' and ');
  return {
    nan,
    infinite,
    note: `${what} among the ${total} output values (the model overflowed float32 or computed an undefined value; JSON writes them as null)`,
  };
}

export async function predictCommand(flags: Flags): Promise<void> {
  const req = parsePredictFlags(flags);
  const x = readNpy(new Uint8Array(readFileSync(req.input)));
  assertFinite(x.data, `--input ${req.input}`); // as explain does (before the engine is made)
  const engine = await createEngine();
  try {
    const predictor = await loadPredictor(engine, req.model, modelFileFlags(flags));
    const outs = await predictor.predictAll(x);
    const out = outs[0]!;
    // further graph outputs go beside the first: y.npy, y.1.npy, y.2.npy, ...
    const paths = req.out ? outs.map((_, k) => (k === 0 ? req.out! : req.out!.replace(/\.npy$/i, `.${k}.npy`))) : [];
    paths.slice(1).forEach((p) => checkOutputPath(p, '--out', ['.npy']));
    if (req.out) writeFilesAtomically(outs.map((o, k) => ({ path: paths[k]!, data: writeNpy(o.data, o.shape) })));
    const rows =
      predictor.model && predictor.mode === 'batch' && out.shape.length > predictor.model.outputShape.length
        ? out.shape[0]!
        : 1;
    const nonFinite = nonFiniteNote(outs);
    const summary = {
      model: predictor.model?.info.name ?? basename(req.model),
      mode: predictor.mode,
      inputShape: x.shape,
      outputShape: out.shape,
      top: out.data.length ? topOf(out, rows) : [],
      notes: nonFinite ? [...predictor.notes, nonFinite.note] : predictor.notes,
      nonFiniteOutputs: { nan: nonFinite?.nan ?? 0, infinite: nonFinite?.infinite ?? 0 },
      ...(outs.length > 1 ? { outputShapes: outs.map((o) => o.shape) } : {}),
      ...(req.out ? { out: req.out, files: paths } : { outputs: Array.from(out.data) }),
    };
    if (req.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(`model     ${summary.model}${summary.mode === 'whole' ? ' (whole-tensor mode)' : ''}`);
      console.log(`input     [${x.shape.join(', ')}] → output [${out.shape.join(', ')}]`);
      summary.top.forEach((t, r) =>
        console.log(`row ${r}     top ${t ? `${t.index} (${t.value})` : 'none (every output is NaN)'}`),
      );
      for (const n of summary.notes) console.log(`note      ${n}`);
      console.log(
        req.out
          ? `wrote     ${paths.join(', ')}`
          : `outputs   ${Array.from(out.data.subarray(0, 64)).join(' ')}${out.data.length > 64 ? ' …' : ''}`,
      );
    }
    predictor.dispose();
  } finally {
    engine.dispose();
  }
}
