/**
 * Model-parameter randomisation on the unfused model (batch norms as separate nodes): a "layer" is
 * a conv or linear node with its parameters, together with the batch norm that reads its output, if
 * any (the unit the loader folds into one conv). Its randomised parameters are:
 * - conv / linear weight and bias: redrawn from PyTorch's default initialisation,
 *   U(−1/√fan_in, 1/√fan_in) (nn/init.ts) — what Quantus's PyTorch randomiser does
 *   (`reset_parameters()`), and the distribution the zoo's models start training from;
 * - batch-norm γ and β: permuted over the channels (a seeded shuffle, as Quantus's Keras
 *   randomiser does to every weight) — PyTorch's reset (γ = 1, β = 0) is a constant, not a draw.
 *   The running mean and variance are statistics, not parameters: they stay as trained.
 * Each layer's draw depends only on the seed and the layer's index, so the cascading and the
 * independent test randomise a layer to the same values. The caller folds the result again (fuse.ts).
 */
import { fail } from '../errors.js';
import { nodeInputs } from '../nn/graph.js';
import { initialParameter } from '../nn/init.js';
import type { ModelSpec, ParamValues } from '../models/fuse.js';
import { imageSeed, uniformRng } from '../metrics/seeds.js';

export interface RandomisableLayer {
  /** the conv / linear node's name */
  name: string;
  /** conv / linear parameters (weight, bias) */
  params: string[];
  /** the batch norm's γ and β, when one follows */
  bnParams: string[];
}

/** The randomisable layers of an unfused spec, input to output. */
export function randomisableLayers(spec: ModelSpec): RandomisableLayer[] {
  const layers: RandomisableLayer[] = [];
  spec.nodes.forEach((node, i) => {
    if (node.kind !== 'conv2d' && node.kind !== 'linear') return;
    const params = [node.weight, ...(node.bias ? [node.bias] : [])];
    const readers = spec.nodes.filter((r) => nodeInputs(r).includes(i));
    const reader = readers.length === 1 ? readers[0] : undefined;
    const bnParams = reader?.kind === 'batchnorm' ? [`${reader.prefix}.weight`, `${reader.prefix}.bias`] : [];
    layers.push({ name: node.name, params, bnParams });
  });
  if (layers.length === 0) fail(`model ${spec.info.name}: no conv or linear layer to randomise`);
  return layers;
}

/** Fisher–Yates with a seeded generator. */
function permuted(data: Float32Array, rand: () => number): Float32Array {
  const out = Float32Array.from(data);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The spec's parameters with the layers at `which` (indices into `layers`) randomised; the rest shared, unchanged. */
export function randomisedParams(
  spec: ModelSpec,
  layers: readonly RandomisableLayer[],
  which: readonly number[],
  seed: number,
): ParamValues {
  const params: ParamValues = new Map(spec.params);
  for (const index of which) {
    const layer = layers[index] ?? fail(`randomisedParams: no layer ${index}`);
    const rand = uniformRng(imageSeed(seed, index));
    const weight = spec.params.get(layer.params[0]!)!;
    const fanIn = weight.shape.slice(1).reduce((a, b) => a * b, 1);
    for (const name of layer.params) {
      const { shape } = spec.params.get(name)!;
      params.set(name, { shape, data: initialParameter(name, shape, fanIn, rand) });
    }
    for (const name of layer.bnParams) {
      const v = spec.params.get(name)!;
      params.set(name, { shape: v.shape, data: permuted(v.data, rand) });
    }
  }
  return params;
}
