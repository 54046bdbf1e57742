/**
 * A model's outputs for a batch, as its framework would give them: what `pathlight predict` and
 * the ONNX conformance runner call. An ONNX model keeps its final Softmax here (explain drops it)
 * and, when imported in whole-tensor mode, takes and returns the whole ONNX tensor (one row).
 * Environment-free: arrays in, arrays out.
 */
import { PathlightError, shapeStr } from '../errors.js';
import type { Engine } from '../gpu/engine.js';
import { batchShapeStr, type Model } from '../nn/model.js';
import { Tensor, assertFinite } from '../tensor/tensor.js';
import { modelFromSpec } from './fuse.js';
import {
  decodeOnnxBytes,
  foldConstantGraph,
  FreeInputSizesError,
  importOnnx,
  type OnnxConstantGraph,
  type OnnxImportMode,
  type OnnxImportOptions,
} from './onnx/import.js';
import type { OnnxModel } from './onnx/decode.js';

export interface HostArray {
  shape: number[];
  data: Float32Array;
}

export interface Predictor {
  /** the loaded model; absent for a graph folded to constants (constantPredictor) */
  model?: Model;
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

/**
 * A predictor over a loaded model whose rows are [N, ...inputShape]; `extra`: nodes of further
 * outputs; `batchStrides` (per output, 0 for none): an index output's row n is offset by n·stride
 * (ONNX flattens indices over the whole batch; a row's graph only knows its own).
 */
export function batchPredictor(
  model: Model,
  notes: string[] = [],
  mode: OnnxImportMode = 'batch',
  extra: readonly number[] = [],
  batchStrides: readonly number[] = [],
): Predictor {
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
      throw new PathlightError(
        `model ${model.info.name}: input has shape ${shapeStr(x.shape)}, expected ${whole ? shapeStr(row) : `${batchShapeStr(row)} or ${shapeStr(row)}`}`,
      );
    }
    assertFinite(x.data, `model ${model.info.name}: input`); // as explain() does: NaN in, NaN out is no prediction
    const t = Tensor.from(model.engine, x.data, batched);
    const tape = model.forward(t, { record: nodes.length > 1 });
    const last = model.nodes.length - 1;
    try {
      const results: HostArray[] = [];
      for (const [k, i] of nodes.entries()) {
        // (a batch split into sub-batches gives extra outputs as joined copies, freed with the engine)
        const out = i === last ? tape.output : tape.nodeOutput(i);
        const shape = [batched[0]!, ...model.nodeShapes[i]!];
        const data = (await out.download()).slice(
          0,
          shape.reduce((a, b) => a * b, 1),
        );
        results.push({
          shape: oneRow ? shape.slice(1) : shape,
          data: offsetRows(data, batched[0]!, batchStrides[k] ?? 0),
        });
      }
      return results;
    } finally {
      tape.dispose();
      t.dispose();
    }
  }
}

/** Row n of an index output plus n·stride, refused where float32 would no longer hold it exactly. */
function offsetRows(data: Float32Array, rows: number, stride: number): Float32Array {
  if (stride === 0) return data;
  if (rows * stride > 2 ** 24)
    throw new PathlightError(
      `predict: indices into ${rows} × ${stride} values are not exact in float32 (at most 2^24); predict fewer images at a time`,
    );
  const per = data.length / rows;
  return data.map((v, j) => v + Math.floor(j / per) * stride);
}

/**
 * A graph folded to constants: its outputs, with no GPU work. An empty input must come with its
 * shape; a graph without input takes any `x` and does not read it.
 */
export function constantPredictor(c: OnnxConstantGraph, name = 'onnx'): Predictor {
  const notes =
    c.outputs.length && !c.inputShape.length
      ? ['the graph has no input: its outputs are constants and x is not read']
      : [];
  const predictAll = async (x: HostArray): Promise<HostArray[]> => {
    if (c.inputShape.length && shapeStr(x.shape) !== shapeStr(c.inputShape))
      throw new PathlightError(
        `model ${name}: input has shape ${shapeStr(x.shape)}, expected ${shapeStr(c.inputShape)}`,
      );
    return c.outputs.map((o) => ({ shape: [...o.shape], data: o.data.slice() }));
  };
  return {
    notes,
    mode: 'whole',
    inputShape: c.inputShape,
    outputCount: c.outputs.length,
    predictAll,
    predict: async (x) => (await predictAll(x))[0]!,
    dispose: () => {},
  };
}

/** `.onnx` bytes as a predictor: the final Softmax / LogSoftmax kept, the mode chosen by the importer; a constant graph folded. */
export function onnxPredictor(
  engine: Engine,
  bytes: Uint8Array,
  options: OnnxImportOptions & { source?: string } = {},
): Predictor {
  const model = decodeOnnxBytes(bytes, options.source, options);
  const folded = foldConstantGraph(model, options.source, options);
  if (folded) return constantPredictor(folded, options.name);
  try {
    return importedPredictor(engine, model, options);
  } catch (e) {
    if (!(e instanceof FreeInputSizesError) || options.inputShape) throw e;
    return boundByFirstInput(e.shape, options.name ?? 'onnx', (inputShape) =>
      importedPredictor(engine, model, { ...options, inputShape }),
    );
  }
}

function importedPredictor(
  engine: Engine,
  model: OnnxModel,
  options: OnnxImportOptions & { source?: string },
): Predictor {
  const r = importOnnx(model, options.source, { ...options, keepFinalSoftmax: true });
  return batchPredictor(
    modelFromSpec(engine, r.spec),
    r.notes,
    r.mode,
    r.extraOutputs.map((o) => o.node),
    r.outputBatchStrides,
  );
}

/**
 * A model input with free sizes ([-1, 3, -1, -1], pathlight's order) and no inputShape: the first
 * input's sizes fix them (the model is imported then, by `make`), and a later input of other sizes
 * is refused, naming both. An import that fails leaves the sizes free.
 */
export function boundByFirstInput(
  declared: readonly number[],
  name: string,
  make: (row: number[]) => Predictor | Promise<Predictor>,
): Predictor {
  type Binding = { row: number[]; ready: Promise<Predictor>; predictor?: Predictor };
  let bound: Binding | undefined;
  const bind = (x: HostArray): Promise<Predictor> => {
    const row = x.shape.length === declared.length ? x.shape.slice(1) : [...x.shape];
    if (!bound) {
      const b: Binding = { row, ready: Promise.resolve().then(() => make(row)) };
      bound = b;
      b.ready.then(
        (p) => (b.predictor = p),
        () => bound === b && (bound = undefined),
      );
    } else if (shapeStr(row) !== shapeStr(bound.row)) {
      throw new PathlightError(
        `model ${name}: input has shape ${shapeStr(x.shape)}, but the first input fixed the free sizes of the input ${shapeStr(declared)} to ${batchShapeStr(bound.row)}; give inputs of one size, or fix it with inputShape / --input-shape`,
      );
    }
    return bound.ready;
  };
  return {
    get model() {
      return bound?.predictor?.model;
    },
    get notes() {
      const p = bound?.predictor;
      return p
        ? [
            ...p.notes,
            `the free sizes of the input ${shapeStr(declared)} were fixed by the first input: ${batchShapeStr(bound!.row)}`,
          ]
        : [];
    },
    mode: 'batch',
    get inputShape() {
      return bound?.predictor?.inputShape ?? [...declared];
    },
    get outputCount() {
      return bound?.predictor?.outputCount ?? 1;
    },
    predict: async (x) => (await bind(x)).predict(x),
    predictAll: async (x) => (await bind(x)).predictAll(x),
    dispose: () =>
      void bound?.ready.then(
        (p) => p.dispose(),
        () => {},
      ),
  };
}
