// conv2d forward of a 3×3, stride-1, dilation-1, ungrouped conv by Winograd F(2×2, 3×3) (Lavin &
// Gray 2015): per 2×2 output tile and (input, output) channel pair, 16 multiplies instead of 36.
//   Y_tile = Aᵀ [ Σ_ci U[co, ci] ⊙ V[ci] ] A,   V = Bᵀ d B (d: the tile's 4×4 input patch),
//   U = G g Gᵀ (g: the 3×3 kernel; conv2d_winograd_weights.wgsl, once per weight set).
// Each thread owns 4·NB output channels × TILES horizontally adjacent tiles of one tile row; per
// input channel it loads the (4 × (2·TILES + 2)) patch once, transforms each tile's 4×4 with adds
// only, and takes 16 vec4 multiply-adds per tile and channel block against one vec4 of U per
// (block, element). src/ops/conv2d-winograd.ts generates the unrolled SETUP / STEP / TILE_OUT code
// (SwiftShader neither unrolls loops nor keeps indexed arrays in registers, as in conv2d.wgsl).
// The sum over input channels runs in a fixed order, so the bits are the same on every run; they
// differ from conv2d.wgsl's direct sum by float32 rounding. The input gradient runs as this forward
// over dY with the flipped, transposed kernel, already in U. SHARE_WEIGHTS (4-lane subgroups):
// every lane loads only a quarter of its blocks' U (4 of the 16 elements) and takes the rest from
// the other 3 lanes of its subgroup (subgroupBroadcast): the same values, so the same bits; on
// SwiftShader each per-lane load is gathered lane by lane, and those loads
// were the kernel's bound. The bias, residual, mask and relu are conv2d.wgsl's store
// (conv2d_store.wgsl). The `shape` uniform adds IMAGES, THREADS, ROWS (= COUT), BLOCKS of 4 rows,
// KROW (vec4 of U per block: 16 · CIN), SEGMENTS (tile strips per tile row), SLOTS (tile rows ·
// strips) and BLOCK_THREADS (threads per channel block).
#if ${SHARE_WEIGHTS}
enable subgroups;
#endif

// The bindings (x, wPacked, y, shape, bias) and the store: conv2d_store.wgsl.
${STORE_CODE}

${CONV_SHAPE}
const CB = ${CB}u;  // output channels per thread (4·NB)

@compute @workgroup_size(64)
#if ${SHARE_WEIGHTS}
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) subgroupLane: u32) {
  let lane = subgroupLane;  // 0 .. 3: subgroups are 4 lanes (winogradCode)
#else
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
#endif
  let i = (wid.x + wid.y * nwg.x) * 64u + lid;
  // no early return: the weight sharing needs every lane of a subgroup in the loop (lanes past the
  // end recompute the last thread's tiles and store nothing)
  let t = min(i, shape.THREADS - 1u);
  // t = channel block · BLOCK_THREADS + (image · SLOTS + slot): BLOCK_THREADS, a multiple of 4, keeps
  // every 4 consecutive lanes in one channel block
  let c0 = (t / shape.BLOCK_THREADS) * CB;  // first output channel of this thread
  let slot = (t % shape.BLOCK_THREADS) % shape.SLOTS;
  let n = min((t % shape.BLOCK_THREADS) / shape.SLOTS, shape.IMAGES - 1u);
  let live = i < shape.THREADS && t % shape.BLOCK_THREADS < shape.IMAGES * shape.SLOTS;
  // the thread's tiles: output rows oy0, oy0 + 1, columns ox0 .. ox0 + 2·TILES − 1
  let oy0 = (slot / shape.SEGMENTS) * 2u;
  let ox0 = (slot % shape.SEGMENTS) * ${TILE_COLUMNS}u;
  let iy0 = i32(oy0) - shape.PH;
  let ix0 = i32(ox0) - shape.PW;
${SETUP}
  let cin = shape.CIN;
  let hw = shape.HW;
  for (var ci = 0u; ci < cin; ci++) {
    let xk = xChan + ci * hw;
    let wk = ci * 16u;
${STEP}
  }
  let out = Out(shape.COUT, shape.NPIX, shape.WO, shape.RELU != 0u);
${TILE_OUT}
}
