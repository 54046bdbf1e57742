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
  /** the outputs for `x`; in batch mode `x` may also be one row without the batch axis (and so is the output) */
  predict(x: HostArray): Promise<HostArray>;
  dispose(): void;
}

/** A predictor over a loaded model whose rows are [N, ...inputShape]. */
export function batchPredictor(model: Model, notes: string[] = [], mode: OnnxImportMode = 'batch'): Predictor {
  const row = model.info.inputShape;
  const whole = mode === 'whole';
  return {
    model,
    notes,
    mode,
    inputShape: whole ? [...row] : [-1, ...row],
    async predict(x: HostArray): Promise<HostArray> {
      const oneRow = whole || (x.shape.length === row.length && row.every((d, i) => x.shape[i] === d));
      const batched = oneRow ? [1, ...x.shape] : x.shape;
      if (batched.length !== row.length + 1 || batched[0]! < 1 || row.some((d, i) => batched[i + 1] !== d)) {
        throw new PathlightError(`model ${model.info.name}: input has shape ${shapeStr(x.shape)}, expected ${whole ? shapeStr(row) : `${batchShapeStr(row)} or ${shapeStr(row)}`}`);
      }
      const t = Tensor.from(model.engine, x.data, batched);
      try {
        const out = model.logits(t);
        const data = await out.download();
        out.dispose();
        const shape = [batched[0]!, ...model.outputShape];
        return { shape: oneRow ? shape.slice(1) : shape, data };
      } finally {
        t.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}

/** `.onnx` bytes as a predictor: the final Softmax / LogSoftmax kept, the mode chosen by the importer. */
export function onnxPredictor(engine: Engine, bytes: Uint8Array, options: OnnxImportOptions & { source?: string } = {}): Predictor {
  const r = importOnnxBytes(bytes, options.source, { ...options, keepFinalSoftmax: true });
  return batchPredictor(modelFromSpec(engine, r.spec), r.notes, r.mode);
}
