/**
 * TF.js graph models on the GPU: `modelFromTfjs(engine, modelJson, shards)` from the parsed
 * `model.json` and its weight shards' bytes (any environment), `loadTfjsModel(engine, path)` from
 * a file and the shards `weightsManifest[].paths` names beside it (Node paths or, through
 * `#platform`, URLs in a browser). A model this module knows (KNOWN_TFJS_MODELS, recognised by
 * its converter metadata and signature) gets its class names and image preprocessing declared.
 */
import type { Engine } from '../../gpu/engine.js';
import type { Model } from '../../nn/model.js';
import { PathlightError } from '../../errors.js';
import { readFileBytes } from '#platform';
import { modelFromSpec } from '../fuse.js';
import { importTfjs, type TfjsImportOptions } from './import.js';
import { concatShards, shardPaths, TfjsError, type TfjsModelJson } from './format.js';

export { importTfjs, type TfjsImport, type TfjsImportOptions, type InputPreprocess } from './import.js';
export { readTfjsWeights, type TfjsModelJson } from './format.js';

/** Declarations for published models whose model.json does not carry them. */
export const KNOWN_TFJS_MODELS: readonly {
  name: string;
  matches: (json: TfjsModelJson) => boolean;
  options: TfjsImportOptions;
}[] = [
  {
    // @vladmandic/human models/emotion.json: oarriaga's FER-2013 mini-Xception; human feeds it
    // gray (0.2989 R + 0.587 G + 0.114 B) mapped to [-1, 1]
    name: 'emotion',
    matches: (json) =>
      json.generatedBy === 'https://github.com/oarriaga/face_classification' && inputDims(json) === '-1,64,64,1',
    options: {
      classNames: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
      input: { gray: true, scale: 2, offset: -1 },
    },
  },
];

/** The Placeholder's shape, as text. */
function inputDims(json: TfjsModelJson): string {
  const p = json.modelTopology?.node?.find((n) => n.op === 'Placeholder');
  return (p?.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size ?? -1)).join();
}

/** The known model's declarations, under the caller's own options. */
function withKnown(json: TfjsModelJson, options: TfjsImportOptions): TfjsImportOptions {
  const known = KNOWN_TFJS_MODELS.find((k) => k.matches(json));
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return known ? { name: known.name, ...known.options, ...given } : options;
}

/** A model from a parsed model.json and its weight shards (in manifest order, or already concatenated). */
export function modelFromTfjs(
  engine: Engine,
  modelJson: TfjsModelJson,
  weightShards: Uint8Array | readonly Uint8Array[],
  options: TfjsImportOptions & { source?: string } = {},
): { model: Model; notes: string[] } {
  const bytes = weightShards instanceof Uint8Array ? weightShards : concatShards(weightShards);
  const { spec, notes } = importTfjs(modelJson, bytes, withKnown(modelJson, options));
  return { model: modelFromSpec(engine, spec), notes };
}

/** A model.json file and the shards beside it; `allowOutside` lets symlinked shards leave its folder (see loadModel). */
export async function loadTfjsModel(
  engine: Engine,
  path: string,
  options: TfjsImportOptions & { allowOutside?: boolean } = {},
): Promise<{ model: Model; notes: string[] }> {
  const { allowOutside, ...importOptions } = options;
  const text = new TextDecoder().decode(await readFileBytes(path, 'TF.js model'));
  let json: TfjsModelJson;
  try {
    json = JSON.parse(text) as TfjsModelJson;
  } catch (e) {
    throw new TfjsError(path, `not valid JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(json?.weightsManifest)) throw new TfjsError(path, 'not a TF.js graph model (no weightsManifest)');
  const shards: Uint8Array[] = [];
  for (const p of shardPaths(json)) {
    if (typeof p !== 'string')
      throw new PathlightError(`${path}: weight shard path ${JSON.stringify(p)} is not a string`);
    shards.push(await readFileBytes(p, `weight shard of ${path}`, { model: path, allowOutside }));
  }
  return modelFromTfjs(engine, json, shards, { source: path, ...importOptions });
}
