// Batch norm, inference mode, over [N, C, HW] (NCHW with H*W flattened). Per channel c the
// input is scaled by s = gamma[c] / sqrt(var[c] + EPS). One template, three modes:
//  FORWARD:         y  = (x - mean) * s + beta, ReLU'd when RELU
//  BACKWARD_INPUT:  dx = dy * s, masked by the saved ReLU output (y > 0) when RELU
//  BACKWARD_PARAMS: dgamma = sum of dy * (x - mean) / sqrt(var + EPS), dbeta = sum of dy, over N and HW:
//                   one workgroup per channel, fixed-order tree reduction (deterministic, no atomics).
// Elementwise modes read V lanes along HW (T = vecV<f32>): every lane shares a channel because V divides H*W.
const C = ${C};
const HW_V = ${HW_V};  // H*W / V
const EPS = ${EPS};

#if ${FORWARD}
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<${T}>;
#elif ${BACKWARD_INPUT}
@group(0) @binding(0) var<storage, read> dy: array<${T}>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> variance: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<${T}>;
#if ${RELU}
@group(0) @binding(4) var<storage, read> reluOutput: array<${T}>;
#endif
#else
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read> dy: array<${T}>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;

var<workgroup> partialGamma: array<f32, ${WG}>;
var<workgroup> partialBeta: array<f32, ${WG}>;

fn hsum(v: ${T}) -> f32 {
  return ${HSUM};
}
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
#if ${BACKWARD_PARAMS}
  let c = wid.x + wid.y * nwg.x;
  if (c >= C) { return; }  // a folded grid may overshoot; c is uniform across the workgroup
  var g = ${T}(0.0);
  var b = ${T}(0.0);
  for (var j = lid; j < ${N}u * HW_V; j += ${WG}u) {
    let k = ((j / HW_V) * C + c) * HW_V + j % HW_V;
    let d = dy[k];
    g += d * (x[k] - mean[c]);
    b += d;
  }
  partialGamma[lid] = hsum(g);
  partialBeta[lid] = hsum(b);
  for (var half = ${WG}u / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) {
      partialGamma[lid] += partialGamma[lid + half];
      partialBeta[lid] += partialBeta[lid + half];
    }
  }
  if (lid == 0u) {
    dgamma[c] = partialGamma[0] / sqrt(variance[c] + EPS);
    dbeta[c] = partialBeta[0];
  }
#else
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;  // 2-D grid folded to 1-D
  if (i >= ${THREADS}u) { return; }
  let c = (i / HW_V) % C;
  let s = gamma[c] / sqrt(variance[c] + EPS);
#if ${FORWARD}
  let v = (x[i] - mean[c]) * s + beta[c];
#if ${RELU}
  y[i] = max(v, ${T}(0.0));
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
