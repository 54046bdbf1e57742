// Batch norm over [N, C, HW] (NCHW with H*W flattened). Per channel c the input is scaled by
// s = gamma[c] / sqrt(var[c] + EPS); mean/var are the running statistics (inference) or the
// batch's own (training). One template, five modes:
//  FORWARD:         y  = (x - mean) * s + beta, ReLU'd when RELU
//  BACKWARD_INPUT:  dx = dy * s, masked by the saved ReLU output (y > 0) when RELU (inference)
//  BACKWARD_PARAMS: dgamma = sum of dy * xhat, xhat = (x - mean) / sqrt(var + EPS), dbeta = sum of dy,
//                   over N and HW
//  STATS:           training: the batch mean and biased variance of each channel (two passes over
//                   x: the mean first, then the squared deviations, for accuracy), and, when
//                   UPDATE_RUNNING, running = (1 - MOMENTUM) * running + MOMENTUM * batch (unbiased
//                   variance, as PyTorch); APPLY: then FORWARD by them in the same workgroup
//  BACKWARD_TRAIN:  training: BACKWARD_PARAMS' sums, then in the same workgroup the input gradient
//                   through the batch statistics: dx = s * (dy - dbeta / M - xhat * dgamma / M),
//                   M = N * HW (dy already ReLU-masked)
// The reducing modes (all but FORWARD and BACKWARD_INPUT) run one workgroup per channel with a
// fixed-order tree reduction (deterministic, no atomics).
// Elementwise modes read V lanes along HW (T = vecV<f32>): every lane shares a channel because V divides H*W.
// The sizes, eps and the momentum are uniforms: one pipeline per mode, lane width and ReLU flag.
struct Sizes { n: u32, c: u32, hwV: u32, threads: u32, eps: f32, m: f32, momentum: f32, unbias: f32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
#if ${FORWARD}
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<${T}>;
#elif ${BACKWARD_INPUT}
@group(0) @binding(1) var<storage, read> dy: array<${T}>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<${T}>;
#if ${RELU}
@group(0) @binding(5) var<storage, read> reluOutput: array<${T}>;
#endif
#elif ${BACKWARD_TRAIN}
@group(0) @binding(1) var<storage, read> dy: array<${T}>;
@group(0) @binding(2) var<storage, read> x: array<${T}>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(7) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<${T}>;
#elif ${STATS}
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> variance: array<f32>;
#if ${UPDATE_RUNNING}
@group(0) @binding(4) var<storage, read_write> runningMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runningVar: array<f32>;
#endif
#if ${APPLY}
@group(0) @binding(6) var<storage, read> gamma: array<f32>;
@group(0) @binding(7) var<storage, read> beta: array<f32>;
@group(0) @binding(8) var<storage, read_write> y: array<${T}>;
#endif
#else
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read> dy: array<${T}>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;
#endif

#if ${REDUCE}
var<workgroup> partialGamma: array<f32, ${WG}>;
var<workgroup> partialBeta: array<f32, ${WG}>;

fn hsum(v: ${T}) -> f32 {
  return ${HSUM};
}

// Fixed-order tree sum of partialGamma and partialBeta; every invocation sees the totals at [0].
fn reduceWorkgroup(lid: u32) {
  for (var half = ${WG}u / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) {
      partialGamma[lid] += partialGamma[lid + half];
      partialBeta[lid] += partialBeta[lid + half];
    }
  }
  workgroupBarrier();
}

fn element(j: u32, c: u32) -> u32 {
  return ((j / sizes.hwV) * sizes.c + c) * sizes.hwV + j % sizes.hwV;
}
#endif

${MAIN}
#if ${PARAM_SUMS}
  let c = wid.x + wid.y * nwg.x;
  if (c >= sizes.c) { return; }  // a folded grid may overshoot; c is uniform across the workgroup
  var g = ${T}(0.0);
  var b = ${T}(0.0);
  for (var j = lid; j < sizes.n * sizes.hwV; j += ${WG}u) {
    let k = element(j, c);
    let d = dy[k];
    g += d * (x[k] - mean[c]);
    b += d;
  }
  partialGamma[lid] = hsum(g);
  partialBeta[lid] = hsum(b);
  reduceWorkgroup(lid);
  let dg = partialGamma[0] / sqrt(variance[c] + sizes.eps);
  let db = partialBeta[0];
  if (lid == 0u) {
    dgamma[c] = dg;
    dbeta[c] = db;
  }
#if ${BACKWARD_TRAIN}
  let s = gamma[c] / sqrt(variance[c] + sizes.eps);
  for (var j = lid; j < sizes.n * sizes.hwV; j += ${WG}u) {
    let k = element(j, c);
    let xhat = (x[k] - mean[c]) / sqrt(variance[c] + sizes.eps);
    dx[k] = s * (dy[k] - db / sizes.m - xhat * (dg / sizes.m));
  }
#endif
#elif ${STATS}
  let c = wid.x + wid.y * nwg.x;
  if (c >= sizes.c) { return; }
  var s = ${T}(0.0);
  for (var j = lid; j < sizes.n * sizes.hwV; j += ${WG}u) { s += x[element(j, c)]; }
  partialGamma[lid] = hsum(s);
  partialBeta[lid] = 0.0;
  reduceWorkgroup(lid);
  let mu = partialGamma[0] / sizes.m;
  workgroupBarrier();  // everyone has read the sum before it is overwritten
  var q = ${T}(0.0);
  for (var j = lid; j < sizes.n * sizes.hwV; j += ${WG}u) {
    let d = x[element(j, c)] - mu;
    q += d * d;
  }
  partialGamma[lid] = hsum(q);
  reduceWorkgroup(lid);
  if (lid == 0u) {
    let v = partialGamma[0] / sizes.m;
    mean[c] = mu;
    variance[c] = v;
#if ${UPDATE_RUNNING}
    runningMean[c] = (1.0 - sizes.momentum) * runningMean[c] + sizes.momentum * mu;
    runningVar[c] = (1.0 - sizes.momentum) * runningVar[c] + sizes.momentum * v * sizes.unbias;
#endif
  }
#if ${APPLY}
  // FORWARD by these statistics, in the same workgroup (the same expressions: the same bits)
  let scale = gamma[c] / sqrt(partialGamma[0] / sizes.m + sizes.eps);
  for (var j = lid; j < sizes.n * sizes.hwV; j += ${WG}u) {
    let k = element(j, c);
    let v = (x[k] - mu) * scale + beta[c];
#if ${RELU}
    y[k] = max(v, ${T}(0.0)) + (v - v);
#else
    y[k] = v;
#endif
  }
#endif
#else
  if (i >= sizes.threads) { return; }
  let c = (i / sizes.hwV) % sizes.c;
  let s = gamma[c] / sqrt(variance[c] + sizes.eps);
#if ${FORWARD}
  let v = (x[i] - mean[c]) * s + beta[c];
#if ${RELU}
  y[i] = max(v, ${T}(0.0)) + (v - v); // NaN and ±inf propagate (see relu.ts)
#else
  y[i] = v;
#endif
#else
#if ${RELU}
  dx[i] = select(${T}(0.0), dy[i] * s, reluOutput[i] > ${T}(0.0));
#else
  dx[i] = dy[i] * s;
#endif
#endif
#endif
}
