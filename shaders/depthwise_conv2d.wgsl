// Depthwise conv2d (groups = Cin = Cout, weight [C, 1, KH, KW]) in register blocks: each thread
// owns RB rows × PB columns of one (image, channel) plane of the destination. It loads each source
// row of the block's window once, only the columns some (column, tap) pair reads, and feeds every
// (row, column, tap) triple from registers: a 3×3 stride-1 layer at 4 × 16 loads 6·18 values for
// 576 FMAs rather than 9 per output. The dense conv's channel-block GEMM reads each lane's own
// channel here (one group per channel) and ran at a fraction of this on MobileNet's layers.
// src/ops/depthwise-conv2d.ts unrolls the whole block (SETUP / STEP / STORE): which source rows and
// columns each (row, column, tap) reads depends only on the baked kernel, stride, dilation and
// begin pads; the plane sizes are the `dims` uniform.
// GRAD_INPUT: the input gradient as a gather over dY: dX[ih, iw] = Σ w[kh, kw] · dY[oh, ow] over
// the taps with ih + PH − kh·DH = oh·SH and iw + PW − kw·DW = ow·SW. RB and PB are multiples of
// the strides, so which triples meet a dY row and column is known when the pipeline is built.
// The epilogue: the forward adds the bias and a residual, then relu; the input gradient adds the
// gradient summed so far (residual) and keeps the values where the input's relu output `mask` > 0.
struct Dims {
  C: u32, SRC_H: u32, SRC_W: u32, DST_H: u32, DST_W: u32, BANDS: u32, SEGMENTS: u32, THREADS: u32, RELU: u32
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

const RB = ${RB}u;  // destination rows per thread
const PB = ${PB}u;  // destination columns per thread

fn store(acc: f32, c: u32, planeStart: u32, row: u32, col: u32, relu: bool) {
  if (col >= dims.DST_W || row >= dims.DST_H) { return; }
  let o = planeStart + row * dims.DST_W + col;
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
  // i = (plane · BANDS + band) · SEGMENTS + segment, plane = image · C + channel: adjacent lanes
  // take adjacent segments of one channel (the same weights)
  let segment = i % dims.SEGMENTS;
  let band = (i / dims.SEGMENTS) % dims.BANDS;
  let plane = i / (dims.SEGMENTS * dims.BANDS);
  let c = plane % dims.C;
  let r0 = band * RB;
  let j0 = segment * PB;
  let srcPlane = plane * dims.SRC_H * dims.SRC_W;
  let srcH = dims.SRC_H;
  let srcW = dims.SRC_W;
  let wk = c * ${KK}u;
${SETUP}
${STEP}
  let relu = dims.RELU != 0u;
  let planeStart = plane * dims.DST_H * dims.DST_W;
${STORE}
}
