/**
 * explain()'s `layer` and `neuron` options, checked before any GPU work: which layer method runs
 * (methods.ts) on which subject (a neuron's, subjects.ts). Methods that attribute to a layer are
 * refused without one, and methods that do not, with one.
 */
import { fail } from '../../errors.js';
import { sizeOf } from '../../tensor/tensor.js';
import type { Model } from '../../nn/model.js';
import type { MethodInfo } from '../registry.js';
import type { Explainable } from '../subject.js';
import { LAYER_METHODS } from './methods.js';
import { neuronSubject } from './subjects.js';

export interface TapOptions {
  method: string;
  /** attribute to this layer (a name of Model.layers()): the attribution has its shape [N, ...] */
  layer?: string;
  /** neuron-ig: the unit of a layer explained in place of a class, its index per row */
  neuron?: { layer: string; index: readonly number[] };
  smoothgrad?: unknown;
}

const LAYER_ONLY = ['layer-ig', 'conductance', 'internal-influence', 'gradcam', 'layer-gradxactivation'];

/** The layer a model names, with its shape per row, or a one-line error listing a few. */
function layerShape(model: Model | null, layer: unknown, what: string): readonly number[] {
  if (!model) fail(`${what} needs a model: a function has no layers`);
  if (typeof layer !== 'string') fail(`${what}: the layer must be a name (a string), got ${String(layer)}`);
  const layers = model.layers();
  const found = layers.find((l) => l.name === layer);
  if (!found)
    fail(
      `model ${model.info.name} has no layer '${layer}' (${layers.length} layers, e.g. ${layers
        .slice(0, 3)
        .map((l) => l.name)
        .join(', ')}; pathlight layers --model lists them)`,
    );
  return found.shape;
}

/** Make the tapped model of a known layer of `o` (its weights are uploaded: never inside a dry run). */
export function prepareTap(model: Model, o: Omit<TapOptions, 'method'>): void {
  const layer = o.layer ?? o.neuron?.layer;
  if (typeof layer === 'string' && model.layers().some((l) => l.name === layer)) model.source?.split([layer]);
}

/** The subject and method explain() runs for `o`; null when it names neither a layer nor a neuron. */
export function tapSettings(
  subject: Explainable,
  model: Model | null,
  o: TapOptions,
  base: MethodInfo<unknown>,
): { subject: Explainable; method: MethodInfo<unknown> } | null {
  const { method, layer, neuron } = o;
  if (layer === undefined && neuron === undefined) {
    if (LAYER_ONLY.includes(method)) fail(`${method} attributes to a layer: give it a layer (CLI: --layer NAME)`);
    if (method === 'neuron-ig')
      fail('neuron-ig explains one unit of a layer: give it a neuron (CLI: --neuron NAME:i,j,k)');
    return null;
  }
  if (layer !== undefined && neuron !== undefined) fail('explain: give a layer or a neuron, not both');
  if (o.smoothgrad) fail('explain: SmoothGrad does not wrap layer or neuron attribution');
  if (layer !== undefined) {
    const run = LAYER_METHODS.get(method);
    if (!run) fail(`${method} does not attribute to a layer (layer methods: ${[...LAYER_METHODS.keys()].join(', ')})`);
    const shape = layerShape(model, layer, method);
    const start = method === 'layer-ig' || method === 'idgi' ? { start: 'f(x, layer at baseline)' } : {};
    return { subject, method: { ...base, ...start, run: (ctx, opts) => run(ctx, layer, shape, opts) } };
  }
  if (method !== 'neuron-ig') fail(`${method} does not explain a neuron (neuron methods: neuron-ig)`);
  const shape = layerShape(model, neuron!.layer, method);
  return {
    subject: neuronSubject(
      subject,
      neuron!.layer,
      unitIndex(neuron!.index, shape, neuron!.layer),
      neuronLabel(neuron!),
    ),
    method: base,
  };
}

const neuronLabel = (n: { layer: string; index: readonly number[] }) => `${n.layer}:${n.index.join(',')}`;

/** The flat index of `index` in a row of a layer of `shape`. */
function unitIndex(index: readonly number[], shape: readonly number[], layer: string): number {
  if (!Array.isArray(index) || index.length !== shape.length)
    fail(
      `neuron-ig: layer '${layer}' has ${shape.length} dimensions per row [${shape.join(', ')}]; the index has ${Array.isArray(index) ? index.length : 'no'} numbers`,
    );
  let flat = 0;
  index.forEach((v, k) => {
    if (!Number.isInteger(v) || v < 0 || v >= shape[k]!)
      fail(`neuron-ig: index ${index.join(',')} is outside layer '${layer}' [${shape.join(', ')}] at dimension ${k}`);
    flat = flat * shape[k]! + v;
  });
  return flat < sizeOf(shape) ? flat : fail('neuron-ig: index out of range');
}
