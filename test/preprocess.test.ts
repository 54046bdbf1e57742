/**
 * Declared model inputs (data/preprocess.ts): the affine map (mean/std per channel, scale/offset),
 * channel order and declared range against a float64 loop written per (c, y, x); the declaration's
 * one-line refusals; named baselines made as pixels and mapped (blur against the float64
 * reference blur of the pixels); IG2's default clip taken from the declared range; JPEG decoding
 * (against Pillow's decode of the same file), bilinear resize (against a separable float64 one and
 * the 2×2 mean it is at half size) and the centre crop's placement.
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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJpeg, readJpegSize } from '../src/data/jpeg.js';
import { centreCrop, resizeBilinear } from '../src/data/resize.js';
import { readNpy } from '../src/models/npy.js';

/** n seeded values in [0, 1) as float32 */
const pixelsOf = (n: number, seed: number) => Float32Array.from(new Rng(seed).uniform(n, 0, 1));

const IMAGENET: InputDeclaration = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const info = (preprocess: InputDeclaration, inputShape = [3, 2, 3]): ModelInfo => ({
  name: 'm',
  inputShape,
  numClasses: 2,
  representationNode: 0,
  preprocess,
});

/** float64 reference: model channel k of pixel (y, x) = (pixel[src(k)] − mean[k]) / std[k]. */
function mapRef(
  pixels: Float32Array,
  [c, h, w]: number[],
  d: { mean: number[]; std: number[]; bgr?: boolean },
): Float64Array {
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
    const wantBgr = mapRef(pixels, [3, 2, 3], {
      mean: IMAGENET.mean as number[],
      std: IMAGENET.std as number[],
      bgr: true,
    });
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
    expect(declareInput({ scale: 2, offset: -1, gray: true }, [1, 4, 4], 'm')).toEqual({
      preprocess: { scale: 2, offset: -1, gray: true },
      inputRange: [-1, 1],
    });
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
    expect(() => checkInputDeclaration(decl as InputDeclaration, shape, 'net')).toThrow(
      /^model net: input declaration/,
    );
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
    for (const [name, value] of [
      ['black', 0],
      ['white', 1],
    ] as const) {
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
    for (let n = 0; n < 2; n++)
      blurred.set(gaussianBlur(Float64Array.from(pixels.subarray(n * 126, (n + 1) * 126)), [3, 6, 7], 1.5), n * 126);
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
    const run = (m: Model, clip?: readonly [number, number]) =>
      explain(engine, m, x, {
        method: 'ig2',
        steps: 6,
        target: 3,
        methodOptions: { references, stepSize: 2, ...(clip ? { clip } : {}) },
      });
    const byDefault = (await run(wide)).attribution;
    const declared = (await run(wide, [-3, 3])).attribution;
    const unit = (await run(wide, [0, 1])).attribution;
    expect(Array.from(byDefault)).toEqual(Array.from(declared));
    expect(Math.max(...byDefault.map((v, i) => Math.abs(v - unit[i]!)))).toBeGreaterThan(1e-4);
    expect(Array.from((await run(lenet)).attribution)).toEqual(Array.from(unit));
  });
});

describe('JPEG inputs, resize and centre crop', () => {
  const fixtures = join(import.meta.dirname, 'fixtures');
  const jpeg = new Uint8Array(readFileSync(join(fixtures, 'tiny.jpg')));

  it("decodes test/fixtures/tiny.jpg like Pillow (within JPEG decoders' rounding)", () => {
    expect(readJpegSize(jpeg, 'tiny.jpg')).toEqual({ width: 20, height: 12 });
    const img = decodeJpeg(jpeg, { channels: 3, source: 'tiny.jpg' });
    expect([img.width, img.height, img.channels]).toEqual([20, 12, 3]);
    const pil = readNpy(readFileSync(join(fixtures, 'tiny_jpg_pixels.npy'))); // HWC
    let worst = 0;
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 240; p++) worst = Math.max(worst, Math.abs(img.data[c * 240 + p]! - pil.data[p * 3 + c]!));
    expect(worst).toBeLessThanOrEqual(3 / 255);
    const gray = decodeJpeg(jpeg, { channels: 1 });
    expect(gray.data[5]).toBeCloseTo(0.2989 * img.data[5]! + 0.587 * img.data[245]! + 0.114 * img.data[485]!, 6);
  });

  it('checks the declared size before decoding, and refuses what is not a JPEG', () => {
    expect(() => decodeJpeg(jpeg, { source: 'tiny.jpg', expectedSizes: [{ width: 16, height: 16 }] })).toThrow(
      /^tiny.jpg: the JPEG is 20×12 pixels, expected 16×16$/,
    );
    expect(() => decodeJpeg(jpeg, { source: 'tiny.jpg', maxPixels: 100 })).toThrow(
      /^tiny.jpg: the JPEG declares 20×12 pixels, more than the limit of 100/,
    );
    // a header declaring 30 000 × 30 000 is refused from its frame header, with no scan data at all
    const huge = Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0x75, 0x30, 0x75, 0x30, 1, 1, 0x11, 0]);
    expect(() => decodeJpeg(huge, { source: 'huge.jpg' })).toThrow(
      /huge.jpg: the JPEG declares 30000×30000 pixels, more than the limit/,
    );
    expect(() => decodeJpeg(new Uint8Array([1, 2, 3, 4]), { source: 'x.jpg' })).toThrow(
      /^x.jpg: not a readable JPEG \(no start-of-image marker\)$/,
    );
    expect(() => decodeJpeg(jpeg.subarray(0, 300), { source: 'cut.jpg' })).toThrow(/^cut.jpg: not a readable JPEG/);
  });

  /** float64 reference: resize rows, then columns, each a 1-D half-pixel interpolation. */
  function resize1d(v: number[], on: number): number[] {
    const n = v.length;
    return Array.from({ length: on }, (_, i) => {
      const s = Math.min(Math.max(((i + 0.5) * n) / on - 0.5, 0), n - 1);
      const j = Math.floor(s);
      return v[j]! + (s - j) * ((v[Math.min(j + 1, n - 1)] ?? 0) - v[j]!);
    });
  }

  it('bilinear resize: the separable float64 reference, up and down; a 2×2 mean at half size', () => {
    const [c, h, w] = [2, 5, 7];
    const img = pixelsOf(c * h * w, 11);
    for (const [oh, ow] of [
      [9, 4],
      [5, 7],
      [16, 16],
      [2, 3],
    ] as const) {
      const got = resizeBilinear(img, c, h, w, oh, ow);
      for (let k = 0; k < c; k++) {
        const rows = Array.from({ length: h }, (_, y) =>
          resize1d(Array.from(img.subarray((k * h + y) * w, (k * h + y + 1) * w)), ow),
        );
        for (let x = 0; x < ow; x++) {
          const col = resize1d(
            rows.map((r) => r[x]!),
            oh,
          );
          for (let y = 0; y < oh; y++) expect(got[(k * oh + y) * ow + x]).toBeCloseTo(col[y]!, 6);
        }
      }
    }
    const even = pixelsOf(4 * 6, 12);
    const half = resizeBilinear(even, 1, 4, 6, 2, 3);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 3; x++) {
        const at = (yy: number, xx: number) => even[yy * 6 + xx]!;
        expect(half[y * 3 + x]).toBeCloseTo(
          (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4,
          6,
        );
      }
  });

  it("centre crop: torchvision's placement (offsets rounded half to even), and too small an image refused", () => {
    const [h, w] = [5, 8];
    const img = Float32Array.from({ length: 2 * h * w }, (_, i) => i);
    // 5 → 2 rows: (5 − 2) / 2 = 1.5 → 2; 8 → 3 columns: 2.5 → 2
    const got = centreCrop(img, 2, h, w, 2, 3, 'x');
    expect(Array.from(got)).toEqual([18, 19, 20, 26, 27, 28, 58, 59, 60, 66, 67, 68]);
    expect(Array.from(centreCrop(img, 2, h, w, 3, 4, 'x')).slice(0, 4)).toEqual([10, 11, 12, 13]); // offsets 1, 2
    expect(() => centreCrop(img, 2, h, w, 6, 3, 'in.png')).toThrow(
      /^in.png is 8×5 pixels, smaller than the model's 3×6/,
    );
  });
});
