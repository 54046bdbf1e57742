// conv2d forward as an implicit GEMM: for each image, Y[co, p] = Σ_k W[co, k] · im2col(X)[k, p]
// with k = (ci, kh, kw) running over the channels of co's group, in row segments: each thread
// owns 4·NB consecutive output channels × P consecutive pixels of one output row, and the loops
// run over (kh, ci) with the KW taps unrolled: one load of the input row segment under them feeds
// every (pixel, kw) pair that reads it, so each x value is loaded once per (kh, ci) rather than
// once per tap (KW× fewer loads at stride 1; what lets few-channel layers reach the FMA units).
// src/ops/conv2d.ts generates the fully unrolled block code (SETUP / STEP / STORE): SwiftShader
// does not unroll loops and keeps indexed arrays in memory, and its per-lane loads cost far more
// than its FMAs. The im2col matrix is never materialised. Weights come packed as one vec4 per
// (channel block, k) (conv2d_pack_weight.wgsl). Grid: x = row segments, y = channel blocks over
// all groups, z = image.
// MIXED: the channels of one block may lie in different groups (Cout/groups not a multiple of the
// block, e.g. depthwise), so each lane reads its own input channel.
// FLIP reads the weights with both taps mirrored: the input gradient of a stride-1 conv is this
// forward over dY with the transposed, flipped kernel (src/ops/conv2d.ts).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#if ${HAS_BIAS}
@group(0) @binding(${BIAS_BINDING}) var<storage, read> bias: array<f32>;
#endif
#if ${HAS_RESIDUAL}
@group(0) @binding(${RESIDUAL_BINDING}) var<storage, read> residual: array<f32>;
#endif

${CONV_SHAPE}
const CB = ${CB}u;  // output channels per thread (4·NB)
const PB = ${PB}u;  // output pixels per thread (the row segment)
const WGX = ${WGX}u;
const WGY = ${WGY}u;
const ROWS = COUT;  // GEMM rows: output channels
const BLOCKS = (ROWS + 3u) / 4u;  // packed weight blocks of 4 rows
const KROW = CIN_G * KK;  // packed weights per block
const SEGMENTS = (WO + PB - 1u) / PB;  // row segments per output row

// The first input channel of the group of each of 4 output channels.
fn chanBase(co: vec4u, n: u32) -> vec4u {
  return (n * CIN + (co / COUT_G) * CIN_G) * HW;
}

${X_TAP_READS}

// The flat index of output pixel (row, column), or NPIX (not stored) past the row's end.
fn pixelAt(row: u32, col: u32) -> u32 {
  return select(NPIX, row * WO + col, col < WO);
}

// Epilogue for 4 channels from co0 at pixel p: bias, residual, relu, store.
fn store(acc: vec4f, co0: u32, p: u32, n: u32) {
  if (p >= NPIX || co0 >= COUT) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
#if ${HAS_BIAS}
  var v = acc + vec4f(bias[co.x], bias[co.y], bias[co.z], bias[co.w]);
#else
  var v = acc;
#endif
  let o = (n * COUT + co) * NPIX + vec4u(p);
#if ${HAS_RESIDUAL}
  v += vec4f(residual[o.x], residual[o.y], residual[o.z], residual[o.w]);
#endif
#if ${RELU}
  v = max(v, vec4f(0.0));
#endif
  y[o.x] = v.x;
  if (co0 + 1u < COUT) { y[o.y] = v.y; }
  if (co0 + 2u < COUT) { y[o.z] = v.z; }
  if (co0 + 3u < COUT) { y[o.w] = v.w; }
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.z;
  let c0 = (wid.y * WGY + lid.y) * CB;  // first output channel of this thread
  if (c0 >= COUT) { return; }
  // Pixels of this thread: columns j0 .. j0 + PB - 1 of output row r (adjacent threads take adjacent segments).
  let slot = wid.x * WGX + lid.x;
  let r = slot / SEGMENTS;
  if (r >= HO) { return; }
  let j0 = (slot % SEGMENTS) * PB;
${SETUP}
  for (var kh = 0u; kh < KH; kh++) {
    let ih = i32(r) * SH - PH + i32(kh) * DH;
    if (u32(ih) >= H) { continue; }  // the whole segment reads padding at this kh
#if ${FLIP}
    let wTapRow = (KH - 1u - kh) * KW;
#else
    let wTapRow = kh * KW;
#endif
    for (var ci = 0u; ci < CIN_G; ci++) {
      let wk = ci * KK + wTapRow;  // GEMM k of (ci, kh, kw = 0 or KW - 1)
      let xk = ci * HW + u32(ih) * W;
${STEP}
    }
  }
${STORE}
}
