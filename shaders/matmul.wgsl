// Batched C[b] = op(A[b]) · op(B[b]) (+ bias per column, optional relu), register-blocked: each
// invocation owns a TM x 4·TN4 block of C held in vec4 accumulators and reads A and B straight
// from storage (staging through workgroup memory measured slower on SwiftShader, whose
// workgroup loads cost as much as storage loads and whose barriers switch coroutines).
// Shapes, transposes and the load pattern are baked in; src/ops/matmul.ts generates the fully
// unrolled k-steps (LOAD_STEP / LOAD_TAIL), because SwiftShader does not unroll loops and would
// keep indexed arrays in memory. Reads clamp to the last valid row/column instead of branching,
// so the inner loop has no conditionals; only the epilogue checks bounds.
@group(0) @binding(0) var<storage, read> A: array<${A_TYPE}>;
@group(0) @binding(1) var<storage, read> B: array<${B_TYPE}>;
@group(0) @binding(2) var<storage, read_write> C: array<${C_TYPE}>;
#if ${BIAS}
@group(0) @binding(3) var<storage, read> bias: array<f32>;
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
  if (tile >= ${TILES}u) { return; }
  let batch = tile / ${TILES_PER_BATCH}u;
  let tileInBatch = tile % ${TILES_PER_BATCH}u;
  let m0 = (tileInBatch / ${TILES_N}u) * ${BM}u + lid.y * ${TM}u;
  let n0 = (tileInBatch % ${TILES_N}u) * ${BN}u + lid.x * ${TNW}u;
  let aBatch = batch * ${A_BATCH_STRIDE}u;
  let bBatch = batch * ${B_BATCH_STRIDE}u;
${SETUP}
${ACC_DECL}
  for (var k = 0u; k < ${K_MAIN}u; k += ${KU}u) {
${LOAD_STEP}
  }
${LOAD_TAIL}
${EPILOGUE}
}
