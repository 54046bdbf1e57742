/**
 * A real pre-trained TF.js graph model nobody here wrote: @vladmandic/human's FER-2013 emotion
 * classifier (oarriaga's mini-Xception, 64×64×1 → 7), imported and checked against TF.js's own
 * CPU backend (logits within 1e-4 of the largest |logit|, input gradients within 1e-3 relative
 * L2), then explained with IG and IDGI on a face, with the model's own preprocessing (gray, then
 * (gray − 0.5) · 2) and a black image as the baseline. One file: compiling the model's kernels on
 * SwiftShader is most of its time, and the checks share it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { explain } from '../src/attribution/explain.js';
import { pixelBaseline } from '../src/data/preprocess.js';
import { loadTfjsModel } from '../src/models/tfjs/load.js';
import type { TfjsModelJson } from '../src/models/tfjs/format.js';
import type { Model } from '../src/nn/model.js';
import { relL2 } from './harness/assert.js';
import { EMOTION_MODEL, faceInput } from './harness/emotion.js';
import { Rng } from './harness/random.js';
import { nchwToNhwc, nhwcToNchw, tfjsGraphModel, tfjsReference, unfused } from './harness/tfjs-reference.js';

const MODEL = EMOTION_MODEL;
/** the model's logits: the global average pool before its Softmax */
const LOGITS = 'StatefulPartitionedCall/model_1/global_average_pooling2d_1/Mean';
const maxAbs = (a: ArrayLike<number>) => Array.from(a, Math.abs).reduce((m, v) => Math.max(m, v), 0);

let engine: Engine;
let model: Model;
let notes: string[];
beforeAll(async () => {
  engine = await createEngine();
  ({ model, notes } = await loadTfjsModel(engine, MODEL));
});
afterAll(() => {
  model?.dispose();
  engine?.dispose();
});

describe('emotion (FER-2013 mini-Xception from @vladmandic/human)', () => {
  it('imports as [1, 64, 64] → 7 classes, the final Softmax dropped and the preprocessing declared', () => {
    expect(model.info).toMatchObject({
      name: 'emotion',
      inputShape: [1, 64, 64],
      numClasses: 7,
      preprocess: { gray: true, scale: 2, offset: -1 },
      inputRange: [-1, 1],
    });
    expect(model.info.classNames).toEqual(['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral']);
    expect(notes).toEqual([expect.stringMatching(/dropped the final Softmax/)]);
    // 9 convs + 4 depthwise (groups = channels), the two residual adds inside conv epilogues
    const convs = model.nodes.filter((n) => n.kind === 'conv2d');
    expect(convs).toHaveLength(13);
    expect(convs.filter((n) => n.kind === 'conv2d' && (n.params.groups ?? 1) > 1)).toHaveLength(4);
    expect(model.nodes.filter((n) => n.kind === 'conv2d' && n.residual !== undefined)).toHaveLength(2);
  });

  it('logits and input gradients match TF.js CPU on a random input and a face', async () => {
    const json = JSON.parse(readFileSync(MODEL, 'utf8')) as TfjsModelJson;
    const bin = new Uint8Array(readFileSync(MODEL.replace(/\.json$/, '.bin')));
    // logits from the graph as published; gradients through its unfused form (same math, 6× faster on TF.js CPU)
    const reference = await tfjsGraphModel(json, bin);
    const forGradients = await tfjsGraphModel(unfused(json), bin);
    const x = new Float32Array(2 * 64 * 64);
    x.set(Float32Array.from(new Rng(14).uniform(64 * 64, -1, 1)));
    x.set(faceInput(model), 64 * 64);
    const t = Tensor.from(engine, x, [2, 1, 64, 64]);
    const out = model.logits(t);
    const logits = await out.download();
    t.dispose();
    out.dispose();
    const targets = [0, 1].map((b) => {
      const row = Array.from(logits.subarray(7 * b, 7 * b + 7));
      return row.indexOf(Math.max(...row));
    });
    const nhwc = nchwToNhwc(x, [2, 1, 64, 64]);
    const want = await tfjsReference(reference, nhwc, [2, 64, 64, 1], LOGITS);
    const wantGrad = (await tfjsReference(forGradients, nhwc, [2, 64, 64, 1], LOGITS, targets)).grad!;
    const r = await explain(engine, model, x, { method: 'grad', target: targets });
    for (let b = 0; b < 2; b++) {
      const [got, ref] = [logits.subarray(7 * b, 7 * b + 7), want.logits.subarray(7 * b, 7 * b + 7)];
      expect(maxAbs(got.map((v, i) => v - ref[i]!)), `image ${b}: max |logit − TF.js|`).toBeLessThanOrEqual(
        1e-4 * maxAbs(ref),
      );
      const g = nhwcToNchw(wantGrad, [2, 1, 64, 64]).subarray(b * 4096, (b + 1) * 4096);
      expect(
        relL2(r.attribution.subarray(b * 4096, (b + 1) * 4096), g),
        `image ${b}: input gradient vs TF.js`,
      ).toBeLessThan(1e-3);
    }
    reference.dispose();
    forGradients.dispose();
  });

  it.each([
    // IDGI is complete by construction; IG's Riemann sum on this ReLU network is within ~10 % at 16 steps
    ['ig', 0.15],
    ['idgi', 1e-4],
  ] as const)('%s on the face: target = argmax (happy), finite, complete', async (method, tolerance) => {
    const black = pixelBaseline(0, model.info);
    expect(black.every((v) => v === -1)).toBe(true);
    const r = await explain(engine, model, faceInput(model), { method, steps: 16, baseline: black, target: 'auto' });
    const im = r.images[0]!;
    expect(model.info.classNames![im.target]).toBe('happy');
    expect(r.attribution.every(Number.isFinite)).toBe(true);
    expect(im.completenessError, 'relative completeness error').toBeLessThan(tolerance);
  });
});
