/** The emotion model of @vladmandic/human (a devDependency) and the face fixture as its input. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePng } from '../../src/data/png.js';
import { preprocessPixels } from '../../src/data/preprocess.js';
import type { Model } from '../../src/nn/model.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const EMOTION_MODEL = join(ROOT, 'node_modules/@vladmandic/human/models/emotion.json');
/** test/fixtures/face-64.png (a face from @vladmandic/face-api's demo/sample1.jpg, see the fixtures README) */
export const FACE_PNG = join(ROOT, 'test/fixtures/face-64.png');

/** The face as the model's input: gray, through the model's declared preprocessing. */
export function faceInput(model: Model): Float32Array {
  return preprocessPixels(decodePng(new Uint8Array(readFileSync(FACE_PNG)), { channels: 1 }).data, model.info);
}
