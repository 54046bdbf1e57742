/**
 * Loading models with weights: a zoo model from a `.safetensors` file (its bundled default, a path,
 * or bytes), a `.safetensors` file alone (the zoo architecture named by its metadata or recognised
 * by its parameter names), or an `.onnx` file. Inference models have their batch norms folded by
 * default (`foldBatchNorm: false` keeps them, e.g. for training). Bytes and URLs work everywhere,
 * file paths in Node; the bundled weights come from the platform (`#platform`: the package's files in
 * Node, `assets/` beside the page in a browser), so this module imports nothing Node-only.
 */
import type { Engine } from '../gpu/engine.js';
import { fail, PathlightError } from '../errors.js';
import { readAsset, readFileBytes, readUrl } from '#platform';
import type { InputDeclaration, Model } from '../nn/model.js';
import { CLASS_NAMES, type DatasetName } from '../data/classes.js';
import { fuseModel, modelFromSpec, type ModelSpec } from './fuse.js';
import { FreeInputSizesError, importOnnxBytes, type OnnxImportOptions } from './onnx/import.js';
import { externalDataLocations } from './onnx/decode.js';
import type { ExternalDataResolver } from './onnx/tensor.js';
import { batchPredictor, boundByFirstInput, onnxPredictor, type Predictor } from './predict.js';
import { TfjsFreeInputSizesError } from './tfjs/import.js';
import { readSafetensors } from './safetensors.js';
import { weightRangeNote } from './weight-range.js';
import { loadTfjsModel } from './tfjs/load.js';
import { ZOO, ZOO_NAMES, isZooName, zooEntry, zooGraph, zooSpec, type ZooName } from './zoo.js';

export interface ZooLoadOptions {
  /** weights: `.safetensors` bytes or a file path (Node); default: the bundled models/<name>-<dataset>.safetensors */
  weights?: Uint8Array | string;
  /** fetch the weights from this URL instead (in a browser relative to the page) */
  weightsUrl?: string | URL;
  /**
   * the folder URL holding the bundled assets (models/, samples/). Default: the package's own
   * assets/ in Node; `assets/` beside the page (in a worker: beside its script) in a browser.
   */
  assetsUrl?: string | URL;
  /** fold batch norms into convs and fuse epilogues (default true: fewer kernels, same logits) */
  foldBatchNorm?: boolean;
}

/** assets/models/<name>-<dataset>.safetensors: lenet is trained on MNIST, the others on Fashion-MNIST. */
export function defaultWeightsFile(name: ZooName): string {
  return `${name}-${ZOO[name].dataset}.safetensors`;
}

/** A zoo model with its weights. */
export async function loadZooModel(engine: Engine, name: string, options: ZooLoadOptions = {}): Promise<Model> {
  const entry = zooEntry(name);
  const { bytes, source } = await zooWeights(name as ZooName, options);
  const spec = zooSpec(name, readWeights(bytes, source));
  spec.info = { ...spec.info, classNames: CLASS_NAMES[entry.dataset] };
  return modelFromSpec(engine, options.foldBatchNorm === false ? spec : fuseModel(spec));
}

/** A zoo model with seeded random (PyTorch-default) weights: for tests and training from scratch. */
export function createZooModel(
  engine: Engine,
  name: string,
  options: { seed?: number; foldBatchNorm?: boolean } = {},
): Model {
  const spec = zooSpec(name, undefined, options.seed ?? 1);
  return modelFromSpec(engine, options.foldBatchNorm ? fuseModel(spec) : spec);
}

/**
 * A model from a `.safetensors` file alone. The architecture is `options.zoo`, else the file's
 * `__metadata__.model` (or `arch`), else the zoo model whose parameter names and shapes it matches.
 */
export function modelFromSafetensors(
  engine: Engine,
  bytes: Uint8Array,
  options: { zoo?: string; source?: string; foldBatchNorm?: boolean } = {},
): Model {
  const source = options.source ?? 'safetensors';
  const { tensors, metadata } = readSafetensorsOrFail(bytes, source);
  const name = options.zoo ?? metadata.model ?? metadata.arch ?? recogniseZooModel(tensors, source);
  if (!isZooName(name))
    throw new PathlightError(
      `${source}: names architecture '${name}', which is not a zoo model (available: ${ZOO_NAMES.join(', ')})`,
    );
  const spec = zooSpec(name, tensors);
  const dataset = metadata.dataset as DatasetName | undefined;
  spec.info = {
    ...spec.info,
    classNames: dataset && Object.hasOwn(CLASS_NAMES, dataset) ? CLASS_NAMES[dataset] : CLASS_NAMES[ZOO[name].dataset],
  };
  return modelFromSpec(engine, options.foldBatchNorm === false ? spec : fuseModel(spec));
}

/** A model from `.onnx` bytes; `notes` says what the import changed (e.g. a dropped final Softmax). */
export function modelFromOnnx(
  engine: Engine,
  bytes: Uint8Array,
  options: OnnxImportOptions & { source?: string } = {},
): { model: Model; notes: string[] } {
  const { spec, notes } = importOnnxBytes(bytes, options.source, options);
  return { model: modelFromSpec(engine, spec), notes };
}

/** Options of a model file (ONNX, TF.js): how its own files are read, class names, the load-time limit, and the input's free sizes. */
export interface ModelFileOptions {
  /**
   * Follow symlinks out of the model's folder (a hub cache's snapshots/ → blobs/). Default false:
   * such a file is refused, naming it and the folder. Absolute or '..' names and files that are
   * not regular (a FIFO, a device) are refused either way.
   */
  allowOutside?: boolean;
  classNames?: readonly string[];
  /** the load-time limit on each constant tensor and their total, in bytes (default 1 GiB); not explain's memoryBudgetBytes */
  maxModelBytes?: number;
  /** the input's sizes after the batch axis ([C, H, W]): fixes the free sizes of an input such as [-1, 3, -1, -1] */
  inputShape?: readonly number[];
}

/**
 * Any supported model by name or path (Node): a zoo name, `*.onnx`, `*.safetensors` or a TF.js
 * graph model's `*.json` (its weight shards beside it).
 * Returns the model and notes for the user.
 */
export async function loadModel(
  engine: Engine,
  spec: string,
  options: ModelFileOptions & { foldBatchNorm?: boolean; input?: InputDeclaration } = {},
): Promise<{ model: Model; notes: string[] }> {
  if (isZooName(spec)) return { model: await loadZooModel(engine, spec, options), notes: [] };
  const lower = spec.toLowerCase();
  const { classNames, maxModelBytes, inputShape } = options;
  if (lower.endsWith('.onnx')) {
    const { bytes, externalData } = await readOnnxFile(spec, options);
    return modelFromOnnx(engine, bytes, {
      source: spec,
      name: baseName(spec).replace(/\.onnx$/i, ''),
      classNames,
      externalData,
      input: options.input,
      maxModelBytes,
      inputShape,
    });
  }
  if (lower.endsWith('.safetensors'))
    return {
      model: modelFromSafetensors(engine, await readFileBytes(spec, 'weights'), {
        source: spec,
        foldBatchNorm: options.foldBatchNorm,
      }),
      notes: [],
    };
  if (lower.endsWith('.json'))
    return loadTfjsModel(engine, spec, { classNames, maxModelBytes, inputShape, allowOutside: options.allowOutside });
  throw new PathlightError(
    `unknown model '${spec}': use a zoo name (${ZOO_NAMES.join(', ')}), a .onnx, .safetensors or TF.js model.json file`,
  );
}

/**
 * A model for `predict` (Node): its outputs as its framework gives them, a final Softmax (ONNX) or
 * Softmax / Sigmoid (TF.js) included and an ONNX model's whole-tensor mode honoured. An ONNX
 * input's free sizes, unless `inputShape` fixes them, are bound by the first input.
 */
export async function loadPredictor(engine: Engine, spec: string, options: ModelFileOptions = {}): Promise<Predictor> {
  const lower = spec.toLowerCase();
  if (lower.endsWith('.json')) {
    const load = async (inputShape = options.inputShape) => {
      const { model, notes } = await loadTfjsModel(engine, spec, { ...options, inputShape, keepFinalActivation: true });
      return batchPredictor(model, notes);
    };
    return load().catch((e: unknown) => {
      if (!(e instanceof TfjsFreeInputSizesError) || options.inputShape) throw e;
      return boundByFirstInput(e.shape, baseName(spec), load);
    });
  }
  if (!lower.endsWith('.onnx')) {
    const { model, notes } = await loadModel(engine, spec, options);
    return batchPredictor(model, notes);
  }
  const { bytes, externalData } = await readOnnxFile(spec, options);
  return onnxPredictor(engine, bytes, {
    source: spec,
    name: baseName(spec).replace(/\.onnx$/i, ''),
    ...options,
    externalData,
  });
}

/**
 * The declared input shape (batch first, free sizes negative) when `e` says a model file's input has
 * free sizes that no `inputShape` fixed (ONNX or TF.js); otherwise undefined.
 */
export function freeInputSizes(e: unknown): readonly number[] | undefined {
  return e instanceof FreeInputSizesError || e instanceof TfjsFreeInputSizesError ? e.shape : undefined;
}

/** An `.onnx` file and the external-data files its tensors name, read from inside its folder. */
async function readOnnxFile(
  path: string,
  options: ModelFileOptions,
): Promise<{ bytes: Uint8Array; externalData: ExternalDataResolver }> {
  const raw = await readFileBytes(path, 'ONNX model');
  const bytes = raw.constructor === Uint8Array ? raw : new Uint8Array(raw);
  const files = new Map<string, Uint8Array>();
  const namedBy = { model: path, allowOutside: options.allowOutside };
  for (const location of externalDataLocations(bytes, path))
    files.set(location, await readFileBytes(location, `external data of ${path}`, namedBy));
  return { bytes, externalData: (location) => files.get(location)! };
}

function readSafetensorsOrFail(bytes: Uint8Array, source: string): ReturnType<typeof readSafetensors> {
  try {
    const r = readSafetensors(bytes);
    // ±Inf / NaN would be refused at upload without the file's name: refused here, naming it
    for (const [name, t] of r.tensors) weightRangeNote(name, t.data);
    return r;
  } catch (e) {
    throw new PathlightError(`${source}: ${(e as Error).message}`);
  }
}

function readWeights(bytes: Uint8Array, source: string): ModelSpec['params'] {
  return readSafetensorsOrFail(bytes, source).tensors;
}

/** The zoo model whose parameter names and shapes a weights file holds exactly. */
function recogniseZooModel(tensors: ModelSpec['params'], source: string): ZooName {
  for (const name of ZOO_NAMES) {
    const shapes = zooGraph(name).builder.paramShapes;
    if (shapes.size === tensors.size && [...shapes].every(([k, s]) => tensors.get(k)?.shape.join(',') === s.join(',')))
      return name;
  }
  throw new PathlightError(
    `${source}: its parameters (${[...tensors.keys()].slice(0, 4).join(', ')}, …) match no zoo model (${ZOO_NAMES.join(', ')}); name one in __metadata__.model`,
  );
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** The zoo weights' bytes and a name for them in errors: given bytes, a file, a URL, or the bundled file. */
async function zooWeights(name: ZooName, options: ZooLoadOptions): Promise<{ bytes: Uint8Array; source: string }> {
  const what = `weights for zoo model '${name}'`;
  const { weights, weightsUrl } = options;
  if (weights instanceof Uint8Array) return { bytes: weights, source: what };
  if (typeof weights === 'string') return { bytes: await readFileBytes(weights, what), source: weights };
  if (weights !== undefined)
    fail(
      `${what}: weights must be .safetensors bytes (Uint8Array) or a file path, got ${Object.prototype.toString.call(weights)}`,
    );
  if (weightsUrl !== undefined) return { bytes: await readUrl(weightsUrl, what), source: String(weightsUrl) };
  const file = `models/${defaultWeightsFile(name)}`;
  try {
    return { bytes: await readAsset(file, what, options.assetsUrl), source: file };
  } catch (e) {
    if (!(e instanceof PathlightError)) throw e;
    throw new PathlightError(`${e.message}; produce it with \`npm run train\` or pass weights / weightsUrl`);
  }
}
