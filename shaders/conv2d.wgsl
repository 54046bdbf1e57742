// conv2d forward as an implicit GEMM: for each image, Y[co, p] = Σ_k W[co, k] · im2col(X)[k, p]
// with k = (ci, kh, kw) running over the channels of co's group, in row segments: each thread
// owns 4·NB consecutive output channels × PB consecutive pixels of one output row, and the loops
// run over (kh, ci) with the KW taps unrolled: one load of the input row segment under them feeds
// every (pixel, kw) pair that reads it, so each x value is loaded once per (kh, ci) rather than
// once per tap (KW× fewer loads at stride 1; what lets few-channel layers reach the FMA units).
// src/ops/conv2d.ts generates the unrolled block code (SETUP / STEP; STORE copies the
// accumulators into an array once and loops over it, since unrolled epilogues dominated compile
// time): SwiftShader does not unroll loops and keeps indexed arrays in memory, and its per-lane
// loads cost far more than its FMAs. The im2col matrix is never materialised. Weights come packed as one vec4 per
// (channel block, k) (conv2d_pack_weight.wgsl). The geometry is the `shape` uniform; the sizes
// it adds: IMAGES of the chunk, THREADS, ROWS (= COUT), BLOCKS of 4 rows, KROW (packed weights
// per block), SEGMENTS per output row, SLOTS (= HO · SEGMENTS) per image and the RELU flag.
// MIXED: the channels of one block may lie in different groups (Cout/groups not a multiple of the
// block, e.g. depthwise), so each lane reads its own input channel.
// Pixel lanes (layers of <= 8 output channels, no groups): a thread owns every channel × 4
// sub-segments of the row, an accumulator's lanes are 4 pixels of one channel and storePixels
// writes it (PB is then the thread's whole span). The block's shape, its FMA order and the
// workgroup size are the layer's ConvTuning (src/ops/conv2d-tuning.ts); all give the same bits.
// FLIP reads the weights with both taps mirrored: the input gradient of a stride-1 conv is this
// forward over dY with the transposed, flipped kernel (src/ops/conv2d.ts); its residual is the
// gradient summed so far and MASK applies the input's relu mask to the sum.
// The bindings (x, wPacked, y, shape, bias) and the store: conv2d_store.wgsl.
${STORE_CODE}

${CONV_SHAPE}
const CB = ${CB}u;  // output channels per thread (4·NB)
const PB = ${PB}u;  // output pixels per thread (the row segment)

// The first input channel of the group of each of 4 output channels.
fn chanBase(co: vec4u, n: u32) -> vec4u {
  return (n * shape.CIN + (co / shape.COUT_G) * shape.CIN_G) * shape.HW;
}

${X_TAP_READS}

// The pixel-lane block's store: channel co at 4 columns `col` of the output row.
fn storePixels(acc: vec4f, co: u32, col: vec4u, pixRow: u32, n: u32, e: Out) {
  if (co >= e.cout) { return; }
#if ${HAS_BIAS}
  var v = acc + bias[co];
#else
  var v = acc;
#endif
  let o = (n * e.cout + co) * e.npix + pixRow + min(col, vec4u(e.wo - 1u));
  v = residualAndMask(v, o);
  v = select(v, max(v, vec4f(0.0)) + (v - v), e.relu);
  if (col.x < e.wo) { y[o.x] = v.x; }
  if (col.y < e.wo) { y[o.y] = v.y; }
  if (col.z < e.wo) { y[o.z] = v.z; }
  if (col.w < e.wo) { y[o.w] = v.w; }
}

${MAIN}
  if (i >= shape.THREADS) { return; }
  // i = (channel block · IMAGES + image) · SLOTS + slot: adjacent lanes take adjacent segments
  let slot = i % shape.SLOTS;
  let n = (i / shape.SLOTS) % shape.IMAGES;
  let c0 = (i / (shape.SLOTS * shape.IMAGES)) * CB;  // first output channel of this thread
  // Pixels of this thread: columns j0 .. j0 + PB - 1 of output row r.
  let r = slot / shape.SEGMENTS;
  let j0 = (slot % shape.SEGMENTS) * PB;
${SETUP}
  let kernelH = shape.KH;
  let kernelW = shape.KW;
  let cinG = shape.CIN_G;
  let kk = shape.KK;
  let hw = shape.HW;
  let ih0 = i32(r) * shape.SH - shape.PH;
  for (var kh = 0u; kh < kernelH; kh++) {
    let ih = ih0 + i32(kh) * shape.DH;
    if (u32(ih) >= shape.H) { continue; }  // the whole segment reads padding at this kh
#if ${FLIP}
    let wTapRow = (kernelH - 1u - kh) * kernelW;
#else
    let wTapRow = kh * kernelW;
#endif
    let xRow = u32(ih) * shape.W;
    for (var ci = 0u; ci < cinG; ci++) {
      let wk = ci * kk + wTapRow;  // GEMM k of (ci, kh, kw = 0 or KW - 1)
      let xk = ci * hw + xRow;
${STEP}
    }
  }
  let out = Out(shape.COUT, shape.NPIX, shape.WO, shape.RELU != 0u);
  let pixRow = r * out.wo;
${STORE}
}
