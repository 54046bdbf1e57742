/**
 * Loading models with weights: a zoo model from a `.safetensors` file (its bundled default, a path,
 * or bytes), a `.safetensors` file alone (the zoo architecture named by its metadata or recognised
 * by its parameter names), or an `.onnx` file. Inference models have their batch norms folded by
 * default (`foldBatchNorm: false` keeps them, e.g. for training). Bytes work everywhere; paths and
 * the bundled defaults use node:fs, imported only when needed so browser bundles stay fs-free.
 */
import type { Engine } from '../gpu/engine.js';
import { PathlightError } from '../gpu/errors.js';
import type { Model } from '../nn/model.js';
import { CLASS_NAMES, type DatasetName } from '../data/classes.js';
import { fuseModel, modelFromSpec, type ModelSpec } from './fuse.js';
import { importOnnxBytes, type OnnxImportOptions } from './onnx-import.js';
import { readSafetensors } from './safetensors.js';
import { ZOO, ZOO_NAMES, isZooName, zooEntry, zooGraph, zooSpec, type ZooName } from './zoo.js';

export interface ZooLoadOptions {
  /** weights: `.safetensors` bytes or a file path (default: the bundled assets/models file) */
  weights?: Uint8Array | string;
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
  const weights = options.weights ?? (await defaultWeightsPath(name as ZooName));
  const bytes = typeof weights === 'string' ? await readBytes(weights, `weights for zoo model '${name}'`) : weights;
  const spec = zooSpec(name, readWeights(bytes, typeof weights === 'string' ? weights : `weights for '${name}'`));
  spec.info = { ...spec.info, classNames: CLASS_NAMES[entry.dataset] };
  return modelFromSpec(engine, options.foldBatchNorm === false ? spec : fuseModel(spec));
}

/** A zoo model with seeded random (PyTorch-default) weights: for tests and training from scratch. */
export function createZooModel(engine: Engine, name: string, options: { seed?: number; foldBatchNorm?: boolean } = {}): Model {
  const spec = zooSpec(name, undefined, options.seed ?? 1);
  return modelFromSpec(engine, options.foldBatchNorm ? fuseModel(spec) : spec);
}

/**
 * A model from a `.safetensors` file alone. The architecture is `options.zoo`, else the file's
 * `__metadata__.model` (or `arch`), else the zoo model whose parameter names and shapes it matches.
 */
export function modelFromSafetensors(engine: Engine, bytes: Uint8Array, options: { zoo?: string; source?: string; foldBatchNorm?: boolean } = {}): Model {
  const source = options.source ?? 'safetensors';
  const { tensors, metadata } = readSafetensorsOrFail(bytes, source);
  const name = options.zoo ?? metadata.model ?? metadata.arch ?? recogniseZooModel(tensors, source);
  if (!isZooName(name)) throw new PathlightError(`${source}: names architecture '${name}', which is not a zoo model (available: ${ZOO_NAMES.join(', ')})`);
  const spec = zooSpec(name, tensors);
  const dataset = metadata.dataset as DatasetName | undefined;
  spec.info = { ...spec.info, classNames: dataset && dataset in CLASS_NAMES ? CLASS_NAMES[dataset] : CLASS_NAMES[ZOO[name].dataset] };
  return modelFromSpec(engine, options.foldBatchNorm === false ? spec : fuseModel(spec));
}

/** A model from `.onnx` bytes; `notes` says what the import changed (e.g. a dropped final Softmax). */
export function modelFromOnnx(engine: Engine, bytes: Uint8Array, options: OnnxImportOptions & { source?: string } = {}): { model: Model; notes: string[] } {
  const { spec, notes } = importOnnxBytes(bytes, options.source, options);
  return { model: modelFromSpec(engine, spec), notes };
}

/**
 * Any supported model by name or path (Node): a zoo name, `*.onnx` or `*.safetensors`.
 * Returns the model and notes for the user.
 */
export async function loadModel(engine: Engine, spec: string, options: { foldBatchNorm?: boolean; classNames?: readonly string[] } = {}): Promise<{ model: Model; notes: string[] }> {
  if (isZooName(spec)) return { model: await loadZooModel(engine, spec, options), notes: [] };
  const lower = spec.toLowerCase();
  if (lower.endsWith('.onnx')) {
    const name = baseName(spec).replace(/\.onnx$/i, '');
    return modelFromOnnx(engine, await readBytes(spec, 'ONNX model'), { source: spec, name, classNames: options.classNames });
  }
  if (lower.endsWith('.safetensors')) return { model: modelFromSafetensors(engine, await readBytes(spec, 'weights'), { source: spec, foldBatchNorm: options.foldBatchNorm }), notes: [] };
  throw new PathlightError(`unknown model '${spec}': use a zoo name (${ZOO_NAMES.join(', ')}), a .onnx file or a .safetensors file`);
}

function readSafetensorsOrFail(bytes: Uint8Array, source: string): ReturnType<typeof readSafetensors> {
  try {
    return readSafetensors(bytes);
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
    if (shapes.size === tensors.size && [...shapes].every(([k, s]) => tensors.get(k)?.shape.join(',') === s.join(','))) return name;
  }
  throw new PathlightError(`${source}: its parameters (${[...tensors.keys()].slice(0, 4).join(', ')}, …) match no zoo model (${ZOO_NAMES.join(', ')}); name one in __metadata__.model`);
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

// --- Node file access (dynamic imports: never loaded in a browser) ---

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  const fs = await import('node:fs');
  if (!fs.existsSync(path)) throw new PathlightError(`${what}: file ${path} does not exist`);
  return new Uint8Array(fs.readFileSync(path));
}

/** assets/models/<default file>, found by walking up from this module (src/models/ or dist/). */
async function defaultWeightsPath(name: ZooName): Promise<string> {
  const fs = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const file = defaultWeightsFile(name);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const assets = join(dir, 'assets');
    if (fs.existsSync(assets)) {
      const path = join(assets, 'models', file);
      if (fs.existsSync(path)) return path;
      throw new PathlightError(`zoo model '${name}': weights file ${path} is missing; produce it with \`npm run train\` (or pass weights explicitly)`);
    }
    const parent = dirname(dir);
    if (parent === dir) throw new PathlightError(`zoo model '${name}': no assets/models/${file} above ${fileURLToPath(import.meta.url)}; produce it with \`npm run train\` (or pass weights explicitly)`);
    dir = parent;
  }
}
