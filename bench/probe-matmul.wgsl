// The bench's yardstick (not used by the library): a register-blocked tiled matmul C = A·B that
// measures the device's practical peak GFLOP/s for GEMM-shaped work. Layouts are the probe's own,
// chosen so that every load is a vec4 and every multiply-add is part of a mat4x4 product:
//   a[k][M/4]: vec4 over 4 consecutive rows of A at one k
//   b[N][K/4]: vec4 over 4 consecutive k of one column of B
//   c[N][M/4]: vec4 over 4 consecutive rows of C at one column
// Each thread owns a 4 × 8 block of C (two mat4x4 accumulators); a workgroup of WGX × WGY threads
// covers a (4·WGX) × (8·WGY) tile, and adjacent threads share A's and B's vec4s through the cache.
// M, N, K are multiples of the tile (the bench chooses them), so there are no bounds checks.
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> b: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;

const M4 = ${M}u / 4u;
const K4 = ${K}u / 4u;
const WGX = ${WGX}u;
const WGY = ${WGY}u;

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let r4 = gid.x;          // row block
  let c0 = gid.y * 8u;     // first of 8 columns
  var acc0 = mat4x4f();
  var acc1 = mat4x4f();
  for (var k4 = 0u; k4 < K4; k4++) {
    let k = k4 * 4u;
    // A block: column j = rows r..r+3 at k+j; B blocks: column j = k..k+3 of column c0+j.
    let ak = mat4x4f(a[k * M4 + r4], a[(k + 1u) * M4 + r4], a[(k + 2u) * M4 + r4], a[(k + 3u) * M4 + r4]);
    let b0 = mat4x4f(b[c0 * K4 + k4], b[(c0 + 1u) * K4 + k4], b[(c0 + 2u) * K4 + k4], b[(c0 + 3u) * K4 + k4]);
    let b1 = mat4x4f(b[(c0 + 4u) * K4 + k4], b[(c0 + 5u) * K4 + k4], b[(c0 + 6u) * K4 + k4], b[(c0 + 7u) * K4 + k4]);
    acc0 += ak * b0;
    acc1 += ak * b1;
  }
  for (var j = 0u; j < 4u; j++) {
    c[(c0 + j) * M4 + r4] = acc0[j];
    c[(c0 + 4u + j) * M4 + r4] = acc1[j];
  }
}
