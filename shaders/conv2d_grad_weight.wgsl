// conv2d weight/bias gradient, pass 1 of 2: a split-K implicit GEMM
//   dW[co, c] = Σ_{n, oh, ow} dY[n, co, oh, ow] · im2col(X)[c, (n, oh, ow)],  c = (ci, kh, kw)
// whose K = N·HO·WO is split into (image, block of RB output rows) slices. Each slice writes its
// partial sums (and Σ dY for the bias) to its own scratch row; conv2d_grad_weight_reduce.wgsl then
// sums the rows in a fixed order, so the result is deterministic (no float atomics).
// Each thread owns 4 consecutive output channels (one vec4) × TJ consecutive columns c.
// Grid: x = tile blocks, y = row block, z = image. MIXED: the 4 channels may lie in different
// groups (Cout/groups not a multiple of 4, e.g. depthwise), so each lane reads its own x channel.
// RELU_MASK: dY is multiplied by [forward output > 0] as it is read (fused relu backward).
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
#if ${RELU_MASK}
@group(0) @binding(3) var<storage, read> yRelu: array<f32>;
#endif

const CIN = ${CIN}u;
const CIN_G = ${CIN_G}u;
const COUT = ${COUT}u;
const COUT_G = ${COUT_G}u;
const H = ${H}u;
const W = ${W}u;
const HO = ${HO}u;
const WO = ${WO}u;
const KH = ${KH}u;
const KW = ${KW}u;
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
const DH = ${DH}u;
const DW = ${DW}u;
const TJ = ${TJ}u;
const WG = ${WG}u;
const RB = ${RB}u;          // output rows per slice
const ROWS_PER_IMAGE = ${R}u;
const EPAD = ${EPAD}u;      // scratch row stride (floats)
const HW = H * W;
const NPIX = HO * WO;
const KK = KH * KW;
const CKK = CIN_G * KK;     // columns of one group's GEMM
const COL_BLOCKS = (CKK + TJ - 1u) / TJ;
const TILES = ((COUT + 3u) / 4u) * COL_BLOCKS;

fn readDy(i: u32) -> f32 {
#if ${RELU_MASK}
  return select(0.0, dy[i], yRelu[i] > 0.0);
#else
  return dy[i];
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.x * WG + lid;
  if (tile >= TILES) { return; }
  let n = wid.z;
  let slice = wid.y;
  let co0 = (tile / COL_BLOCKS) * 4u;
  let c0 = (tile % COL_BLOCKS) * TJ;
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
  let dyChan = (n * COUT + co) * NPIX;
  let xChan = (n * CIN + (co / COUT_G) * CIN_G) * HW;  // per-lane first input channel of its group

  // Column j = (ci, kh, kw): its channel offset and the tap's displacement from the pixel origin.
  var chanOff: array<u32, TJ>;
  var dh: array<u32, TJ>;
  var dw: array<u32, TJ>;
  for (var j = 0u; j < TJ; j++) {
    let c = min(c0 + j, CKK - 1u);
    let tap = c % KK;
    chanOff[j] = (c / KK) * HW;
    dh[j] = (tap / KW) * DH;
    dw[j] = (tap % KW) * DW;
  }

  var acc: array<vec4f, TJ>;
  var dbAcc = vec4f(0.0);
  let ohEnd = min(HO, (slice + 1u) * RB);
  for (var oh = slice * RB; oh < ohEnd; oh++) {
    let ih0 = i32(oh) * SH - PH;
    // Row offsets and row masks are fixed along the output row.
    var rowOff: array<u32, TJ>;
    var rowIn: array<bool, TJ>;
    for (var j = 0u; j < TJ; j++) {
      let ih = ih0 + i32(dh[j]);
      rowIn[j] = u32(ih) < H;
      rowOff[j] = chanOff[j] + select(0u, u32(ih) * W, rowIn[j]);
    }
    for (var ow = 0u; ow < WO; ow++) {
      let o = dyChan + vec4u(oh * WO + ow);
      let d = vec4f(readDy(o.x), readDy(o.y), readDy(o.z), readDy(o.w));
      dbAcc += d;
      let iw0 = i32(ow) * SW - PW;
      for (var j = 0u; j < TJ; j++) {
        let iw = iw0 + i32(dw[j]);
        let inside = rowIn[j] && u32(iw) < W;
        let off = select(0u, rowOff[j] + u32(iw), inside);
#if ${MIXED}
        let xo = xChan + vec4u(off);
        let xv = select(vec4f(0.0), vec4f(x[xo.x], x[xo.y], x[xo.z], x[xo.w]), inside);
#else
        let xv = select(0.0, x[xChan.x + off], inside);
#endif
        acc[j] += d * xv;
      }
    }
  }

  let row = (n * ROWS_PER_IMAGE + slice) * EPAD;
  for (var j = 0u; j < TJ; j++) {
    let c = c0 + j;
    if (c >= CKK) { break; }
    let o = row + co * CKK + vec4u(c);
    let v = acc[j];
    partial[o.x] = v.x;
    if (co0 + 1u < COUT) { partial[o.y] = v.y; }
    if (co0 + 2u < COUT) { partial[o.z] = v.z; }
    if (co0 + 3u < COUT) { partial[o.w] = v.w; }
  }
  if (c0 == 0u) {  // one column block per channel block also reports Σ dY (the bias gradient)
    let o = row + COUT * CKK + co;
    partial[o.x] = dbAcc.x;
    if (co0 + 1u < COUT) { partial[o.y] = dbAcc.y; }
    if (co0 + 2u < COUT) { partial[o.z] = dbAcc.z; }
    if (co0 + 3u < COUT) { partial[o.w] = dbAcc.w; }
  }
}
