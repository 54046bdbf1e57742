// conv2d weight/bias gradient, pass 1 of 2: a split-K implicit GEMM
//   dW[co, c] = Σ_{n, oh, ow} dY[n, co, oh, ow] · im2col(X)[c, (n, oh, ow)],  c = (ci, kh, kw)
// whose K = N·HO·WO is split into (image, block of RB output rows) slices. Each slice writes its
// partial sums (and Σ dY for the bias) to its own scratch row; conv2d_grad_weight_reduce.wgsl then
// sums the rows in a fixed order, so the result is deterministic (no float atomics).
// Each thread owns 4 consecutive output channels (one vec4) × TJ consecutive columns c. dY comes
// packed as vec4 over 4 channels (conv2d_pack_channels.wgsl, which also applies a fused relu
// mask). Grid: x = tile blocks, y = row block, z = image. MIXED: the 4 channels may lie in
// different groups (Cout/groups not a multiple of 4, e.g. depthwise): each lane reads its own x.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dyPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

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
const TJ = 8u;              // columns per thread: two groups of 4 (A, B)
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

// The x offsets of 4 columns at one output pixel, and 1/0 for inside/padding.
struct Tap { off: vec4u, keep: vec4f }

fn tapOf(rowOff: vec4u, rowIn: vec4<bool>, iw: vec4i) -> Tap {
  let inside = rowIn & (vec4u(iw) < vec4u(W));
  return Tap(select(vec4u(0u), rowOff + vec4u(iw), inside), select(vec4f(0.0), vec4f(1.0), inside));
}

// x at 4 per-lane channel offsets and one column offset.
fn gather(chan: vec4u, o: u32) -> vec4f {
  return vec4f(x[chan.x + o], x[chan.y + o], x[chan.z + o], x[chan.w + o]);
}

// acc += d ⊗ (x at 4 columns): column j gets dY · x[column j] per channel lane (one shared x value
// unless MIXED).
fn accumulate(acc: ptr<function, mat4x4f>, d: vec4f, xc: vec4u, t: Tap) {
#if ${MIXED}
  *acc += mat4x4f(d * gather(xc, t.off.x) * t.keep.x, d * gather(xc, t.off.y) * t.keep.y,
                  d * gather(xc, t.off.z) * t.keep.z, d * gather(xc, t.off.w) * t.keep.w);
#else
  let v = vec4f(x[xc.x + t.off.x], x[xc.x + t.off.y], x[xc.x + t.off.z], x[xc.x + t.off.w]) * t.keep;
  *acc += mat4x4f(d * v.x, d * v.y, d * v.z, d * v.w);
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
  let dyBlock = (n * ((COUT + 3u) / 4u) + co0 / 4u) * NPIX;
  let xChan = (n * CIN + (co / COUT_G) * CIN_G) * HW;  // per-lane first input channel of its group

  // Column c = (ci, kh, kw): its channel offset and the tap's displacement from the pixel origin.
  let cA = min(vec4u(c0) + vec4u(0u, 1u, 2u, 3u), vec4u(CKK - 1u));
  let cB = min(vec4u(c0) + vec4u(4u, 5u, 6u, 7u), vec4u(CKK - 1u));
  let chanA = (cA / KK) * HW;
  let chanB = (cB / KK) * HW;
  let dhA = vec4i(((cA % KK) / KW) * DH);
  let dhB = vec4i(((cB % KK) / KW) * DH);
  let dwA = vec4i(((cA % KK) % KW) * DW);
  let dwB = vec4i(((cB % KK) % KW) * DW);

  var accA = mat4x4f();
  var accB = mat4x4f();
  var dbAcc = vec4f(0.0);
  let ohEnd = min(HO, (slice + 1u) * RB);
  for (var oh = slice * RB; oh < ohEnd; oh++) {
    // Row offsets and row masks are fixed along the output row.
    let ih0 = i32(oh) * SH - PH;
    let ihA = ih0 + dhA;
    let ihB = ih0 + dhB;
    let rowInA = vec4u(ihA) < vec4u(H);
    let rowInB = vec4u(ihB) < vec4u(H);
    let rowOffA = chanA + select(vec4u(0u), vec4u(ihA) * W, rowInA);
    let rowOffB = chanB + select(vec4u(0u), vec4u(ihB) * W, rowInB);
    for (var ow = 0u; ow < WO; ow++) {
      let d = dyPacked[dyBlock + oh * WO + ow];
      dbAcc += d;
      let iw0 = i32(ow) * SW - PW;
      accumulate(&accA, d, xChan, tapOf(rowOffA, rowInA, iw0 + dwA));
      accumulate(&accB, d, xChan, tapOf(rowOffB, rowInB, iw0 + dwB));
    }
  }

  let row = (n * ROWS_PER_IMAGE + slice) * EPAD;
  for (var j = 0u; j < TJ; j++) {
    let c = c0 + j;
    if (c >= CKK) { break; }
    let o = row + co * CKK + vec4u(c);
    let v = select(accB[j % 4u], accA[j % 4u], j < 4u);
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
