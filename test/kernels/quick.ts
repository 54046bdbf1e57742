/**
 * `npm run test:quick`'s kernel cases: all but the model-scale ones, each of which spends seconds
 * to tens of seconds compiling or stepping a whole model on SwiftShader. `npm test` runs them all.
 */
import type { Case } from '../harness/cases.js';
import { caseTitle } from '../harness/cases.js';

/** Title prefixes ("suite: name") of the cases `npm run test:quick` leaves out. */
export const MODEL_SCALE = [
  'anchors: PAIR Guided IG: f = ', // 1 000-step Guided IG paths on the CPU function seam
  'fusion: fused ResNet',
  'fusion: fused LeNet',
  'zoo: folding BN',
  'zoo: resnet matches',
  'interop: IDGI of a TF.js CNN', // TF.js's WebGPU backend compiles its own kernels
  'methods: peak GPU memory', // 4 096 steps
  'conv2d: one pipeline per direction serves every batch size', // every layer size of the zoo
  'nn: a batch over the binding limit', // a batch split over maxStorageBufferBindingSize
];

export function quickCases(all: readonly Case[]): Case[] {
  return all.filter((c) => !MODEL_SCALE.some((prefix) => caseTitle(c).startsWith(prefix)));
}
