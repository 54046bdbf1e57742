// conv2d weight/bias gradient, pass 1 of 2 (pass 2: conv2d_grad_weight_reduce.wgsl):
//   dW[co, ci, kh, kw] = Σ_{n, oh, ow} dY[n, co, oh, ow] · X[n, ci, ih, iw],
//   ih = oh·SH − PH + kh·DH,  iw = ow·SW − PW + kw·DW,
// on the row segments of the forward (conv2d.wgsl). Each thread owns 4·NB output channels × CIB
// input channels of their group × every tap (KH·KW, baked) for one slice (RB images × SLICE_ROWS
// output rows: small layers split their rows too) and walks those rows in segments of PB pixels:
// per segment it loads dY once (one vec4 per channel block and pixel: dY comes packed by
// conv2d_pack_channels.wgsl) and, per (kh, input channel), the input row segment once (only the
// columns some (pixel, kw) pair reads), then feeds every (pixel, tap) pair from registers.
// src/ops/conv2d.ts generates the unrolled code (SETUP / IMAGE / SEGMENT / STORE). Each slice
// writes its sums, and Σ dY for the bias, to its own scratch row; the reduce adds the rows in a
// fixed order: deterministic, no atomics. The `shape` uniform adds IMAGES, THREADS, BLOCKS (dY
// channel blocks of 4), COL_BLOCKS (input-channel blocks per group), TILES (threads per slice),
// RB (images per slice), ROWS_PER_IMAGE (row slices of an image), SLICE_ROWS and EPAD (scratch
// row stride).
// MIXED: a block's channels may lie in different groups (Cout/groups not a multiple of the block,
// e.g. depthwise): each lane reads its own input channel.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dyPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> shape: ConvShape;

${CONV_SHAPE}
const CB = ${CB}u;  // output channels per thread (4·NB)
const CIB = ${CIB}u;  // input channels per thread
const PB = ${PB}u;  // output pixels per row segment

${X_TAP_READS}

// The sums of 4 output channels from co0 at input channel ci and tap (kh·KW + kw) into scratch row `row`.
fn store(acc: vec4f, co0: u32, ci: u32, tap: u32, row: u32) {
  let cout = shape.COUT;
  if (ci >= shape.CIN_G || co0 >= cout) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(cout - 1u));
  let o = row + (co * shape.CIN_G + ci) * shape.KK + tap;
  partial[o.x] = acc.x;
  if (co0 + 1u < cout) { partial[o.y] = acc.y; }
  if (co0 + 2u < cout) { partial[o.z] = acc.z; }
  if (co0 + 3u < cout) { partial[o.w] = acc.w; }
}

// Σ dY of 4 channels from co0 (the bias gradient) into scratch row `row`, after the weights.
fn storeDb(db: vec4f, co0: u32, row: u32) {
  let cout = shape.COUT;
  if (co0 >= cout) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(cout - 1u));
  let o = row + cout * shape.CIN_G * shape.KK + co;
  partial[o.x] = db.x;
  if (co0 + 1u < cout) { partial[o.y] = db.y; }
  if (co0 + 2u < cout) { partial[o.z] = db.z; }
  if (co0 + 3u < cout) { partial[o.w] = db.w; }
}

${MAIN}
  if (i >= shape.THREADS) { return; }
  // i = slice · TILES + tile, tile = output-channel block · COL_BLOCKS + input-channel block
  let tile = i % shape.TILES;
  let slice = i / shape.TILES;
  let c0 = (tile / shape.COL_BLOCKS) * CB;  // first output channel of this thread
  let ci0 = (tile % shape.COL_BLOCKS) * CIB;  // first input channel, within the group
${SETUP}
  // slice = images slice · ROWS_PER_IMAGE + rows slice: RB images × SLICE_ROWS output rows
  let images = slice / shape.ROWS_PER_IMAGE;
  let ohStart = (slice % shape.ROWS_PER_IMAGE) * shape.SLICE_ROWS;
  let ohEnd = min(shape.HO, ohStart + shape.SLICE_ROWS);
  let nEnd = min(shape.IMAGES, (images + 1u) * shape.RB);
  for (var n = images * shape.RB; n < nEnd; n++) {
${IMAGE}
    for (var oh = ohStart; oh < ohEnd; oh++) {
      let ih0 = i32(oh) * shape.SH - shape.PH;
      let dyRow = oh * shape.WO;
      for (var j0 = 0u; j0 < shape.WO; j0 += PB) {
${SEGMENT}
      }
    }
  }
  let row = slice * shape.EPAD;
${STORE}
}
