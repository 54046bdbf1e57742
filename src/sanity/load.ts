/**
 * A model for the sanity checks: MPRT randomises the parameters as trained (batch norms unfolded),
 * so the checks need the model's unfused spec beside the folded model that explains. Zoo models and
 * zoo-architecture `.safetensors` files have one; ONNX and TF.js imports fold at import and do not.
 */
import type { Engine } from '../gpu/engine.js';
import { PathlightError } from '../errors.js';
import type { Model } from '../nn/model.js';
import { fuseModel, modelFromSpec, modelToSpec, type ModelSpec } from '../models/fuse.js';
import { loadModel, modelFromSafetensors } from '../models/load.js';
import { isZooName } from '../models/zoo.js';
import { readFileBytes } from '#platform';

/** A --model value the sanity checks accept (checked before any GPU work). */
export function checkSanityModel(spec: string): void {
  if (!isZooName(spec) && !spec.toLowerCase().endsWith('.safetensors'))
    throw new PathlightError(
      `sanity: --model must be a zoo model or a zoo-architecture .safetensors file (MPRT needs the parameters before batch-norm folding), got '${spec}'`,
    );
}

/** The folded model and its unfused spec. */
export async function loadSanityModel(engine: Engine, spec: string): Promise<{ model: Model; spec: ModelSpec }> {
  checkSanityModel(spec);
  const unfused = (await loadModel(engine, spec, { foldBatchNorm: false })).model;
  let source: ModelSpec;
  try {
    source = await modelToSpec(unfused);
  } finally {
    unfused.dispose();
  }
  return { model: modelFromSpec(engine, fuseModel(source)), spec: source };
}

/** A random-label twin: a `.safetensors` file of the same zoo architecture as `model`, folded. */
export async function loadTwin(engine: Engine, path: string, model: Model): Promise<Model> {
  const bytes = await readFileBytes(path, 'twin weights');
  const twin = modelFromSafetensors(engine, bytes, { zoo: model.info.name, source: path });
  const mine = [...model.params].map(([k, t]) => `${k}:${t.shape.join('x')}`).join(',');
  const theirs = [...twin.params].map(([k, t]) => `${k}:${t.shape.join('x')}`).join(',');
  if (mine !== theirs) {
    twin.dispose();
    throw new PathlightError(`sanity --twin: ${path} is not the architecture of ${model.info.name}`);
  }
  return twin;
}
