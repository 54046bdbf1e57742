/**
 * TF.js's own CPU backend as the reference for imported TF.js graph models: `loadGraphModel`
 * from in-memory files (a custom IOHandler), logits from `GraphModel.execute` and input gradients
 * through it with `tf.grad`. tfjs-core's Node build registers no gradients and its
 * `register_all_gradients` module is ESM with extensionless imports Node cannot resolve, so it is
 * bundled with esbuild and run once; its gradients land in tfjs's global registry (tfjs keeps
 * its engine and registries on the global object so that several copies share them).
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { buildSync } from 'esbuild';
import type { TfjsModelJson } from '../../src/models/tfjs/format.js';

const require = createRequire(import.meta.url);
let gradientsRegistered = false;

export async function tfjsCpu(): Promise<typeof tf> {
  if (!gradientsRegistered) {
    const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    const code = buildSync({
      entryPoints: [entry],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      write: false,
      logLevel: 'silent',
    }).outputFiles[0]!.text;
    new Function('require', 'module', 'exports', code)(require, { exports: {} }, {});
    gradientsRegistered = true;
  }
  await tf.setBackend('cpu');
  return tf;
}

/** A GraphModel from a model.json object and its concatenated weight bytes. */
export async function tfjsGraphModel(json: TfjsModelJson, weights: Uint8Array): Promise<GraphModel> {
  await tfjsCpu();
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
      weightData,
      format: json.format,
    }),
  });
}

/** NCHW values → NHWC (the layout TF.js models take), and back. */
export function nchwToNhwc(x: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++)
    for (let k = 0; k < c!; k++)
      for (let p = 0; p < h! * w!; p++) out[(b * h! * w! + p) * c! + k] = x[(b * c! + k) * h! * w! + p]!;
  return out;
}

export function nhwcToNchw(x: Float32Array, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++)
    for (let k = 0; k < c!; k++)
      for (let p = 0; p < h! * w!; p++) out[(b * c! + k) * h! * w! + p] = x[(b * h! * w! + p) * c! + k]!;
  return out;
}

/**
 * The model's `output` values for `x` (given in TF's layout, shape `tfShape`) and, when
 * `targets` are given, the gradient of Σ_b output[b, targets[b]] w.r.t. x (TF's layout).
 */
export async function tfjsReference(
  model: GraphModel,
  x: Float32Array,
  tfShape: number[],
  output: string,
  targets?: number[],
): Promise<{ logits: Float32Array; grad?: Float32Array }> {
  const t = await tfjsCpu();
  const input = t.tensor(x, tfShape);
  const run = (z: tf.Tensor) => model.execute(z, output) as tf.Tensor;
  const out = run(input);
  const logits = (await out.data()) as Float32Array;
  let grad: Float32Array | undefined;
  if (targets) {
    const classes = out.shape[1]!;
    const seed = new Float32Array(targets.length * classes);
    targets.forEach((c, b) => (seed[b * classes + c] = 1));
    const onehot = t.tensor(seed, out.shape);
    const g = t.grad((z: tf.Tensor) => t.sum(t.mul(run(z), onehot)))(input);
    grad = (await g.data()) as Float32Array;
    t.dispose([g, onehot]);
  }
  t.dispose([input, out]);
  return { logits, grad };
}

/**
 * The same graph with every fused op (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul)
 * split into its plain op, BiasAdd and activation nodes, TF's definition of the fused op. Its
 * gradient is far cheaper on the CPU backend: the fused ops' custom gradient always computes the
 * filter gradient too, the plain ops only what `tf.grad` asks for.
 */
export function unfused(json: TfjsModelJson): TfjsModelJson {
  const plain: Record<string, string> = {
    _FusedConv2D: 'Conv2D',
    FusedDepthwiseConv2dNative: 'DepthwiseConv2dNative',
    _FusedMatMul: 'MatMul',
  };
  const node = json.modelTopology.node.flatMap((n) => {
    if (!(n.op in plain)) return [n];
    const ops = (n.attr?.fused_ops?.list?.s ?? []).map((s) => atob(s));
    const { fused_ops: _f, num_args: _n, epsilon: _e, leakyrelu_alpha: alpha, ...attr } = n.attr ?? {};
    const [x, w, bias, extra] = n.input!;
    const out = [{ name: `${n.name}/op`, op: plain[n.op]!, input: [x!, w!], attr }];
    for (const op of ops) {
      const prev = out[out.length - 1]!.name;
      const input = op === 'BiasAdd' ? [prev, bias!] : op === 'Prelu' ? [prev, extra!] : [prev];
      out.push({
        name: `${n.name}/${op}`,
        op,
        input,
        attr: op === 'LeakyRelu' ? { alpha: { f: alpha?.f ?? 0.2 } } : { T: { type: 'DT_FLOAT' } },
      } as never);
    }
    out[out.length - 1]!.name = n.name;
    return out;
  });
  return { ...json, modelTopology: { ...json.modelTopology, node } };
}

/**
 * Central finite differences of Σ_b output[b, targets[b]] through TF.js's forward, in TF's
 * layout: the reference gradient where TF.js has none (dilated convolutions) or a wrong one (its
 * CPU AvgPool gradient divides by the whole window, also where SAME's padding is excluded). Exact
 * up to float32 rounding on piecewise-linear graphs away from kinks.
 */
export async function tfjsFiniteDifferences(
  model: GraphModel,
  x: Float32Array,
  tfShape: number[],
  output: string,
  targets: number[],
  eps = 1e-3,
): Promise<Float32Array> {
  const n = tfShape[0]!;
  const size = x.length / n;
  const rows = new Float32Array(2 * x.length * size);
  // row (b, i, ±): image b with coordinate i moved by ±eps
  for (let b = 0; b < n; b++)
    for (let i = 0; i < size; i++)
      for (let s = 0; s < 2; s++) {
        const r = ((b * size + i) * 2 + s) * size;
        rows.set(x.subarray(b * size, (b + 1) * size), r);
        rows[r + i]! += s === 0 ? eps : -eps;
      }
  const { logits } = await tfjsReference(model, rows, [2 * x.length, ...tfShape.slice(1)], output);
  const classes = logits.length / (2 * x.length);
  const grad = new Float32Array(x.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < size; i++) {
      const r = (b * size + i) * 2;
      grad[b * size + i] = (logits[r * classes + targets[b]!]! - logits[(r + 1) * classes + targets[b]!]!) / (2 * eps);
    }
  return grad;
}
