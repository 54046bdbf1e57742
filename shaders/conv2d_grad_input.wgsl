// conv2d input gradient of strided convs as an implicit GEMM over dY with the (implicitly flipped)
// weights (stride 1 runs as a forward, see src/ops/conv2d.ts):
//   dX[ci, ih, iw] = Σ_{co, kh, kw} W[co, ci, kh, kw] · dY[co, (ih+PH−kh·DH)/SH, (iw+PW−kw·DW)/SW]
// over the taps where those divisions are exact. Input pixels are split into SH×SW stride phases
// ((ih+PH) mod SH, (iw+PW) mod SW): inside a phase every pixel has the same set of valid taps, so
// the tap test is an integer test uniform across the workgroup and no lane multiplies by zeros
// the stride skipped. One dispatch per column phase IW_START, whose valid kw taps and dY column
// offsets are then constants, so a thread takes 4·NB consecutive input channels × PB consecutive
// columns of one phase row and, per (kh, co), loads the dY row segment once for all its taps, as
// in conv2d.wgsl (block code generated unrolled by src/ops/conv2d.ts). Weights come packed as one
// vec4 per (input-channel block, (co, kh, kw)) (conv2d_pack_weight.wgsl). Grid: x = row segments,
// y = channel blocks, z = image · SH + row phase.
// MIXED: a block's channels may lie in different groups (Cin/groups not a multiple of the block).
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

${CONV_SHAPE}
const CB = ${CB}u;  // input channels per thread (4·NB)
const PB = ${PB}u;  // phase columns per thread (the row segment)
const WGX = ${WGX}u;
const WGY = ${WGY}u;

const ROWS = CIN;  // GEMM rows: input channels
const BLOCKS = (ROWS + 3u) / 4u;  // packed weight blocks of 4 rows
const KROW = COUT_G * KK;  // packed weights per block

// The first dY channel of the group of each of 4 input channels.
fn chanBase(ci: vec4u, n: u32) -> vec4u {
  return (n * COUT + (ci / CIN_G) * COUT_G) * NPIX;
}

${X_TAP_READS}

// Write 4 input channels from ci0 at input pixel (ih, iw) of image n.
fn writeChannels(acc: vec4f, ci0: u32, n: u32, ih: i32, iw: i32) {
  let ci = min(vec4u(ci0) + vec4u(0u, 1u, 2u, 3u), vec4u(CIN - 1u));
  let o = (n * CIN + ci) * HW + vec4u(u32(ih) * W + u32(iw));
  dx[o.x] = acc.x;
  if (ci0 + 1u < CIN) { dx[o.y] = acc.y; }
  if (ci0 + 2u < CIN) { dx[o.z] = acc.z; }
  if (ci0 + 3u < CIN) { dx[o.w] = acc.w; }
}

const IW_START = ${IW_START};  // first input column of this dispatch's column phase
const WP = ${WP}u;  // columns of the phase
const SEGMENTS = (WP + PB - 1u) / PB;  // row segments per phase row

// Store 4 input channels from ci0 at input row ih, phase column j.
fn storeRow(acc: vec4f, ci0: u32, n: u32, ih: i32, j: u32) {
  if (j >= WP || ci0 >= CIN) { return; }
  writeChannels(acc, ci0, n, ih, IW_START + i32(j) * SW);
}
@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.z / u32(SH);
  let ihStart = ((i32(wid.z % u32(SH)) - PH) % SH + SH) % SH;  // first row of the row phase
  let hp = (i32(H) - ihStart + SH - 1) / SH;
  let c0 = (wid.y * WGY + lid.y) * CB;  // first input channel of this thread
  let slot = wid.x * WGX + lid.x;
  let i = i32(slot / SEGMENTS);  // phase row
  // (the arrayLength tests keep dY and W in the layout of a column phase no tap reaches: it stores zeros)
  if (c0 >= CIN || i >= hp || arrayLength(&dy) == 0u || arrayLength(&wPacked) == 0u) { return; }
  let j0 = (slot % SEGMENTS) * PB;  // first phase column
  let ih = ihStart + i * SH;
${SETUP}
  for (var kh = 0u; kh < KH; kh++) {
    let th = ihStart + PH - i32(kh) * DH;
    if (th % SH != 0) { continue; }  // tap skipped by the stride in this row phase
    let oh = i + th / SH;
    if (u32(oh) >= HO) { continue; }
    for (var co = 0u; co < COUT_G; co++) {
      let wk = co * KK + kh * KW;  // GEMM k of (co, kh, kw = 0)
      let xk = co * NPIX + u32(oh) * WO;
${STEP}
    }
  }
${STORE}
}
