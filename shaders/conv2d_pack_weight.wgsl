// Repack conv2d weights [COUT, CIN_G, KH, KW] as vec4 over 4 consecutive channels of the GEMM's
// row dimension, so the GEMM kernels read one vec4 per k instead of 4 scattered scalars (a large
// win on CPU backends, and coalesced on GPUs). Lanes past the channel count repeat the last one.
//   forward (!TRANSPOSED): packed[b·K + k] = W[4b+i, k],  k = (ci, kh, kw),  K = CIN_G·KH·KW
//   input gradient (TRANSPOSED): packed[b·K + k] = W[g·COUT_G + co, ci mod CIN_G, kh, kw] for
//     input channel ci = 4b+i of group g,  k = (co, kh, kw),  K = COUT_G·KH·KW
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4f>;

const CIN = ${CIN}u;
const CIN_G = ${CIN_G}u;
const COUT = ${COUT}u;
const COUT_G = ${COUT_G}u;
const KK = ${KK}u;
const WG = ${WG}u;
#if ${TRANSPOSED}
const ROWS = CIN;
const K = COUT_G * KK;
#else
const ROWS = COUT;
const K = CIN_G * KK;
#endif
const TOTAL = ((ROWS + 3u) / 4u) * K;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;  // 2-D grid folded to 1-D
  if (i >= TOTAL) { return; }
  let k = i % K;
  let rows = min(vec4u((i / K) * 4u) + vec4u(0u, 1u, 2u, 3u), vec4u(ROWS - 1u));
#if ${TRANSPOSED}
  let src = ((rows / CIN_G * COUT_G + k / KK) * CIN_G + rows % CIN_G) * KK + k % KK;
#else
  let src = rows * K + k;
#endif
  packed[i] = vec4f(w[src.x], w[src.y], w[src.z], w[src.w]);
}
