// conv2d weight/bias gradient, pass 1 of 2: a split-K implicit GEMM
//   dW[co, c] = Σ_{n, oh, ow} dY[n, co, oh, ow] · im2col(X)[c, (n, oh, ow)],  c = (ci, kh, kw)
// whose K = N·HO·WO is split into (image, block of RB output rows) slices. Each slice writes its
// partial sums (and Σ dY for the bias) to its own scratch row; conv2d_grad_weight_reduce.wgsl then
// sums the rows in a fixed order, so the result is deterministic (no float atomics).
// Each thread owns a register block of 4·NB consecutive output channels × 4·NQ consecutive
// columns c in NB·NQ mat4x4 accumulators, generated unrolled by src/ops/conv2d.ts (SETUP / ROW /
// STEP / STORE; see conv2d.wgsl for why). dY comes packed as vec4 over 4 channels
// (conv2d_pack_channels.wgsl). The `shape` uniform adds IMAGES, THREADS, BLOCKS (dY channel
// blocks of 4), CKK (columns of one group's GEMM), COL_BLOCKS, TILES (thread tiles per slice), RB
// (output rows per slice), ROWS_PER_IMAGE (slices) and EPAD (scratch row stride).
// MIXED: a block's channels may lie in different groups (Cout/groups
// not a multiple of the block, e.g. depthwise): each lane reads its own x.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dyPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> shape: ConvShape;

${CONV_SHAPE}
const CB = ${CB}u;          // output channels per thread (4·NB)
const TJ = ${TJ}u;          // columns per thread (4·NQ)

// The x offsets of 4 columns at one output pixel, and 1/0 for inside/padding.
fn tapOf(rowOff: vec4u, rowIn: vec4<bool>, iw: vec4i, w: u32) -> Tap {
  let inside = rowIn & (vec4u(iw) < vec4u(w));
  return Tap(select(vec4u(0u), rowOff + vec4u(iw), inside), select(vec4f(0.0), vec4f(1.0), inside));
}

${X_TAP_READS}

// Column c (ci, kh, kw) of 4 columns: channel offset and the tap's displacement from the origin.
struct Columns { chan: vec4u, dh: vec4i, dw: vec4i }

fn columns(c0: u32) -> Columns {
  let kk = shape.KK;
  let c = min(vec4u(c0) + vec4u(0u, 1u, 2u, 3u), vec4u(shape.CKK - 1u));
  return Columns((c / kk) * shape.HW, vec4i((c % kk) / shape.KW) * shape.DH, vec4i((c % kk) % shape.KW) * shape.DW);
}

// Row offsets and row masks of 4 columns, fixed along one output row.
struct Row { off: vec4u, inside: vec4<bool> }

fn rowOf(cols: Columns, ih0: i32) -> Row {
  let ih = ih0 + cols.dh;
  let inside = vec4u(ih) < vec4u(shape.H);
  return Row(cols.chan + select(vec4u(0u), vec4u(ih) * shape.W, inside), inside);
}

// Partial sums of 4 channels from co0 at column c into scratch row `row`.
fn store(acc: vec4f, co0: u32, c: u32, row: u32) {
  let cout = shape.COUT;
  let ckk = shape.CKK;
  if (c >= ckk || co0 >= cout) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(cout - 1u));
  let o = row + co * ckk + vec4u(c);
  partial[o.x] = acc.x;
  if (co0 + 1u < cout) { partial[o.y] = acc.y; }
  if (co0 + 2u < cout) { partial[o.z] = acc.z; }
  if (co0 + 3u < cout) { partial[o.w] = acc.w; }
}

// Σ dY of 4 channels from co0 (bias gradient) into scratch row `row`.
fn storeDb(db: vec4f, co0: u32, row: u32) {
  let cout = shape.COUT;
  if (co0 >= cout) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(cout - 1u));
  let o = row + cout * shape.CKK + co;
  partial[o.x] = db.x;
  if (co0 + 1u < cout) { partial[o.y] = db.y; }
  if (co0 + 2u < cout) { partial[o.z] = db.z; }
  if (co0 + 3u < cout) { partial[o.w] = db.w; }
}

${MAIN}
  if (i >= shape.THREADS) { return; }
  // i = scratch row · TILES + tile, scratch row = image · ROWS_PER_IMAGE + slice
  let tile = i % shape.TILES;
  let scratchRow = i / shape.TILES;
  let n = scratchRow / shape.ROWS_PER_IMAGE;
  let slice = scratchRow % shape.ROWS_PER_IMAGE;
  let co0 = (tile / shape.COL_BLOCKS) * CB;
  let c0 = (tile % shape.COL_BLOCKS) * TJ;
${SETUP}
  let wo = shape.WO;
  let xw = shape.W;
  let sh = shape.SH;
  let sw = shape.SW;
  let ph = shape.PH;
  let pw = shape.PW;
  let ohEnd = min(shape.HO, (slice + 1u) * shape.RB);
  for (var oh = slice * shape.RB; oh < ohEnd; oh++) {
    let ih0 = i32(oh) * sh - ph;
${ROW}
    for (var ow = 0u; ow < wo; ow++) {
      let pix = oh * wo + ow;
      let iw0 = i32(ow) * sw - pw;
${STEP}
    }
  }

  let row = scratchRow * shape.EPAD;
${STORE}
  if (c0 == 0u) {  // one column block per channel block also reports Σ dY (the bias gradient)
${STORE_DB}
  }
}
