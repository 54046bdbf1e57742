/**
 * `--layer NAME` (repeatable: one result per layer) and `--neuron NAME:i,j,k` of `pathlight
 * explain`, checked before the model loads; the names themselves are checked against the model's.
 */
import { fail } from '../errors.js';
import { REPEAT_SEPARATOR } from './key-values.js';
import { decimalInt } from './numbers.js';
import type { Flags } from './flags.js';

export interface TapRequest {
  /** --layer values, in order */
  layers?: string[];
  /** --neuron NAME:i,j,k, split at the last ':' (TF.js names hold ':') */
  neuron?: { layer: string; index: number[] };
}

export function parseTapFlags(flags: Flags): TapRequest {
  const layer = flags.get('layer');
  const neuron = flags.get('neuron');
  if (layer !== undefined && neuron !== undefined) fail('explain: give --layer or --neuron, not both');
  if (layer !== undefined) return { layers: layer.split(REPEAT_SEPARATOR) };
  if (neuron === undefined) return {};
  const at = neuron.lastIndexOf(':');
  const index = neuron
    .slice(at + 1)
    .split(',')
    .map(decimalInt);
  if (at <= 0 || index.some((i) => i === undefined))
    fail(`--neuron ${neuron}: use NAME:i,j,k (the layer's name, then a unit's index per dimension after the batch)`);
  return { neuron: { layer: neuron.slice(0, at), index: index as number[] } };
}

/** One file per layer beside `npy` when there are several: `out-<layer>.npy`, the name made safe for a path. */
export function layerFile(npy: string, layer: string, several: boolean): string {
  return several
    ? `${npy.slice(0, -'.npy'.length)}-${layer.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[._]+/, '')}.npy`
    : npy;
}
