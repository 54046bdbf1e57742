/**
 * A pathlight ModelSpec (after fuseModel) as a TF.js function: the same nodes in the same order,
 * NHWC activations. Weights are transposed to TF.js layouts once; a linear layer after a flatten
 * gets its input rows permuted (C·H·W → H·W·C order) instead of transposing activations. Used by
 * the bench's TF.js peer and by the tests that explain a TF.js model through gpuFunction.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec, ParamValue } from '../src/models/fuse.js';
import { intPads, intPair } from '../src/errors.js';
import { imageInputShape } from '../src/nn/model.js';

export interface TfNet {
  /** [B, H, W, C] → logits [B, classes] */
  predict(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** torch conv weight [Cout, Cin/g, KH, KW] → TF [KH, KW, Cin, Cout] (or [KH, KW, Cin, mult] for a depthwise conv). */
function convFilter(w: ParamValue, depthwise: boolean): tf.Tensor4D {
  const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
  if (!depthwise) return tf.tidy(() => tf.transpose(tf.tensor4d(w.data, [cout, cinG, kh, kw]), [2, 3, 1, 0]));
  // torch out channel o = c·mult + m reads input channel c
  return tf.tidy(
    () =>
      tf.reshape(tf.transpose(tf.tensor4d(w.data, [cout, 1, kh, kw]), [2, 3, 0, 1]), [kh, kw, cout, 1]) as tf.Tensor4D,
  );
}

/** torch linear weight [out, in] → TF [in, out]; `chw` = the NCHW shape flattened into `in` (rows permuted to H·W·C order). */
function linearWeight(w: ParamValue, chw: [number, number, number] | null): tf.Tensor2D {
  const [out, inF] = w.shape as [number, number];
  return tf.tidy(() => {
    if (!chw) return tf.transpose(tf.tensor2d(w.data, [out, inF]));
    const [c, h, wd] = chw;
    return tf.reshape(tf.transpose(tf.tensor4d(w.data, [out, c, h, wd]), [2, 3, 1, 0]), [
      h * wd * c,
      out,
    ]) as tf.Tensor2D;
  });
}

/** The spec's graph as a TF.js function (NHWC activations; same nodes, same order). */
export function tfModelFromSpec(spec: ModelSpec): TfNet {
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);
  const param = (name: string) => {
    const p = spec.params.get(name);
    if (!p) throw new Error(`TF.js peer: parameter ${name} is missing`);
    return p;
  };
  const vec = (name: string | undefined) => (name ? keep(tf.tensor1d(param(name).data)) : null);
  const steps: ((vals: tf.Tensor[]) => tf.Tensor)[] = [];
  // NHWC [H, W, C] of 4-D node outputs, to know what a flatten reads
  const shapes: (number[] | null)[] = [];
  const flattenedFrom = new Map<number, [number, number, number]>();
  const [c0, h0, w0] = imageInputShape(spec.info, 'the TF.js peer');
  spec.nodes.forEach((node, i) => {
    const relu = (t: tf.Tensor) => ('relu' in node && node.relu ? tf.relu(t) : t);
    switch (node.kind) {
      case 'input':
        shapes.push([h0, w0, c0]);
        steps.push((v) => v[0]!);
        return;
      case 'conv2d': {
        const w = param(node.weight);
        const groups = node.params.groups ?? 1;
        const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
        const cin = cinG * groups;
        const depthwise = groups > 1;
        if (depthwise && groups !== cin)
          throw new Error(`TF.js peer: grouped conv ${node.name} (groups ${groups} of ${cin}) is not depthwise`);
        const filter = keep(convFilter(w, depthwise));
        const bias = vec(node.bias);
        const [sh, sw] = intPair(node.name, 'stride', node.params.stride, [1, 1], 1);
        const [ph, pw, pb, pr] = intPads(node.name, node.params.padding);
        const [dh, dw] = intPair(node.name, 'dilation', node.params.dilation, [1, 1], 1);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [ph, pb],
          [pw, pr],
          [0, 0],
        ];
        const [hi, wi] = shapes[node.input]!;
        shapes.push([
          Math.floor((hi! + ph + pb - dh * (kh - 1) - 1) / sh) + 1,
          Math.floor((wi! + pw + pr - dw * (kw - 1) - 1) / sw) + 1,
          cout,
        ]);
        const residual = node.residual;
        steps.push((v) => {
          const x = v[node.input] as tf.Tensor4D;
          let y: tf.Tensor = depthwise
            ? tf.depthwiseConv2d(x, filter, [sh, sw], pad, 'NHWC', [dh, dw])
            : tf.conv2d(x, filter, [sh, sw], pad, 'NHWC', [dh, dw]);
          if (bias) y = tf.add(y, bias);
          if (residual !== undefined) y = tf.add(y, v[residual]!);
          return relu(y);
        });
        return;
      }
      case 'linear': {
        const w = linearWeight(param(node.weight), flattenedFrom.get(node.input) ?? null);
        keep(w);
        const bias = vec(node.bias);
        shapes.push(null);
        steps.push((v) => {
          let y: tf.Tensor = tf.matMul(v[node.input] as tf.Tensor2D, w);
          if (bias) y = tf.add(y, bias);
          return relu(y);
        });
        return;
      }
      case 'flatten': {
        const s = shapes[node.input];
        if (s) flattenedFrom.set(i, [s[2]!, s[0]!, s[1]!]);
        shapes.push(null);
        steps.push((v) => tf.reshape(v[node.input]!, [v[node.input]!.shape[0]!, -1]));
        return;
      }
      case 'maxpool':
      case 'avgpool': {
        const [kh, kw] = intPair(node.name, 'kernel', node.params.kernel, [1, 1], 1);
        const [sh, sw] = intPair(node.name, 'stride', node.params.stride, [kh, kw], 1);
        if (
          intPads(node.name, node.params.padding).some((d) => d > 0) ||
          node.params.ceilMode ||
          intPair(node.name, 'dilation', node.params.dilation, [1, 1], 1).some((d) => d > 1)
        ) {
          throw new Error(`TF.js peer: padded, ceil-mode or dilated pooling (${node.name}) is not mapped`);
        }
        const [hi, wi, c] = shapes[node.input]!;
        shapes.push([Math.floor((hi! - kh) / sh) + 1, Math.floor((wi! - kw) / sw) + 1, c!]);
        const pool = node.kind === 'maxpool' ? tf.maxPool : tf.avgPool;
        steps.push((v) => pool(v[node.input] as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'));
        return;
      }
      case 'gap':
        shapes.push(null);
        steps.push((v) => tf.mean(v[node.input]!, [1, 2]));
        return;
      case 'batchnorm': {
        const [g, b, m, s] = ['weight', 'bias', 'running_mean', 'running_var'].map((k) => vec(`${node.prefix}.${k}`)!);
        shapes.push(shapes[node.input]!);
        steps.push((v) => relu(tf.batchNorm(v[node.input]!, m!, s!, b!, g!, node.eps)));
        return;
      }
      case 'add':
        shapes.push(shapes[node.a]!);
        steps.push((v) => relu(tf.add(v[node.a]!, v[node.b]!)));
        return;
      case 'relu':
        shapes.push(shapes[node.input]!);
        steps.push((v) => tf.relu(v[node.input]!));
        return;
      case 'softmax':
        shapes.push(null);
        steps.push((v) => tf.softmax(v[node.input]!));
        return;
    }
  });
  return {
    predict(x) {
      const vals: tf.Tensor[] = [x];
      for (let i = 1; i < steps.length; i++) vals.push(steps[i]!(vals));
      return vals[vals.length - 1] as tf.Tensor2D;
    },
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}
