// The bench's yardstick (not used by the library): a register-blocked tiled matmul C = A·B that
// measures the device's practical peak GFLOP/s for GEMM-shaped work. Layouts are the probe's own,
// chosen so that every load is a vec4 and no load is repeated within a thread:
//   a[K][M/4]: vec4 over 4 consecutive rows of A at one k
//   b[K][N/4]: vec4 over 4 consecutive columns of B at one k
//   c[N][M/4]: vec4 over 4 consecutive rows of C at one column
// Each thread owns a 16 × 16 block of C in sixteen mat4x4 accumulators (column j = 4 rows of one
// output column) and adds one outer product per k: 256 multiply-adds per 8 vec4 loads (written
// out: SwiftShader neither unrolls loops nor keeps indexed arrays in registers). A workgroup of
// WGX × WGY threads covers a (16·WGX) × (16·WGY) tile; neighbouring threads share
// A's and B's vec4s through the cache (workgroup memory is no faster on CPU backends). M, N, K
// are multiples of the tile (the bench picks them): no bounds checks.
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;

const M4 = ${M}u / 4u;
const N4 = ${N}u / 4u;
const K = ${K}u;
const WGX = ${WGX}u;
const WGY = ${WGY}u;

fn outer(u: vec4f, v: vec4f) -> mat4x4f {
  return mat4x4f(u * v.x, u * v.y, u * v.z, u * v.w);
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r4 = gid.x * 4u;  // first of 4 row blocks of 4
  let c4 = gid.y * 4u;  // first of 4 column blocks of 4
  var acc00 = mat4x4f(); var acc01 = mat4x4f(); var acc02 = mat4x4f(); var acc03 = mat4x4f();
  var acc10 = mat4x4f(); var acc11 = mat4x4f(); var acc12 = mat4x4f(); var acc13 = mat4x4f();
  var acc20 = mat4x4f(); var acc21 = mat4x4f(); var acc22 = mat4x4f(); var acc23 = mat4x4f();
  var acc30 = mat4x4f(); var acc31 = mat4x4f(); var acc32 = mat4x4f(); var acc33 = mat4x4f();
  for (var k = 0u; k < K; k++) {
    let a0 = a[k * M4 + r4 + 0u];
    let a1 = a[k * M4 + r4 + 1u];
    let a2 = a[k * M4 + r4 + 2u];
    let a3 = a[k * M4 + r4 + 3u];
    let b0 = b[k * N4 + c4 + 0u];
    let b1 = b[k * N4 + c4 + 1u];
    let b2 = b[k * N4 + c4 + 2u];
    let b3 = b[k * N4 + c4 + 3u];
    acc00 += outer(a0, b0); acc01 += outer(a0, b1); acc02 += outer(a0, b2); acc03 += outer(a0, b3);
    acc10 += outer(a1, b0); acc11 += outer(a1, b1); acc12 += outer(a1, b2); acc13 += outer(a1, b3);
    acc20 += outer(a2, b0); acc21 += outer(a2, b1); acc22 += outer(a2, b2); acc23 += outer(a2, b3);
    acc30 += outer(a3, b0); acc31 += outer(a3, b1); acc32 += outer(a3, b2); acc33 += outer(a3, b3);
  }
  for (var j = 0u; j < 4u; j++) {
    let col0 = (c4 * 4u + 0u + j) * M4 + r4;
    c[col0 + 0u] = acc00[j]; c[col0 + 1u] = acc10[j]; c[col0 + 2u] = acc20[j]; c[col0 + 3u] = acc30[j];
    let col1 = (c4 * 4u + 4u + j) * M4 + r4;
    c[col1 + 0u] = acc01[j]; c[col1 + 1u] = acc11[j]; c[col1 + 2u] = acc21[j]; c[col1 + 3u] = acc31[j];
    let col2 = (c4 * 4u + 8u + j) * M4 + r4;
    c[col2 + 0u] = acc02[j]; c[col2 + 1u] = acc12[j]; c[col2 + 2u] = acc22[j]; c[col2 + 3u] = acc32[j];
    let col3 = (c4 * 4u + 12u + j) * M4 + r4;
    c[col3 + 0u] = acc03[j]; c[col3 + 1u] = acc13[j]; c[col3 + 2u] = acc23[j]; c[col3 + 3u] = acc33[j];
  }
}
