/** float64 references for inference batch norm (NCHW or [N, C]) and a direct conv2d for checking BN folding. */
export interface BnRef {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  eps: number;
}

function channelOf(shape: readonly number[]): (k: number) => number {
  const c = shape[1]!;
  const hw = shape.slice(2).reduce((a, b) => a * b, 1);
  return (k) => Math.floor(k / hw) % c;
}

export function batchNorm(x: Float64Array, shape: readonly number[], bn: BnRef, relu = false): Float64Array {
  const ch = channelOf(shape);
  return x.map((v, k) => {
    const c = ch(k);
    const y = ((v - bn.mean[c]!) / Math.sqrt(bn.variance[c]! + bn.eps)) * bn.gamma[c]! + bn.beta[c]!;
    return relu ? Math.max(y, 0) : y;
  });
}

export function batchNormBackwardInput(
  dy: Float64Array,
  shape: readonly number[],
  bn: BnRef,
  reluOutput?: Float64Array,
): Float64Array {
  const ch = channelOf(shape);
  return dy.map((d, k) => {
    const c = ch(k);
    return reluOutput && !(reluOutput[k]! > 0) ? 0 : (d * bn.gamma[c]!) / Math.sqrt(bn.variance[c]! + bn.eps);
  });
}

export function batchNormBackwardParams(
  x: Float64Array,
  dy: Float64Array,
  shape: readonly number[],
  bn: BnRef,
): { dgamma: Float64Array; dbeta: Float64Array } {
  const ch = channelOf(shape);
  const dgamma = new Float64Array(shape[1]!);
  const dbeta = new Float64Array(shape[1]!);
  for (let k = 0; k < x.length; k++) {
    const c = ch(k);
    dgamma[c]! += (dy[k]! * (x[k]! - bn.mean[c]!)) / Math.sqrt(bn.variance[c]! + bn.eps);
    dbeta[c]! += dy[k]!;
  }
  return { dgamma, dbeta };
}

/** Direct NCHW conv2d, stride 1, no padding (all BN folding needs); weight [Cout, Cin, KH, KW]. */
export function conv2d(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  b: ArrayLike<number> | null,
): Float64Array {
  const [n, cin, h, wd] = xShape as [number, number, number, number];
  const [cout, , kh, kw] = wShape as [number, number, number, number];
  const ho = h - kh + 1;
  const wo = wd - kw + 1;
  const y = new Float64Array(n * cout * ho * wo);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < cout; o++)
      for (let p = 0; p < ho; p++)
        for (let q = 0; q < wo; q++) {
          let s = b ? b[o]! : 0;
          for (let c = 0; c < cin; c++)
            for (let a = 0; a < kh; a++)
              for (let d = 0; d < kw; d++)
                s += x[((i * cin + c) * h + p + a) * wd + q + d]! * w[((o * cin + c) * kh + a) * kw + d]!;
          y[((i * cout + o) * ho + p) * wo + q] = s;
        }
  return y;
}

/** Training mode: per-channel batch mean and biased variance over N, H, W. */
export function batchStatistics(
  x: ArrayLike<number>,
  shape: readonly number[],
): { mean: Float64Array; variance: Float64Array } {
  const ch = channelOf(shape);
  const c = shape[1]!;
  const m = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let k = 0; k < x.length; k++) mean[ch(k)]! += x[k]! / m;
  for (let k = 0; k < x.length; k++) variance[ch(k)]! += (x[k]! - mean[ch(k)]!) ** 2 / m;
  return { mean, variance };
}

/** Training-mode forward: normalise by the batch's own statistics. */
export function batchNormTraining(
  x: Float64Array,
  shape: readonly number[],
  gamma: Float64Array,
  beta: Float64Array,
  eps: number,
  relu = false,
): Float64Array {
  const s = batchStatistics(x, shape);
  return batchNorm(x, shape, { gamma, beta, mean: s.mean, variance: s.variance, eps }, relu);
}

/** Training-mode input gradient: dx = γ/√(σ² + ε)·(dy − mean(dy) − x̂·mean(dy·x̂)) per channel. */
export function batchNormTrainingBackwardInput(
  x: Float64Array,
  dy: Float64Array,
  shape: readonly number[],
  gamma: Float64Array,
  eps: number,
): Float64Array {
  const ch = channelOf(shape);
  const c = shape[1]!;
  const m = x.length / c;
  const { mean, variance } = batchStatistics(x, shape);
  const xhat = x.map((v, k) => (v - mean[ch(k)]!) / Math.sqrt(variance[ch(k)]! + eps));
  const dyMean = new Float64Array(c);
  const dyXhatMean = new Float64Array(c);
  for (let k = 0; k < x.length; k++) {
    dyMean[ch(k)]! += dy[k]! / m;
    dyXhatMean[ch(k)]! += (dy[k]! * xhat[k]!) / m;
  }
  return dy.map(
    (d, k) =>
      (gamma[ch(k)]! / Math.sqrt(variance[ch(k)]! + eps)) * (d - dyMean[ch(k)]! - xhat[k]! * dyXhatMean[ch(k)]!),
  );
}
