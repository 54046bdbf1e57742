// Batched C[b] = op(A[b]) · op(B[b]) (+ bias per column, optional relu), register-blocked: each
// invocation owns a TM x 4·TN4 block of C held in vec4 accumulators and reads A and B straight
// from storage (staging through workgroup memory measured slower on SwiftShader, whose
// workgroup loads cost as much as storage loads and whose barriers switch coroutines).
// Transposes and the load pattern are baked in, the sizes are uniforms; src/ops/matmul.ts
// generates the fully unrolled k-steps (LOAD_STEP, and LOAD_TAIL for the k % KU remainder),
// because SwiftShader does not unroll loops and would keep indexed arrays in memory. Reads clamp
// to the last valid row/column instead of branching, so the inner loop has no conditionals; only
// the epilogue checks bounds.
#if ${F16}
// The f16 path (engine option f16): operands rounded to f16, products exact in f32, f32 sums.
enable f16;
fn f16r(x: f32) -> f32 { return f32(f16(x)); }
fn f16r4(x: vec4<f32>) -> vec4<f32> { return vec4<f32>(vec4<f16>(x)); }
#endif
struct Sizes {
  m: u32, n: u32, k: u32, kMain: u32,
  tilesN: u32, tilesPerBatch: u32, tiles: u32,
  aStride: u32, bStride: u32,
}
@group(0) @binding(0) var<storage, read> A: array<${A_TYPE}>;
@group(0) @binding(1) var<storage, read> B: array<${B_TYPE}>;
@group(0) @binding(2) var<storage, read_write> C: array<${C_TYPE}>;
@group(0) @binding(3) var<uniform> sizes: Sizes;
#if ${BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#if ${MASK_A}
// Backward through a relu: A is dy and maskA the relu output; dy counts only where it was > 0.
@group(0) @binding(${MASK_BINDING}) var<storage, read> maskA: array<${A_TYPE}>;
#endif

@compute @workgroup_size(${WGX}, ${WGY})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  // All (batch, tile row, tile column) workgroups linearised, then folded into a 2-D grid.
  let tile = wid.x + wid.y * nwg.x;
  if (tile >= sizes.tiles) { return; }
  let M = sizes.m;
  let N = sizes.n;
  let K = sizes.k;
  let batch = tile / sizes.tilesPerBatch;
  let tileInBatch = tile % sizes.tilesPerBatch;
  let m0 = (tileInBatch / sizes.tilesN) * ${BM}u + lid.y * ${TM}u;
  let n0 = (tileInBatch % sizes.tilesN) * ${BN}u + lid.x * ${TNW}u;
  let aBatch = batch * sizes.aStride;
  let bBatch = batch * sizes.bStride;
${SETUP}
${ACC_DECL}
  for (var k = 0u; k < sizes.kMain; k += ${KU}u) {
${LOAD_STEP}
  }
  for (var k = sizes.kMain; k < K; k += ${TAIL_STEP}u) {
${LOAD_TAIL}
  }
${EPILOGUE}
}
