/** TF.js layers with weights and windows: Conv2D / DepthwiseConv2dNative (and their fused forms), MatMul / _FusedMatMul, FusedBatchNorm(V3), MaxPool / AvgPool. */
import { attr, type TfjsNode } from '../format.js';
import type { TfjsImportState, TfjsOp, Value } from '../state.js';
import { ACTIVATIONS, activation, prelu } from './elementwise.js';

function conv(s: TfjsImportState, n: TfjsNode, where: string): Value {
  s.checkNhwc(n, where);
  const depthwise = n.op.includes('Depthwise');
  const x = s.nchw(s.input(n, 0, where), where);
  const [inC, h, w] = s.shape(x) as [number, number, number];
  const f = s.constant(n, 1, where);
  if (f.shape.length !== 4) s.fail(`${where}: filter has shape [${f.shape.join(', ')}], expected [KH, KW, Cin, Cout]`);
  const [kh, kw, fc, m] = f.shape as [number, number, number, number];
  // TF.js runs no grouped convolutions: a Conv2D filter spans every input channel
  if (fc !== inC) s.fail(`${where}: a filter for ${fc} input channels on an input with ${inC}`);
  const groups = depthwise ? inC : 1;
  const outC = depthwise ? inC * m : m;
  const stride = s.spatial(n, 'strides', where);
  const dilation = s.spatial(n, 'dilations', where);
  const padding = s.padding(n, [h, w], [kh, kw], stride, dilation, where);
  // HWIO → OIHW; depthwise [KH, KW, C, M] → [C·M, 1, KH, KW] (out channel c·M + k): the same index map with O = c·M + k
  const weight = new Float32Array(f.data.length);
  const perGroup = depthwise ? 1 : fc;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let c = 0; c < fc; c++)
        for (let o = 0; o < m; o++) {
          const [oc, ic] = depthwise ? [c * m + o, 0] : [o, c];
          weight[((oc * perGroup + ic) * kh + i) * kw + j] = f.data[((i * kw + j) * fc + c) * m + o]!;
        }
  const { bias, after } = fused(s, n, outC, where);
  const idx = s.g.conv2d(n.name, x, inC, outC, [kh, kw], {
    stride,
    padding,
    dilation,
    groups,
    bias: !!bias,
    relu: after === 'relu',
  });
  s.params.set(`${n.name}.weight`, { shape: [outC, perGroup, kh, kw], data: weight });
  if (bias) s.params.set(`${n.name}.bias`, { shape: [outC], data: bias });
  return fusedActivation(s, n, { node: idx, nchw: true }, after, where);
}

function matmul(s: TfjsImportState, n: TfjsNode, where: string): Value {
  if (attr.bool(n, 'transpose_a', false)) s.fail(`${where}: transpose_a is not supported`);
  const a = s.input(n, 0, where);
  const b = s.constant(n, 1, where, 'a constant weight (activation × activation is not supported)');
  if (b.shape.length !== 2) s.fail(`${where}: weight has shape [${b.shape.join(', ')}], expected 2-D`);
  const tb = attr.bool(n, 'transpose_b', false);
  const [inF, outF] = (tb ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
  // pathlight's linear weight is [out, in]; a pending HWC flatten reads its rows in CHW order
  const hwc = a.hwc;
  const x = hwc ? s.g.flatten(`${n.name}/flatten`, a.node) : s.features(a);
  const row = (k: number): number => {
    if (!hwc) return k;
    const [c, h, w] = hwc;
    const ch = Math.floor(k / (h * w)),
      p = k % (h * w);
    return p * c + ch; // CHW index k → the HWC index TF flattened it to
  };
  const have = s.shape(x)[0];
  if (s.shape(x).length !== 1 || have !== inF)
    s.fail(`${where}: multiplies [N, ${s.shape(x).join(', ')}] by a [${inF}, ${outF}] weight`);
  const weight = new Float32Array(inF * outF);
  for (let o = 0; o < outF; o++)
    for (let k = 0; k < inF; k++) weight[o * inF + k] = b.data[tb ? o * inF + row(k) : row(k) * outF + o]!;
  const { bias, after } = fused(s, n, outF, where);
  const idx = s.g.linear(n.name, x, inF, outF, { bias: !!bias, relu: after === 'relu' });
  s.params.set(`${n.name}.weight`, { shape: [outF, inF], data: weight });
  if (bias) s.params.set(`${n.name}.bias`, { shape: [outF], data: bias });
  return fusedActivation(s, n, { node: idx, nchw: false }, after, where);
}

/** A fused op's bias (its first extra input) and activation. */
function fused(
  s: TfjsImportState,
  n: TfjsNode,
  channels: number,
  where: string,
): { bias: Float32Array | null; after: string | null } {
  if (!n.op.startsWith('_Fused') && !n.op.startsWith('Fused')) return { bias: null, after: null };
  const ops = attr.strings(n, 'fused_ops');
  const known = ['BiasAdd', 'Relu', 'Relu6', 'Prelu', 'LeakyRelu', 'Elu', 'Sigmoid', 'Tanh'];
  const bad = ops.find((o, k) => !known.includes(o) || (o === 'BiasAdd') !== (k === 0));
  if (bad || ops.length > 2 || ops.length === 0)
    s.fail(
      `${where}: fused_ops [${ops.join(', ')}] are not supported (BiasAdd, then optionally one of ${known.slice(1).join(', ')})`,
    );
  let bias: Float32Array | null = null;
  if (ops[0] === 'BiasAdd') {
    bias = s.constant(n, 2, where).data;
    if (bias.length !== channels) s.fail(`${where}: bias has ${bias.length} values for ${channels} channels`);
  }
  return { bias, after: ops[ops.length - 1] === 'BiasAdd' ? null : ops[ops.length - 1]!.toLowerCase() };
}

function fusedActivation(s: TfjsImportState, n: TfjsNode, v: Value, after: string | null, where: string): Value {
  if (after === null || after === 'relu') return v;
  if (after === 'prelu') return prelu(s, `${n.name}/prelu`, v, s.constant(n, 3, where));
  const op =
    after === 'leakyrelu'
      ? { fn: 'leakyrelu' as const, alpha: attr.float(n, 'leakyrelu_alpha', 0.2) }
      : ACTIVATIONS[{ relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', tanh: 'Tanh' }[after]!]!;
  return activation(s, `${n.name}/${after}`, v, op);
}

function batchNorm(s: TfjsImportState, n: TfjsNode, where: string): Value {
  s.checkNhwc(n, where);
  if (attr.bool(n, 'is_training', false)) s.fail(`${where}: is_training=true; export the model for inference`);
  const x = s.nchw(s.input(n, 0, where), where);
  const c = s.shape(x)[0]!;
  const idx = s.g.batchNorm(n.name, x, c, { eps: attr.float(n, 'epsilon', 1e-4) });
  ['weight', 'bias', 'running_mean', 'running_var'].forEach((key, k) => {
    const t = s.constant(n, k + 1, where);
    if (t.data.length !== c) s.fail(`${where}: ${key} has ${t.data.length} values for ${c} channels`);
    s.params.set(`${n.name}.${key}`, { shape: [c], data: t.data });
  });
  return { node: idx, nchw: true };
}

function pool(s: TfjsImportState, n: TfjsNode, where: string): Value {
  s.checkNhwc(n, where);
  const x = s.nchw(s.input(n, 0, where), where);
  const [, h, w] = s.shape(x) as [number, number, number];
  const kernel = s.spatial(n, 'ksize', where);
  const stride = s.spatial(n, 'strides', where);
  const padding = s.padding(n, [h, w], kernel, stride, [1, 1], where);
  // TF's average divides by the taps inside the input (SAME's padding is not counted)
  const idx =
    n.op === 'MaxPool'
      ? s.g.maxPool(n.name, x, { kernel, stride, padding })
      : s.g.avgPool(n.name, x, { kernel, stride, padding, countIncludePad: false });
  return { node: idx, nchw: true };
}

export const LAYER_OPS: Record<string, TfjsOp> = {
  Conv2D: { build: conv },
  _FusedConv2D: { build: conv },
  DepthwiseConv2dNative: { build: conv },
  FusedDepthwiseConv2dNative: { build: conv },
  MatMul: { build: matmul },
  _FusedMatMul: { build: matmul },
  FusedBatchNorm: { build: batchNorm },
  FusedBatchNormV3: { build: batchNorm },
  MaxPool: { build: pool },
  AvgPool: { build: pool },
};
