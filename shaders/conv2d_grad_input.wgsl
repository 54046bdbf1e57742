// conv2d input gradient of strided convs as an implicit GEMM over dY with the (implicitly flipped)
// weights (stride 1 runs as a forward, see src/ops/conv2d.ts):
//   dX[ci, ih, iw] = Σ_{co, kh, kw} W[co, ci, kh, kw] · dY[co, (ih+PH−kh·DH)/SH, (iw+PW−kw·DW)/SW]
// over the taps where those divisions are exact. Input pixels are split into SH×SW stride phases
// ((ih+PH) mod SH, (iw+PW) mod SW): inside a phase every pixel has the same set of valid taps, so
// the tap test is an integer test uniform across the workgroup and no lane multiplies by zeros
// the stride skipped. Each column phase with taps is one function (conv2d_grad_input_phase.wgsl)
// whose valid kw taps and dY column offsets are baked into its block code, so a thread takes 4·NB
// consecutive input channels × PB consecutive columns of one phase row and, per (kh, co), loads
// the dY row segment once for all its taps, as in conv2d.wgsl (block code generated unrolled by
// src/ops/conv2d.ts). A dispatch runs the column phases of its table (src/ops/conv2d.ts gives it
// one): `phases[k]` = (first input column, columns, row segments per phase row, first thread;
// workgroup aligned, so a workgroup runs one phase). Weights come packed as one vec4 per
// (input-channel block, (co, kh, kw)) (conv2d_pack_weight.wgsl). The `shape` uniform adds IMAGES, THREADS,
// ROWS (= CIN), BLOCKS, KROW.
// MIXED: a block's channels may lie in different groups (Cin/groups not a multiple of the block).
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> shape: ConvShape;
@group(0) @binding(4) var<uniform> phases: array<vec4i, ${PHASES}>;
${EPILOGUE}

${CONV_SHAPE}
const CB = ${CB}u;  // input channels per thread (4·NB)

// The first dY channel of the group of each of 4 input channels.
fn chanBase(ci: vec4u, n: u32) -> vec4u {
  return (n * shape.COUT + (ci / shape.CIN_G) * shape.COUT_G) * shape.NPIX;
}

${X_TAP_READS}

// What storeRow reads of `shape` and the column phase, loaded once per thread.
struct Dst { cin: u32, hw: u32, w: u32, sw: i32, iwStart: i32, wp: u32 }

// Store 4 input channels from ci0 at input row ih, phase column j of image n, through the epilogue
// (conv2d_epilogue.wgsl: + the gradient summed so far, the input's relu mask).
fn storeRow(acc: vec4f, ci0: u32, n: u32, ih: i32, j: u32, d: Dst) {
  if (j >= d.wp || ci0 >= d.cin) { return; }
  let iw = d.iwStart + i32(j) * d.sw;
  let ci = min(vec4u(ci0) + vec4u(0u, 1u, 2u, 3u), vec4u(d.cin - 1u));
  let o = (n * d.cin + ci) * d.hw + vec4u(u32(ih) * d.w + u32(iw));
  let v = residualAndMask(acc, o);
  dx[o.x] = v.x;
  if (ci0 + 1u < d.cin) { dx[o.y] = v.y; }
  if (ci0 + 2u < d.cin) { dx[o.z] = v.z; }
  if (ci0 + 3u < d.cin) { dx[o.w] = v.w; }
}

${PHASE_FUNCTIONS}

${MAIN}
  if (i >= shape.THREADS) { return; }
${PHASE_CALLS}
}
