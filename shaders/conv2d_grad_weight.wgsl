// conv2d weight/bias gradient, pass 1 of 2: a split-K implicit GEMM
//   dW[co, c] = Σ_{n, oh, ow} dY[n, co, oh, ow] · im2col(X)[c, (n, oh, ow)],  c = (ci, kh, kw)
// whose K = N·HO·WO is split into (image, block of RB output rows) slices. Each slice writes its
// partial sums (and Σ dY for the bias) to its own scratch row; conv2d_grad_weight_reduce.wgsl then
// sums the rows in a fixed order, so the result is deterministic (no float atomics).
// Each thread owns a register block of 4·NB consecutive output channels × 4·NQ consecutive
// columns c in NB·NQ mat4x4 accumulators, generated unrolled by src/ops/conv2d.ts (SETUP / ROW /
// STEP / STORE; see conv2d.wgsl for why). dY comes packed as vec4 over 4 channels
// (conv2d_pack_channels.wgsl). Grid: x = tile blocks,
// y = row block, z = image. MIXED: a block's channels may lie in different groups (Cout/groups
// not a multiple of the block, e.g. depthwise): each lane reads its own x.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dyPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

${CONV_SHAPE}
const CB = ${CB}u;          // output channels per thread (4·NB)
const TJ = ${TJ}u;          // columns per thread (4·NQ)
const WG = ${WG}u;
const RB = ${RB}u;          // output rows per slice
const ROWS_PER_IMAGE = ${R}u;
const EPAD = ${EPAD}u;      // scratch row stride (floats)
const CKK = CIN_G * KK;     // columns of one group's GEMM
const COL_BLOCKS = (CKK + TJ - 1u) / TJ;
const BLOCKS = (COUT + 3u) / 4u;  // dY channel blocks of 4
const TILES = ((COUT + CB - 1u) / CB) * COL_BLOCKS;

// The x offsets of 4 columns at one output pixel, and 1/0 for inside/padding.
fn tapOf(rowOff: vec4u, rowIn: vec4<bool>, iw: vec4i) -> Tap {
  let inside = rowIn & (vec4u(iw) < vec4u(W));
  return Tap(select(vec4u(0u), rowOff + vec4u(iw), inside), select(vec4f(0.0), vec4f(1.0), inside));
}

${X_TAP_READS}

// Column c (ci, kh, kw) of 4 columns: channel offset and the tap's displacement from the origin.
struct Columns { chan: vec4u, dh: vec4i, dw: vec4i }

fn columns(c0: u32) -> Columns {
  let c = min(vec4u(c0) + vec4u(0u, 1u, 2u, 3u), vec4u(CKK - 1u));
  return Columns((c / KK) * HW, vec4i(((c % KK) / KW) * DH), vec4i(((c % KK) % KW) * DW));
}

// Row offsets and row masks of 4 columns, fixed along one output row.
struct Row { off: vec4u, inside: vec4<bool> }

fn rowOf(cols: Columns, ih0: i32) -> Row {
  let ih = ih0 + cols.dh;
  let inside = vec4u(ih) < vec4u(H);
  return Row(cols.chan + select(vec4u(0u), vec4u(ih) * W, inside), inside);
}

// Partial sums of 4 channels from co0 at column c into scratch row `row`.
fn store(acc: vec4f, co0: u32, c: u32, row: u32) {
  if (c >= CKK || co0 >= COUT) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
  let o = row + co * CKK + vec4u(c);
  partial[o.x] = acc.x;
  if (co0 + 1u < COUT) { partial[o.y] = acc.y; }
  if (co0 + 2u < COUT) { partial[o.z] = acc.z; }
  if (co0 + 3u < COUT) { partial[o.w] = acc.w; }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.x * WG + lid;
  if (tile >= TILES) { return; }
  let n = wid.z;
  let slice = wid.y;
  let co0 = (tile / COL_BLOCKS) * CB;
  let c0 = (tile % COL_BLOCKS) * TJ;
${SETUP}
  let ohEnd = min(HO, (slice + 1u) * RB);
  for (var oh = slice * RB; oh < ohEnd; oh++) {
    let ih0 = i32(oh) * SH - PH;
${ROW}
    for (var ow = 0u; ow < WO; ow++) {
      let pix = oh * WO + ow;
      let iw0 = i32(ow) * SW - PW;
${STEP}
    }
  }

  let row = (n * ROWS_PER_IMAGE + slice) * EPAD;
${STORE}
  if (c0 == 0u) {  // one column block per channel block also reports Σ dY (the bias gradient)
${STORE_DB}
  }
}

// Σ dY of 4 channels from co0 (bias gradient) into scratch row `row`.
fn storeDb(db: vec4f, co0: u32, row: u32) {
  if (co0 >= COUT) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
  let o = row + COUT * CKK + co;
  partial[o.x] = db.x;
  if (co0 + 1u < COUT) { partial[o.y] = db.y; }
  if (co0 + 2u < COUT) { partial[o.z] = db.z; }
  if (co0 + 3u < COUT) { partial[o.w] = db.w; }
}
