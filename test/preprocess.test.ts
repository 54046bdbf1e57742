/**
 * Declared model inputs (data/preprocess.ts): the affine map (mean/std per channel, scale/offset),
 * channel order and declared range against a float64 loop written per (c, y, x); the declaration's
 * one-line refusals; named baselines made as pixels and mapped (blur against the float64
 * reference blur of the pixels); IG2's default clip taken from the declared range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { checkInputDeclaration, declaredRange, declareInput, preprocessPixels } from '../src/data/preprocess.js';
import { Model, type InputDeclaration, type ModelInfo } from '../src/nn/model.js';
import { makeBaseline } from '../src/attribution/baselines.js';
import { gaussianBlurUniform } from '../src/ops/gaussian-blur.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createZooModel } from '../src/models/load.js';
import { explain } from '../src/attribution/index.js';
import { gaussianBlur } from './reference/methods/blur.js';
import { Rng } from './harness/random.js';

/** n seeded values in [0, 1) as float32 */
const pixelsOf = (n: number, seed: number) => Float32Array.from(new Rng(seed).uniform(n, 0, 1));

const IMAGENET: InputDeclaration = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const info = (preprocess: InputDeclaration, inputShape = [3, 2, 3]): ModelInfo => ({ name: 'm', inputShape, numClasses: 2, representationNode: 0, preprocess });

/** float64 reference: model channel k of pixel (y, x) = (pixel[src(k)] − mean[k]) / std[k]. */
function mapRef(pixels: Float32Array, [c, h, w]: number[], d: { mean: number[]; std: number[]; bgr?: boolean }): Float64Array {
  const out = new Float64Array(pixels.length);
  for (let n = 0; n < pixels.length / (c * h * w); n++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const src = d.bgr ? c - 1 - k : k;
          out[((n * c + k) * h + y) * w + x] = (pixels[((n * c + src) * h + y) * w + x]! - d.mean[k]!) / d.std[k]!;
        }
  return out;
}

describe('input declarations', () => {
  const pixels = pixelsOf(2 * 18, 3);

  it('mean/std per channel, on every image of a batch, RGB and BGR', () => {
    const rgb = preprocessPixels(pixels, info(IMAGENET));
    const want = mapRef(pixels, [3, 2, 3], { mean: IMAGENET.mean as number[], std: IMAGENET.std as number[] });
    rgb.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    const bgr = preprocessPixels(pixels, info({ ...IMAGENET, channelOrder: 'bgr' }));
    const wantBgr = mapRef(pixels, [3, 2, 3], { mean: IMAGENET.mean as number[], std: IMAGENET.std as number[], bgr: true });
    bgr.forEach((v, i) => expect(v).toBeCloseTo(wantBgr[i]!, 5));
    expect(bgr[0]).not.toBeCloseTo(rgb[0]!, 3);
  });

  it('scale/offset, one mean/std for all channels, and the declared range', () => {
    const so = preprocessPixels(pixels, info({ scale: 2, offset: -1 }));
    so.forEach((v, i) => expect(v).toBeCloseTo(pixels[i]! * 2 - 1, 6));
    const one = preprocessPixels(pixels, info({ mean: [0.5], std: [0.25] }));
    one.forEach((v, i) => expect(v).toBeCloseTo((pixels[i]! - 0.5) / 0.25, 5));
    const [lo, hi] = declaredRange(IMAGENET, 3);
    expect(lo).toBeCloseTo(Math.min(-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225), 12);
    expect(hi).toBeCloseTo(Math.max(0.515 / 0.229, 0.544 / 0.224, 0.594 / 0.225), 12);
    expect(declaredRange({ scale: -2, offset: 1 }, 1)).toEqual([-1, 1]);
    expect(declareInput({ scale: 2, offset: -1, gray: true }, [1, 4, 4], 'm')).toEqual({ preprocess: { scale: 2, offset: -1, gray: true }, inputRange: [-1, 1] });
    expect(declareInput(undefined, [1, 4, 4], 'm')).toEqual({});
  });

  it.each([
    [{ mean: [0, 0], std: [1, 1] }, [3, 4, 4], /mean needs 1 or 3 values \(one per channel\), got 2/],
    [{ mean: [0], std: [0] }, [3, 4, 4], /std must not be 0/],
    [{ mean: [0], std: [Number.NaN] }, [3, 4, 4], /std\[0\] must be a finite number/],
    [{ mean: [0], scale: 2 }, [3, 4, 4], /mean\/std or scale\/offset, not both/],
    [{ channelOrder: 'bgr' }, [1, 4, 4], /channelOrder bgr needs 3 channels, the model takes 1/],
    [{ channelOrder: 'gbr' }, [3, 4, 4], /channelOrder must be rgb or bgr, got gbr/],
    [{ gray: true }, [3, 4, 4], /gray needs 1 channel, the model takes 3/],
    [{ resize: 'nearest' }, [3, 4, 4], /resize must be bilinear or crop, got nearest/],
    [{ scale: 2 }, [10], /needs an image input \[C, H, W\], the model takes \[10\]/],
  ])('refuses %j on %j in one line', (decl, shape, message) => {
    expect(() => checkInputDeclaration(decl as InputDeclaration, shape, 'net')).toThrow(message);
    expect(() => checkInputDeclaration(decl as InputDeclaration, shape, 'net')).toThrow(/^model net: input declaration/);
  });
});

describe('baselines in pixel space', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await createEngine();
  });
  afterAll(() => engine?.dispose());

  const shape = [2, 3, 6, 7];
  const decl = { ...IMAGENET, channelOrder: 'bgr' as const };
  const toInput = (p: Float32Array) => preprocessPixels(p, info(decl, [3, 6, 7]));
  const ref = { mean: IMAGENET.mean as number[], std: IMAGENET.std as number[], bgr: true };

  async function baseline(spec: Parameters<typeof makeBaseline>[1], x: Tensor): Promise<Float32Array> {
    const b = makeBaseline(engine, spec, x, 5, gaussianBlurUniform, toInput);
    const v = await b.download();
    b.dispose();
    return v;
  }

  it('black and white are black and white images mapped; uniform is mapped noise', async () => {
    const x = Tensor.from(engine, new Float32Array(2 * 3 * 42), shape);
    for (const [name, value] of [['black', 0], ['white', 1]] as const) {
      const want = mapRef(new Float32Array(x.size).fill(value), [3, 6, 7], ref);
      (await baseline(name, x)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    }
    const noise = await baseline('uniform', x);
    const plain = makeBaseline(engine, 'uniform', x, 5);
    const want = mapRef(await plain.download(), [3, 6, 7], ref);
    plain.dispose();
    noise.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    x.dispose();
  });

  it('blur is the mapped blur of the pixels (zero padding is black pixels, not zero inputs)', async () => {
    const pixels = pixelsOf(2 * 3 * 42, 9);
    const x = Tensor.from(engine, toInput(pixels), shape);
    const got = await baseline({ blur: 1.5 }, x);
    const blurred = new Float32Array(pixels.length);
    for (let n = 0; n < 2; n++) blurred.set(gaussianBlur(Float64Array.from(pixels.subarray(n * 126, (n + 1) * 126)), [3, 6, 7], 1.5), n * 126);
    const want = mapRef(blurred, [3, 6, 7], ref);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    // blurring the model's input directly would differ at the borders
    const plainBlur = makeBaseline(engine, { blur: 1.5 }, x, 5, gaussianBlurUniform);
    const direct = await plainBlur.download();
    plainBlur.dispose();
    expect(Math.max(...direct.map((v, i) => Math.abs(v - want[i]!)))).toBeGreaterThan(0.1);
    x.dispose();
  });

  it("IG2's default clip is the model's declared input range", async () => {
    const lenet = createZooModel(engine, 'lenet');
    const wide = new Model(engine, { ...lenet.info, inputRange: [-3, 3] }, lenet.nodes, lenet.params);
    const x = pixelsOf(784, 4);
    const references = new Float32Array(784).fill(-2); // outside [0, 1], inside [-3, 3]
    const run = (m: Model, clip?: readonly [number, number]) => explain(engine, m, x, { method: 'ig2', steps: 6, target: 3, methodOptions: { references, stepSize: 2, ...(clip ? { clip } : {}) } });
    const byDefault = (await run(wide)).attribution;
    const declared = (await run(wide, [-3, 3])).attribution;
    const unit = (await run(wide, [0, 1])).attribution;
    expect(Array.from(byDefault)).toEqual(Array.from(declared));
    expect(Math.max(...byDefault.map((v, i) => Math.abs(v - unit[i]!)))).toBeGreaterThan(1e-4);
    expect(Array.from((await run(lenet)).attribution)).toEqual(Array.from(unit));
  });
});
