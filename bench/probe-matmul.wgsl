// The bench's yardstick (not used by the library): a register-blocked tiled matmul C = A·B that
// measures the device's practical peak GFLOP/s for GEMM-shaped work. Layouts are the probe's own,
// chosen so that every load is a vec4 and every multiply-add is part of a mat4x4 product:
//   a[k][M/4]: vec4 over 4 consecutive rows of A at one k
//   b[N][K/4]: vec4 over 4 consecutive k of one column of B
//   c[N][M/4]: vec4 over 4 consecutive rows of C at one column
// Each thread owns an 8 × 8 block of C (four mat4x4 accumulators: 256 multiply-adds per 16 vec4
// loads); a workgroup of WGX × WGY threads covers a (8·WGX) × (8·WGY) tile, and neighbouring
// threads share A's and B's vec4s through the cache (workgroup memory is no faster on CPU
// backends). M, N, K are multiples of the tile (the bench picks them): no bounds checks.
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;

const M4 = ${M}u / 4u;
const K4 = ${K}u / 4u;
const WGX = ${WGX}u;
const WGY = ${WGY}u;

fn aBlock(k: u32, r4: u32) -> mat4x4f {
  return mat4x4f(a[k * M4 + r4], a[(k + 1u) * M4 + r4], a[(k + 2u) * M4 + r4], a[(k + 3u) * M4 + r4]);
}

fn bBlock(c0: u32, k4: u32) -> mat4x4f {
  return mat4x4f(b[c0 * K4 + k4], b[(c0 + 1u) * K4 + k4], b[(c0 + 2u) * K4 + k4], b[(c0 + 3u) * K4 + k4]);
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r4 = gid.x * 2u;     // first of two row blocks of 4
  let c0 = gid.y * 8u;     // first of 8 columns
  var acc00 = mat4x4f();
  var acc01 = mat4x4f();
  var acc10 = mat4x4f();
  var acc11 = mat4x4f();
  for (var k4 = 0u; k4 < K4; k4++) {
    // A blocks: column j = 4 rows at k+j; B blocks: column j = k..k+3 of one output column.
    let a0 = aBlock(k4 * 4u, r4);
    let a1 = aBlock(k4 * 4u, r4 + 1u);
    let b0 = bBlock(c0, k4);
    let b1 = bBlock(c0 + 4u, k4);
    acc00 += a0 * b0;
    acc01 += a0 * b1;
    acc10 += a1 * b0;
    acc11 += a1 * b1;
  }
  for (var j = 0u; j < 4u; j++) {
    c[(c0 + j) * M4 + r4] = acc00[j];
    c[(c0 + 4u + j) * M4 + r4] = acc01[j];
    c[(c0 + j) * M4 + r4 + 1u] = acc10[j];
    c[(c0 + 4u + j) * M4 + r4 + 1u] = acc11[j];
  }
}
