// Repack conv2d weights [COUT, CIN_G, KH, KW] as vec4 over 4 consecutive channels of the GEMM's
// row dimension, so the GEMM kernels read one vec4 per k instead of 4 scattered scalars (a large
// win on CPU backends, and coalesced on GPUs). Lanes past the channel count repeat the last one.
//   forward (!transposed): packed[b·K + k] = W[4b+i, k],  k = (ci, kh, kw),  K = CIN_G·KH·KW
//   input gradient (transposed): packed[b·K + k] = W[g·COUT_G + co, ci mod CIN_G, kh, kw] for
//     input channel ci = 4b+i of group g,  k = (co, kh, kw),  K = COUT_G·KH·KW
// Done once per weight contents (src/ops/conv2d.ts), so the sizes are uniforms.
struct Sizes { total: u32, cinG: u32, coutG: u32, kk: u32, rows: u32, k: u32, transposed: u32 }
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4f>;
@group(0) @binding(2) var<uniform> sizes: Sizes;

${MAIN}
  if (i >= sizes.total) { return; }
  let k = i % sizes.k;
  let rows = min(vec4u((i / sizes.k) * 4u) + vec4u(0u, 1u, 2u, 3u), vec4u(sizes.rows - 1u));
  let cinG = sizes.cinG;
  let kk = sizes.kk;
  let transposedSrc = ((rows / cinG * sizes.coutG + k / kk) * cinG + rows % cinG) * kk + k % kk;
  let src = select(rows * sizes.k + k, transposedSrc, sizes.transposed != 0u);
  packed[i] = vec4f(w[src.x], w[src.y], w[src.z], w[src.w]);
}
