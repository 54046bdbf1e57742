/**
 * A model's outputs for a batch, as its framework would give them: what `pathlight predict` and
 * the ONNX conformance runner call. An ONNX model keeps its final Softmax here (explain drops it)
 * and, when imported in whole-tensor mode, takes and returns the whole ONNX tensor (one row).
 * Environment-free: arrays in, arrays out.
 */
import { PathlightError, shapeStr } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { batchShapeStr, type Model } from '../nn/model.js';
import { Tensor } from '../tensor/tensor.js';
import { modelFromSpec } from './fuse.js';
import { importOnnxBytes, type OnnxImportMode, type OnnxImportOptions } from './onnx-import.js';

export interface HostArray {
  shape: number[];
  data: Float32Array;
}

export interface Predictor {
  model: Model;
  notes: string[];
  mode: OnnxImportMode;
  /** the input it takes: [N, ...row] ('batch', N is -1) or the whole ONNX tensor ('whole') */
  inputShape: number[];
  /** the (first) output for `x`; in batch mode `x` may also be one row without the batch axis (and so is the output) */
  predict(x: HostArray): Promise<HostArray>;
  /** every graph output for `x`, the first one first */
  predictAll(x: HostArray): Promise<HostArray[]>;
  /** how many outputs predictAll returns */
  outputCount: number;
  dispose(): void;
}

/** A predictor over a loaded model whose rows are [N, ...inputShape]; `extra`: nodes of further outputs. */
export function batchPredictor(model: Model, notes: string[] = [], mode: OnnxImportMode = 'batch', extra: readonly number[] = []): Predictor {
  const row = model.info.inputShape;
  const whole = mode === 'whole';
  const outputs = [model.nodes.length - 1, ...extra];
  return {
    model,
    notes,
    mode,
    outputCount: outputs.length,
    inputShape: whole ? [...row] : [-1, ...row],
    predict: async (x: HostArray): Promise<HostArray> => (await run(x, outputs.slice(0, 1)))[0]!,
    predictAll: (x: HostArray) => run(x, outputs),
    dispose: () => model.dispose(),
  };

  async function run(x: HostArray, nodes: readonly number[]): Promise<HostArray[]> {
    const oneRow = whole || (x.shape.length === row.length && row.every((d, i) => x.shape[i] === d));
    const batched = oneRow ? [1, ...x.shape] : x.shape;
    if (batched.length !== row.length + 1 || batched[0]! < 1 || row.some((d, i) => batched[i + 1] !== d)) {
      throw new PathlightError(`model ${model.info.name}: input has shape ${shapeStr(x.shape)}, expected ${whole ? shapeStr(row) : `${batchShapeStr(row)} or ${shapeStr(row)}`}`);
    }
    const t = Tensor.from(model.engine, x.data, batched);
    const tape = model.forward(t, { record: nodes.length > 1 });
    const last = model.nodes.length - 1;
    try {
      const results: HostArray[] = [];
      for (const i of nodes) {
        // (a batch split into sub-batches gives extra outputs as joined copies, freed with the engine)
        const out = i === last ? tape.output : tape.nodeOutput(i);
        const shape = [batched[0]!, ...model.nodeShapes[i]!];
        results.push({ shape: oneRow ? shape.slice(1) : shape, data: (await out.download()).slice(0, shape.reduce((a, b) => a * b, 1)) });
      }
      return results;
    } finally {
      tape.dispose();
      t.dispose();
    }
  }
}

/** `.onnx` bytes as a predictor: the final Softmax / LogSoftmax kept, the mode chosen by the importer. */
export function onnxPredictor(engine: Engine, bytes: Uint8Array, options: OnnxImportOptions & { source?: string } = {}): Predictor {
  const r = importOnnxBytes(bytes, options.source, { ...options, keepFinalSoftmax: true });
  return batchPredictor(modelFromSpec(engine, r.spec), r.notes, r.mode, r.extraOutputs.map((o) => o.node));
}
