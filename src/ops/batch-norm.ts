/**
 * Batch norm: y = (x − μ)/√(σ² + ε)·γ + β per channel, optionally fused with ReLU, with its input
 * and parameter gradients. Inference mode uses the running statistics; training mode
 * (`batchStatistics` + `batchNorm` with the batch's μ, σ², then `batchNormBackwardTraining`)
 * normalises by the batch's own statistics, updates the running ones, and backpropagates through
 * them. `foldBatchNorm` removes an inference BN from a conv at load.
 * Input is NCHW ([N, C, H, W]) or [N, C] (after a linear layer).
 */
import source from '../../shaders/batch_norm.wgsl';
import { checkShape, fail, shapeStr } from '../gpu/errors.js';
import { f32, renderShader } from '../gpu/wgsl.js';
import { Tensor, sizeOf } from '../tensor/tensor.js';
import { laneTypes, lanesFor } from './pool2d.js';

export interface BatchNormParams {
  gamma: Tensor;
  beta: Tensor;
  mean: Tensor;
  variance: Tensor;
  eps: number;
}

export interface BatchNormArrays {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  eps: number;
}

const WG = 64;
type Mode = 'FORWARD' | 'BACKWARD_INPUT' | 'BACKWARD_PARAMS' | 'STATS' | 'BACKWARD_TRAIN';

/** PyTorch's default running-statistics momentum. */
export const BN_MOMENTUM = 0.1;

/** [N, C, H·W] of an NCHW or [N, C] shape, after checking the rank and the parameters' channel count. */
function layout(op: string, shape: readonly number[], bn: BatchNormParams): { n: number; c: number; hw: number } {
  if (shape.length !== 4 && shape.length !== 2) fail(`${op}: input must have rank 4 (NCHW) or 2 ([N, C]), got shape ${shapeStr(shape)}`);
  const [n, c] = shape as [number, number];
  for (const name of ['gamma', 'beta', 'mean', 'variance'] as const) {
    const p = bn[name];
    if (p.shape.length !== 1 || p.shape[0] !== c) fail(`${op}: ${name} has shape ${shapeStr(p.shape)}, expected [${c}] (the input's channels)`);
  }
  if (!(Number.isFinite(bn.eps) && bn.eps >= 0)) fail(`${op}: eps must be a finite number >= 0, got ${bn.eps}`);
  return { n, c, hw: sizeOf(shape.slice(2)) };
}

function kernelFor(engine: Tensor['engine'], op: string, mode: Mode, l: { n: number; c: number; hw: number }, eps: number, relu: boolean, momentum: number | null = null) {
  const v = lanesFor(l.hw);
  const lanes = laneTypes(v);
  const threads = (l.n * l.c * l.hw) / v;
  const hsum = v === 4 ? '(v.x + v.y) + (v.z + v.w)' : v === 2 ? 'v.x + v.y' : 'v';
  const m = l.n * l.hw;
  const kernel = engine.kernel(op, `${l.n},${l.c},${l.hw},${eps},${relu},${momentum}`, () =>
    renderShader(source, {
      FORWARD: mode === 'FORWARD',
      BACKWARD_INPUT: mode === 'BACKWARD_INPUT',
      BACKWARD_PARAMS: mode === 'BACKWARD_PARAMS',
      STATS: mode === 'STATS',
      BACKWARD_TRAIN: mode === 'BACKWARD_TRAIN',
      REDUCE: mode === 'BACKWARD_PARAMS' || mode === 'STATS',
      UPDATE_RUNNING: momentum !== null,
      MOMENTUM: f32(momentum ?? 0),
      UNBIAS: f32(m > 1 ? m / (m - 1) : 1),
      M: f32(m),
      RELU: relu,
      T: lanes.T,
      HSUM: hsum,
      N: l.n,
      C: l.c,
      HW_V: l.hw / v,
      EPS: f32(eps),
      THREADS: threads,
      WG,
    }),
  );
  return { kernel, threads };
}

export function batchNorm(x: Tensor, bn: BatchNormParams, opts: { relu?: boolean } = {}): Tensor {
  const l = layout('batchNorm', x.shape, bn);
  const relu = !!opts.relu;
  const { kernel, threads } = kernelFor(x.engine, 'batchNorm', 'FORWARD', l, bn.eps, relu);
  const y = Tensor.empty(x.engine, x.shape, relu ? 'batchNorm+relu' : 'batchNorm');
  x.engine.dispatch(kernel, [x.buffer, bn.gamma.buffer, bn.beta.buffer, bn.mean.buffer, bn.variance.buffer, y.buffer], x.engine.grid1d(threads, WG));
  return y;
}

/** dx = dy·γ/√(σ² + ε), zeroed where the fused ReLU's output `reluOutput` is not positive. */
export function batchNormBackwardInput(dy: Tensor, bn: BatchNormParams, reluOutput?: Tensor): Tensor {
  const op = 'batchNormBackwardInput';
  const l = layout(op, dy.shape, bn);
  if (reluOutput) checkShape(op, 'reluOutput', reluOutput.shape, dy.shape);
  const { kernel, threads } = kernelFor(dy.engine, op, 'BACKWARD_INPUT', l, bn.eps, !!reluOutput);
  const dx = Tensor.empty(dy.engine, dy.shape, op);
  const bindings = [dy.buffer, bn.gamma.buffer, bn.variance.buffer, dx.buffer];
  if (reluOutput) bindings.push(reluOutput.buffer);
  dy.engine.dispatch(kernel, bindings, dy.engine.grid1d(threads, WG));
  return dx;
}

/**
 * dγ = Σ dy·(x − μ)/√(σ² + ε), dβ = Σ dy over N, H, W (pass dy already masked by a fused ReLU).
 * One workgroup per channel with a fixed-order reduction: deterministic.
 */
export function batchNormBackwardParams(x: Tensor, dy: Tensor, bn: BatchNormParams): { dgamma: Tensor; dbeta: Tensor } {
  const op = 'batchNormBackwardParams';
  const l = layout(op, x.shape, bn);
  checkShape(op, 'dy', dy.shape, x.shape);
  const { kernel } = kernelFor(x.engine, op, 'BACKWARD_PARAMS', l, bn.eps, false);
  const dgamma = Tensor.empty(x.engine, [l.c], 'dgamma');
  const dbeta = Tensor.empty(x.engine, [l.c], 'dbeta');
  x.engine.dispatch(kernel, [x.buffer, dy.buffer, bn.mean.buffer, bn.variance.buffer, dgamma.buffer, dbeta.buffer], x.engine.grid1d(l.c * WG, WG));
  return { dgamma, dbeta };
}

export interface BatchStatistics {
  /** per-channel batch mean [C] */
  mean: Tensor;
  /** per-channel biased batch variance [C] (what normalisation uses) */
  variance: Tensor;
}

/**
 * Training mode, forward: the batch mean and biased variance of each channel over N, H, W; with
 * `running`, also running ← (1 − momentum)·running + momentum·batch (unbiased variance, as PyTorch).
 * Normalise with `batchNorm(x, { ...bn, ...stats })`.
 */
export function batchStatistics(x: Tensor, opts: { running?: { mean: Tensor; variance: Tensor }; momentum?: number } = {}): BatchStatistics {
  const op = 'batchStatistics';
  const c = x.shape[1] ?? 0;
  const stats: BatchStatistics = { mean: Tensor.empty(x.engine, [c], 'batch mean'), variance: Tensor.empty(x.engine, [c], 'batch variance') };
  try {
    // layout() checks x's rank and the running statistics' channel count
    const l = layout(op, x.shape, { gamma: stats.mean, beta: stats.mean, mean: opts.running?.mean ?? stats.mean, variance: opts.running?.variance ?? stats.variance, eps: 0 });
    const momentum = opts.running ? (opts.momentum ?? BN_MOMENTUM) : null;
    if (momentum !== null && !(momentum >= 0 && momentum <= 1)) fail(`${op}: momentum must be in [0, 1], got ${momentum}`);
    const { kernel } = kernelFor(x.engine, op, 'STATS', l, 0, false, momentum);
    const bindings = [x.buffer, stats.mean.buffer, stats.variance.buffer];
    if (opts.running) bindings.push(opts.running.mean.buffer, opts.running.variance.buffer);
    x.engine.dispatch(kernel, bindings, x.engine.grid1d(l.c * WG, WG));
    return stats;
  } catch (e) {
    stats.mean.dispose();
    stats.variance.dispose();
    throw e;
  }
}

/**
 * Training mode, backward: dx through the batch statistics `bn.mean`, `bn.variance` (as given to
 * the forward), and dγ, dβ. `dy` is already masked by a fused ReLU.
 *   dx = γ/√(σ² + ε)·(dy − dβ/M − x̂·dγ/M),  dγ = Σ dy·x̂,  dβ = Σ dy,  M = N·H·W.
 */
export function batchNormBackwardTraining(x: Tensor, dy: Tensor, bn: BatchNormParams): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const op = 'batchNormBackwardTraining';
  const l = layout(op, x.shape, bn);
  checkShape(op, 'dy', dy.shape, x.shape);
  const { dgamma, dbeta } = batchNormBackwardParams(x, dy, bn);
  const { kernel, threads } = kernelFor(x.engine, op, 'BACKWARD_TRAIN', l, bn.eps, false);
  const dx = Tensor.empty(x.engine, x.shape, op);
  x.engine.dispatch(kernel, [dy.buffer, x.buffer, bn.gamma.buffer, bn.mean.buffer, bn.variance.buffer, dgamma.buffer, dbeta.buffer, dx.buffer], x.engine.grid1d(threads, WG));
  return { dx, dgamma, dbeta };
}

/**
 * Fold inference BN into the preceding conv (or linear) layer, in float64:
 * W'[o] = W[o]·γ[o]/√(σ²[o] + ε), b'[o] = (b[o] − μ[o])·γ[o]/√(σ²[o] + ε) + β[o].
 * `wShape[0]` is the output-channel count ([Cout, Cin/groups, KH, KW] or [Cout, Cin]).
 */
export function foldBatchNorm(weight: Float32Array, bias: Float32Array | null, wShape: readonly number[], bn: BatchNormArrays): { weight: Float32Array; bias: Float32Array } {
  const op = 'foldBatchNorm';
  if (wShape.length < 1 || wShape.some((d) => !Number.isInteger(d) || d < 1)) fail(`${op}: weight shape ${shapeStr(wShape)} must be a list of positive integers`);
  const cout = wShape[0]!;
  const perChannel = sizeOf(wShape) / cout;
  if (weight.length !== cout * perChannel) fail(`${op}: weight has ${weight.length} values, shape ${shapeStr(wShape)} needs ${cout * perChannel}`);
  if (bias && bias.length !== cout) fail(`${op}: bias has ${bias.length} values, expected ${cout} (the weight's output channels)`);
  for (const name of ['gamma', 'beta', 'mean', 'variance'] as const) {
    if (bn[name].length !== cout) fail(`${op}: ${name} has ${bn[name].length} values, expected ${cout} (the weight's output channels)`);
  }
  if (!(Number.isFinite(bn.eps) && bn.eps >= 0)) fail(`${op}: eps must be a finite number >= 0, got ${bn.eps}`);
  const outW = new Float32Array(weight.length);
  const outB = new Float32Array(cout);
  for (let o = 0; o < cout; o++) {
    const denom = bn.variance[o]! + bn.eps;
    if (!(denom > 0)) fail(`${op}: variance + eps of channel ${o} is ${denom}, must be > 0`);
    const scale = bn.gamma[o]! / Math.sqrt(denom);
    for (let k = o * perChannel; k < (o + 1) * perChannel; k++) outW[k] = weight[k]! * scale;
    outB[o] = ((bias ? bias[o]! : 0) - bn.mean[o]!) * scale + bn.beta[o]!;
  }
  return { weight: outW, bias: outB };
}
