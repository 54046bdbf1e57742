/** `pathlight layers --model M`: every value the model's file names, its shape per row, and whether a tap splits a fusion. */
import { createEngine } from '../gpu/engine.js';
import { loadModel } from '../models/load.js';
import { checkKnownFlags, checkModelFlag, MODEL_FILE_FLAGS, modelFileFlags, type Flags } from './flags.js';
import { fail } from '../errors.js';

export async function layersCommand(flags: Flags): Promise<void> {
  checkKnownFlags(flags, ['model', 'json', ...MODEL_FILE_FLAGS], 'layers');
  const name = flags.get('model') ?? fail('layers: --model is required');
  checkModelFlag(name);
  const engine = await createEngine();
  try {
    const { model } = await loadModel(engine, name, modelFileFlags(flags));
    const layers = model.layers();
    if (flags.has('json')) console.log(JSON.stringify({ model: model.info.name, layers }, null, 2));
    else {
      const width = Math.max(...layers.map((l) => l.name.length));
      for (const l of layers)
        console.log(
          `${l.name.padEnd(width)}  [N, ${l.shape.join(', ')}]${l.tappable ? '' : '  (fused: a tap splits it)'}`,
        );
    }
    model.dispose();
  } finally {
    engine.dispose();
  }
}
