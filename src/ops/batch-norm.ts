/**
 * Batch norm: y = (x − μ)/√(σ² + ε)·γ + β per channel, optionally fused with ReLU, with its input
 * and parameter gradients. Inference mode uses the running statistics; training mode
 * (`batchStatistics` + `batchNorm` with the batch's μ, σ², then `batchNormBackwardTraining`)
 * normalises by the batch's own statistics, updates the running ones, and backpropagates through
 * them. `foldBatchNorm` removes an inference BN from a conv at load.
 * Input is NCHW ([N, C, H, W]) or [N, C] (after a linear layer).
 */
import source from '../../shaders/batch_norm.wgsl';
import { checkShape, fail, shapeStr } from '../errors.js';
import { uniformBytes, WG } from '../gpu/program.js';
import { Tensor, sizeOf } from '../tensor/tensor.js';
import { laneTypes, lanesFor } from './pool2d.js';

/** Per-channel parameters and running statistics: GPU tensors, or host arrays (`foldBatchNorm`). */
export interface BatchNormParams<T = Tensor> {
  gamma: T;
  beta: T;
  mean: T;
  variance: T;
  eps: number;
}

export type BatchNormArrays = BatchNormParams<Float32Array>;

const MODES = ['FORWARD', 'BACKWARD_INPUT', 'BACKWARD_PARAMS', 'STATS', 'BACKWARD_TRAIN'] as const;
type Mode = (typeof MODES)[number];

/** PyTorch's default running-statistics momentum. */
export const BN_MOMENTUM = 0.1;

/** [N, C, H·W] of an NCHW or [N, C] shape, after checking the rank and the parameters' channel count. */
function layout(op: string, shape: readonly number[], bn: BatchNormParams): { n: number; c: number; hw: number } {
  if (shape.length !== 4 && shape.length !== 2)
    fail(`${op}: input must have rank 4 (NCHW) or 2 ([N, C]), got shape ${shapeStr(shape)}`);
  const [n, c] = shape as [number, number];
  for (const name of ['gamma', 'beta', 'mean', 'variance'] as const) {
    const p = bn[name];
    if (p.shape.length !== 1 || p.shape[0] !== c)
      fail(`${op}: ${name} has shape ${shapeStr(p.shape)}, expected [${c}] (the input's channels)`);
  }
  if (!(Number.isFinite(bn.eps) && bn.eps >= 0)) fail(`${op}: eps must be a finite number >= 0, got ${bn.eps}`);
  return { n, c, hw: sizeOf(shape.slice(2)) };
}

/**
 * Launch one mode over [N, C, HW] (reducing modes: a workgroup per channel). Only the mode, the
 * lane width and the ReLU flag are compiled in; sizes, eps and momentum are uniforms.
 */
function runMode(
  op: string,
  mode: Mode,
  l: { n: number; c: number; hw: number },
  tensors: Record<string, Tensor | undefined>,
  f: { eps: number; relu?: boolean; momentum?: number | null; apply?: boolean },
): void {
  const engine = Object.values(tensors)[0]!.engine;
  const v = lanesFor(l.hw);
  const threads = (l.n * l.c * l.hw) / v;
  const m = l.n * l.hw;
  const momentum = f.momentum ?? null;
  const params = {
    ...Object.fromEntries(MODES.map((m) => [m, m === mode])),
    REDUCE: mode === 'BACKWARD_PARAMS' || mode === 'STATS' || mode === 'BACKWARD_TRAIN',
    PARAM_SUMS: mode === 'BACKWARD_PARAMS' || mode === 'BACKWARD_TRAIN',
    UPDATE_RUNNING: momentum !== null,
    APPLY: !!f.apply,
    RELU: !!f.relu,
    T: laneTypes(v).T,
    HSUM: v === 4 ? '(v.x + v.y) + (v.z + v.w)' : v === 2 ? 'v.x + v.y' : 'v',
  };
  const sizes = uniformBytes([
    ['u32', l.n],
    ['u32', l.c],
    ['u32', l.hw / v],
    ['u32', threads],
    ['f32', f.eps],
    ['f32', m],
    ['f32', momentum ?? 0],
    ['f32', m > 1 ? m / (m - 1) : 1],
  ]);
  const grid = params.REDUCE ? engine.grid1d(l.c * WG, WG) : engine.grid1d(threads, WG);
  engine.run({ op, source, params, bindings: { ...tensors, sizes }, grid });
}

export function batchNorm(x: Tensor, bn: BatchNormParams, opts: { relu?: boolean } = {}): Tensor {
  const l = layout('batchNorm', x.shape, bn);
  const relu = !!opts.relu;
  const y = Tensor.empty(x.engine, x.shape, relu ? 'batchNorm+relu' : 'batchNorm');
  runMode(
    'batchNorm',
    'FORWARD',
    l,
    { x, gamma: bn.gamma, beta: bn.beta, mean: bn.mean, variance: bn.variance, y },
    { eps: bn.eps, relu },
  );
  return y;
}

/** dx = dy·γ/√(σ² + ε), zeroed where the fused ReLU's output `reluOutput` is not positive. */
export function batchNormBackwardInput(dy: Tensor, bn: BatchNormParams, reluOutput?: Tensor): Tensor {
  const op = 'batchNormBackwardInput';
  const l = layout(op, dy.shape, bn);
  if (reluOutput) checkShape(op, 'reluOutput', reluOutput.shape, dy.shape);
  const dx = Tensor.empty(dy.engine, dy.shape, op);
  runMode(
    op,
    'BACKWARD_INPUT',
    l,
    { dy, gamma: bn.gamma, variance: bn.variance, dx, reluOutput },
    { eps: bn.eps, relu: !!reluOutput },
  );
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
  const dgamma = Tensor.empty(x.engine, [l.c], 'dgamma');
  const dbeta = Tensor.empty(x.engine, [l.c], 'dbeta');
  runMode(op, 'BACKWARD_PARAMS', l, { x, dy, mean: bn.mean, variance: bn.variance, dgamma, dbeta }, { eps: bn.eps });
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
 * Normalise with `batchNorm(x, { ...bn, ...stats })`, or use batchNormTraining (both in one dispatch).
 */
export function batchStatistics(
  x: Tensor,
  opts: { running?: { mean: Tensor; variance: Tensor }; momentum?: number } = {},
): BatchStatistics {
  return statistics('batchStatistics', x, opts.running, opts.momentum);
}

/**
 * Training mode, forward, in one dispatch: batchStatistics (updating `bn`'s running statistics)
 * and the normalisation by them, y = batchNorm(x, { ...bn, ...stats }, { relu }), bit for bit:
 * each channel's workgroup sums its statistics, then writes its y.
 */
export function batchNormTraining(
  x: Tensor,
  bn: BatchNormParams,
  opts: { relu?: boolean; momentum?: number } = {},
): BatchStatistics & { y: Tensor } {
  const y = Tensor.empty(x.engine, x.shape, opts.relu ? 'batchNorm+relu' : 'batchNorm');
  try {
    const running = { mean: bn.mean, variance: bn.variance };
    return { ...statistics('batchNormTraining', x, running, opts.momentum, { bn, y, relu: !!opts.relu }), y };
  } catch (e) {
    y.dispose();
    throw e;
  }
}

function statistics(
  op: string,
  x: Tensor,
  running: { mean: Tensor; variance: Tensor } | undefined,
  momentumOption: number | undefined,
  apply?: { bn: BatchNormParams; y: Tensor; relu: boolean },
): BatchStatistics {
  const c = x.shape[1] ?? 0;
  const stats: BatchStatistics = {
    mean: Tensor.empty(x.engine, [c], 'batch mean'),
    variance: Tensor.empty(x.engine, [c], 'batch variance'),
  };
  try {
    // layout() checks x's rank and the running statistics' (and applied parameters') channel count
    const l = layout(op, x.shape, {
      gamma: apply?.bn.gamma ?? stats.mean,
      beta: apply?.bn.beta ?? stats.mean,
      mean: running?.mean ?? stats.mean,
      variance: running?.variance ?? stats.variance,
      eps: apply?.bn.eps ?? 0,
    });
    const momentum = running ? (momentumOption ?? BN_MOMENTUM) : null;
    if (momentum !== null && !(momentum >= 0 && momentum <= 1))
      fail(`${op}: momentum must be in [0, 1], got ${momentum}`);
    const tensors = {
      x,
      mean: stats.mean,
      variance: stats.variance,
      runningMean: running?.mean,
      runningVar: running?.variance,
      gamma: apply?.bn.gamma,
      beta: apply?.bn.beta,
      y: apply?.y,
    };
    runMode(op, 'STATS', l, tensors, { eps: apply?.bn.eps ?? 0, momentum, relu: apply?.relu, apply: !!apply });
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
export function batchNormBackwardTraining(
  x: Tensor,
  dy: Tensor,
  bn: BatchNormParams,
): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const op = 'batchNormBackwardTraining';
  const l = layout(op, x.shape, bn);
  checkShape(op, 'dy', dy.shape, x.shape);
  // one dispatch: each channel's workgroup sums dγ, dβ, then writes its dx
  const dgamma = Tensor.empty(x.engine, [l.c], 'dgamma');
  const dbeta = Tensor.empty(x.engine, [l.c], 'dbeta');
  const dx = Tensor.empty(x.engine, x.shape, op);
  runMode(
    op,
    'BACKWARD_TRAIN',
    l,
    { dy, x, gamma: bn.gamma, mean: bn.mean, variance: bn.variance, dgamma, dbeta, dx },
    { eps: bn.eps },
  );
  return { dx, dgamma, dbeta };
}

/**
 * Fold inference BN into the preceding conv (or linear) layer, in float64:
 * W'[o] = W[o]·γ[o]/√(σ²[o] + ε), b'[o] = (b[o] − μ[o])·γ[o]/√(σ²[o] + ε) + β[o].
 * `wShape[0]` is the output-channel count ([Cout, Cin/groups, KH, KW] or [Cout, Cin]).
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | null,
  wShape: readonly number[],
  bn: BatchNormArrays,
): { weight: Float32Array; bias: Float32Array } {
  const op = 'foldBatchNorm';
  if (wShape.length < 1 || wShape.some((d) => !Number.isInteger(d) || d < 1))
    fail(`${op}: weight shape ${shapeStr(wShape)} must be a list of positive integers`);
  const cout = wShape[0]!;
  const perChannel = sizeOf(wShape) / cout;
  if (weight.length !== cout * perChannel)
    fail(`${op}: weight has ${weight.length} values, shape ${shapeStr(wShape)} needs ${cout * perChannel}`);
  if (bias && bias.length !== cout)
    fail(`${op}: bias has ${bias.length} values, expected ${cout} (the weight's output channels)`);
  for (const name of ['gamma', 'beta', 'mean', 'variance'] as const) {
    if (bn[name].length !== cout)
      fail(`${op}: ${name} has ${bn[name].length} values, expected ${cout} (the weight's output channels)`);
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
