// Depthwise conv2d (groups = Cin = Cout, weight [C, 1, KH, KW]) in row segments: each thread
// owns PB consecutive columns of one destination row of one (image, channel) plane. Per kernel row
// it loads the source row segment once (only the columns some (column, tap) pair reads) and feeds
// every pair from registers, so a 3×3 stride-1 layer loads (PB + 2) / PB values per tap row rather
// than 3 per output. The dense conv's channel-block GEMM reads each lane's own channel here
// (one group per channel) and reached a fraction of this on MobileNet's depthwise layers.
// src/ops/depthwise-conv2d.ts unrolls the columns (SETUP / STEP / STORE): their pattern depends on
// the baked KW, SW, DW and PW; the rows' geometry is the `dims` uniform.
// GRAD_INPUT: the input gradient as a gather over dY: dX[ih, iw] = Σ w[kh, kw] · dY[oh, ow] over
// the taps with ih + PH − kh·DH = oh·SH and iw + PW − kw·DW = ow·SW; PB is a multiple of SW, so
// which (column, kw) pairs meet a dY column is known when the pipeline is built.
// The epilogue: the forward adds the bias and a residual, then relu; the input gradient adds the
// gradient summed so far (residual) and keeps the values where the input's relu output `mask` > 0.
struct Dims {
  C: u32,
  SRC_H: u32,
  SRC_W: u32,
  DST_H: u32,
  DST_W: u32,
  KH: u32,
  SH: i32,
  PH: i32,
  DH: i32,
  SEGMENTS: u32,
  THREADS: u32,
  RELU: u32,
}
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;
#if ${HAS_BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#if ${HAS_RESIDUAL}
@group(0) @binding(${RESIDUAL_BINDING}) var<storage, read> residual: array<f32>;
#endif
#if ${HAS_MASK}
@group(0) @binding(${MASK_BINDING}) var<storage, read> mask: array<f32>;
#endif

const PB = ${PB}u;  // destination columns per thread
const KW = ${KW}u;

fn store(acc: f32, c: u32, rowStart: u32, col: u32, relu: bool) {
  if (col >= dims.DST_W) { return; }
  let o = rowStart + col;
#if ${HAS_BIAS}
  var v = acc + bias[c];
#else
  var v = acc;
#endif
#if ${HAS_RESIDUAL}
  v += residual[o];
#endif
#if ${HAS_MASK}
  v = select(0.0, v, mask[o] > 0.0);
#endif
  // + (v − v): a NaN or ±inf stays NaN (max alone would swallow it), as in conv2d.wgsl
  dst[o] = select(v, max(v, 0.0) + (v - v), relu);
}

${MAIN}
  if (i >= dims.THREADS) { return; }
  // i = (plane · DST_H + r) · SEGMENTS + segment, plane = image · C + channel: adjacent lanes take
  // adjacent segments of one channel (the same weights)
  let segment = i % dims.SEGMENTS;
  let row = i / dims.SEGMENTS;
  let r = row % dims.DST_H;
  let plane = row / dims.DST_H;
  let c = plane % dims.C;
  let j0 = segment * PB;
  let srcPlane = plane * dims.SRC_H * dims.SRC_W;
  let srcW = dims.SRC_W;
${SETUP}
  for (var kh = 0u; kh < dims.KH; kh++) {
#if ${GRAD_INPUT}
    let t = i32(r) + dims.PH - i32(kh) * dims.DH;  // oh · SH
    let sr = t / dims.SH;
    if (t < 0 || sr * dims.SH != t || u32(sr) >= dims.SRC_H) { continue; }
#else
    let sr = i32(r) * dims.SH - dims.PH + i32(kh) * dims.DH;
    if (u32(sr) >= dims.SRC_H) { continue; }  // the whole segment reads padding at this kh
#endif
    let xr = srcPlane + u32(sr) * srcW;
    let wk = (c * dims.KH + kh) * KW;
${STEP}
  }
  let relu = dims.RELU != 0u;
  let rowStart = row * dims.DST_W;
${STORE}
}
