/**
 * Parameter initialisation (PyTorch defaults) and model construction from a graph.
 * conv/linear: weight and bias ~ U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5);
 * batch-norm: γ = 1, β = 0, running mean 0, running var 1.
 */
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';
import type { GraphBuilder } from './graph.js';
import { Model, type ModelInfo } from './model.js';

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function initialParameter(
  name: string,
  shape: readonly number[],
  fanIn: number,
  rand: () => number,
): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (name.endsWith('running_var') || (name.endsWith('.weight') && shape.length === 1)) return out.fill(1);
  if (name.endsWith('running_mean') || (name.endsWith('.bias') && fanIn === 0)) return out;
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * bound;
  return out;
}

/** Random (seeded) PyTorch-style parameters for every parameter the graph declares. */
export function initParameters(builder: GraphBuilder, seed = 1): Map<string, { shape: number[]; data: Float32Array }> {
  const rand = seededRandom(seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of builder.paramShapes) {
    const owner = name.slice(0, name.lastIndexOf('.'));
    const w = builder.paramShapes.get(`${owner}.weight`);
    const isBn = builder.paramShapes.has(`${owner}.running_mean`);
    const fanIn = isBn || !w ? 0 : w.slice(1).reduce((a, b) => a * b, 1);
    out.set(name, { shape, data: initialParameter(name, shape, fanIn, rand) });
  }
  return out;
}

/** A model on the GPU from a graph and parameter values (random seeded init when omitted). */
export function buildModel(
  engine: Engine,
  builder: GraphBuilder,
  info: ModelInfo,
  values?: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>,
): Model {
  const init = values ?? initParameters(builder);
  const params = new Map<string, Tensor>();
  for (const [name, shape] of builder.paramShapes) params.set(name, Tensor.empty(engine, shape, name));
  const model = new Model(engine, info, builder.nodes, params);
  model.setParameters(init);
  return model;
}
