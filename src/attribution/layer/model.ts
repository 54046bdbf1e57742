/**
 * How a pathlight Model answers the layer keys (seam.ts): the tapped model (the fusions that took
 * the layer away split there, models/fuse.ts, once per layer) records one forward with the layer
 * spliced in when asked, seeds the target (or the unit) and runs one backward, to the layer when
 * `layerGrad` is wanted. Recorded once per call and shape, replayed for every later chunk and step.
 */
import { fail } from '../../errors.js';
import type { Model } from '../../nn/model.js';
import { Tensor } from '../../tensor/tensor.js';
import { explainSeed } from '../kernels/explain-seed.js';
import { answerModelKey } from '../model-subject.js';
import type { EvaluationKey, KeyedRequest } from '../subject.js';
import { slice } from '../../ops/strided.js';
import './seam.js';

/** The model and node that hold `layer`'s value (a fused-away value splits its fusion), and its shape per row. */
export function tapOf(model: Model, layer: string): { model: Model; node: number; shape: readonly number[] } {
  const known = model.layers();
  if (!known.some((l) => l.name === layer))
    fail(`model ${model.info.name} has no layer '${layer}' (pathlight layers --model lists them)`);
  if (!model.source) {
    const node = model.nodes.findIndex((n) => n.name === layer);
    return { model, node, shape: model.nodeShapes[node]! };
  }
  const { model: m, nodes } = model.source.split([layer]);
  return { model: m, node: nodes[0]!, shape: m.nodeShapes[nodes[0]!]! };
}

const LAYER_KEYS: readonly EvaluationKey[] = ['activation', 'layerGrad', 'unit', 'unitGrad'];

async function answerTap(model: Model, points: Tensor, r: KeyedRequest) {
  const tap = r.tap ?? fail(`${model.info.name}: ${r.want.join(', ')} need request.tap (a layer)`);
  const { model: m, node: k, shape } = tapOf(model, tap.layer);
  const want = new Set(r.want);
  if (want.has('grad') || (want.has('layerGrad') && want.has('unitGrad')))
    fail(`${model.info.name}: ${r.want.join(', ')} in one evaluation: one backward reaches the input or the layer`);
  const rows = points.shape[0]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const byUnit = want.has('unit') || want.has('unitGrad');
  if (byUnit && !(Number.isInteger(tap.unit) && tap.unit! >= 0 && tap.unit! < size))
    fail(`${model.info.name}: unit ${String(tap.unit)} is outside layer '${tap.layer}' (${size} units a row)`);
  const unitSeed = byUnit ? Tensor.from(m.engine, oneHotRows(rows, size, tap.unit!), [rows, ...shape]) : null;
  const inputs = [points, ...(tap.splice ? [tap.splice] : []), ...(unitSeed ? [unitSeed] : [])];
  const run = (ins: readonly Tensor[]): Tensor[] => {
    const [p, splice] = [ins[0]!, tap.splice ? ins[1] : undefined];
    const tape = m.forward(p, { record: true, splice: splice && new Map([[k, splice]]) });
    const owned = rows <= m.maxBatchPerPass(); // a chunked tape hands out copies of node outputs
    const act = owned ? tape.nodeOutput(k).reshape([rows, ...shape]) : tape.nodeOutput(k);
    const out: Tensor[] = [];
    let seeds: Map<number, Tensor>;
    if (byUnit) {
      const flat = act.reshape([rows, size]);
      out.push(slice(flat, 1, tap.unit!, tap.unit! + 1).reshape([rows]));
      flat.dispose();
      seeds = new Map([[k, ins[ins.length - 1]!]]);
    } else {
      const { seed, f } = explainSeed(tape.output, r.targets, r.pointsPerImage, r.output);
      out.push(f);
      seeds = new Map([[m.nodes.length - 1, seed]]);
    }
    out.push(act);
    if (want.has('layerGrad') || want.has('unitGrad'))
      out.push(tape.backward(seeds, { to: want.has('layerGrad') ? k : 0 }).dx);
    if (!byUnit) seeds.forEach((s) => s.dispose());
    tape.dispose();
    return out;
  };
  const key = `tap ${tap.layer} ${[...want]} ${points.shape} ${!!tap.splice} ${tap.unit} ${r.pointsPerImage} ${r.output} ${m.engine.pool.id(r.targets.buffer)}`;
  const [f, activation, grad] = r.replays ? r.replays.run(key, inputs, run) : run(inputs);
  unitSeed?.dispose();
  return {
    f: byUnit ? undefined : f,
    unit: byUnit ? f : undefined,
    activation,
    layerGrad: want.has('layerGrad') ? grad : undefined,
    unitGrad: want.has('unitGrad') ? grad : undefined,
  };
}

function oneHotRows(rows: number, size: number, unit: number): Float32Array {
  const seed = new Float32Array(rows * size);
  for (let b = 0; b < rows; b++) seed[b * size + unit] = 1;
  return seed;
}

for (const key of LAYER_KEYS)
  answerModelKey(key, async (model, points, r) => {
    const all = await answerTap(model, points, r);
    // the caller owns what it asked for; the rest is released here
    const asked = Object.fromEntries(r.want.map((k) => [k, all[k as keyof typeof all]]));
    for (const [k, t] of Object.entries(all)) if (t && !(k in asked)) t.dispose();
    return asked;
  });
