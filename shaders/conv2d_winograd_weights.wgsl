// Winograd F(2×2, 3×3) weights (conv2d_winograd.wgsl): U = G g Gᵀ for every (block of 4 output
// channels, input channel), from the packed 3×3 kernels (conv2d_pack_weight.wgsl: one vec4 over 4
// output channels per (block, ci, tap)), FLIP mirroring both taps (the input gradient as a
// forward). Written as one vec4 per (block, ci, element t = 4·row + column). Once per weight set.
struct Sizes { total: u32, cin: u32, flip: u32 }
@group(0) @binding(0) var<storage, read> packed: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> u: array<vec4f>;
@group(0) @binding(2) var<uniform> sizes: Sizes;

// G's rows: the transform of one kernel row (or column) into 4 elements
const G = array<vec3f, 4>(vec3f(1.0, 0.0, 0.0), vec3f(0.5, 0.5, 0.5), vec3f(0.5, -0.5, 0.5), vec3f(0.0, 0.0, 1.0));

${MAIN}
  if (i >= sizes.total) { return; }  // i = block · CIN + ci
  var g: array<vec4f, 9>;
  for (var tap = 0u; tap < 9u; tap++) {
    g[tap] = packed[i * 9u + select(tap, 8u - tap, sizes.flip != 0u)];
  }
  for (var a = 0u; a < 4u; a++) {
    // row a of G g: Σ_r G[a][r] · g[r][·]
    var ga: array<vec4f, 3>;
    for (var c = 0u; c < 3u; c++) {
      ga[c] = G[a].x * g[c] + G[a].y * g[3u + c] + G[a].z * g[6u + c];
    }
    for (var b = 0u; b < 4u; b++) {
      u[i * 16u + a * 4u + b] = G[b].x * ga[0] + G[b].y * ga[1] + G[b].z * ga[2];
    }
  }
}
