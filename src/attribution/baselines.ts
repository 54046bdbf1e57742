/**
 * Baselines x' per image: black (0), white (1), uniform noise (seeded), blurred input (Gaussian,
 * σ = 5 px by default), or the caller's array / tensor. The named ones are images: for a model
 * with a declared input map (`toInput`: [0, 1] pixels → model input) they are made as pixels and
 * mapped, so black is a black image, not zeros in model space.
 */
import type { Engine } from '../gpu/engine.js';
import { fail, PathlightError, shapeStr } from '../errors.js';
import { Tensor, assertFinite } from '../tensor/tensor.js';
import { seededRandom } from '../nn/init.js';
import { add } from '../ops/add.js';
import { sub } from '../ops/arithmetic.js';

export type BaselineSpec = 'black' | 'white' | 'uniform' | 'blur' | { blur: number } | Float32Array | Tensor;

/** Blur is provided by the Gaussian-blur op; injected to keep this module free of that dependency. */
export type BlurFn = (x: Tensor, sigma: number) => Tensor;

/** Pixels in [0, 1] ([N, ...input]) as the model's input: the subject's declared map (Explainable.pixelsToInput). */
export type PixelMap = (pixels: Float32Array) => Float32Array;

export function makeBaseline(
  engine: Engine,
  spec: BaselineSpec,
  x: Tensor,
  seed: number,
  blur?: BlurFn,
  toInput: PixelMap = (p) => p,
): Tensor {
  const shape = x.shape;
  const image = (pixels: Float32Array) => Tensor.from(engine, toInput(pixels), shape, { label: 'baseline' });
  if (spec instanceof Tensor) {
    if (spec.size === x.size) return spec.reshape(shape);
    if (spec.size * shape[0]! === x.size) return tile(engine, spec, x);
    fail(`baseline has shape ${shapeStr(spec.shape)}, expected ${shapeStr(shape)} or ${shapeStr(shape.slice(1))}`);
  }
  if (spec instanceof Float32Array) {
    assertFinite(spec, 'baseline');
    const perImage = x.size / shape[0]!;
    if (spec.length === x.size) return Tensor.from(engine, spec, shape, { label: 'baseline' });
    if (spec.length === perImage) {
      const all = new Float32Array(x.size);
      for (let i = 0; i < shape[0]!; i++) all.set(spec, i * perImage);
      return Tensor.from(engine, all, shape, { label: 'baseline' });
    }
    fail(`baseline has ${spec.length} values, expected ${x.size} (${shapeStr(shape)}) or ${perImage} (one image)`);
  }
  if (spec === 'black' || spec === 'white') return image(new Float32Array(x.size).fill(spec === 'white' ? 1 : 0));
  if (spec === 'uniform') return image(Float32Array.from({ length: x.size }, seededRandom(seed)));
  if (spec === 'blur' || (typeof spec === 'object' && 'blur' in spec)) {
    if (!blur) fail('baseline: blur is not available');
    const sigma = spec === 'blur' ? 5 : spec.blur;
    if (!(sigma >= 0)) fail(`baseline: blur sigma must be >= 0, got ${sigma}`);
    try {
      return blurPixels(image(new Float32Array(x.size)), x, sigma, blur);
    } catch (e) {
      throw e instanceof PathlightError ? new PathlightError(`baseline { blur: ${sigma} }: ${e.message}`) : e;
    }
  }
  return fail(`unknown baseline '${String(spec)}' (use black, white, uniform, blur, or an array)`);
}

/**
 * The blurred image, mapped: with the map per channel x = a·p + c (c the map of black), blur
 * (zero-padded, linear) of the pixels mapped is blur(x − c) + c.
 */
function blurPixels(black: Tensor, x: Tensor, sigma: number, blur: BlurFn): Tensor {
  const centred = sub(x, black);
  try {
    const blurred = blur(centred, sigma);
    const out = add(blurred, black);
    blurred.dispose();
    return out;
  } finally {
    [black, centred].forEach((t) => t.dispose());
  }
}

function tile(engine: Engine, one: Tensor, x: Tensor): Tensor {
  const out = Tensor.empty(engine, x.shape, 'baseline');
  for (let i = 0; i < x.shape[0]!; i++) engine.copy(one.buffer, 0, out.buffer, i * one.byteLength, one.byteLength);
  return out;
}
