// Straight-line path points for a chunk of steps: points[i·S + s] = x'_i + α_s (x_i − x'_i).
// Rows are image-major; the S alphas of the chunk come in a uniform (packed 4 per vec4).
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read> baseline: array<${T}>;
@group(0) @binding(2) var<storage, read_write> points: array<${T}>;
@group(0) @binding(3) var<uniform> alphas: array<vec4<f32>, ${ALPHA_VEC4S}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${TOTAL}u) { return; }
  let d = i % ${DV}u;
  let row = i / ${DV}u;
  let s = row % ${S}u;
  let src = (row / ${S}u) * ${DV}u + d;
  let a = alphas[s / 4u][s % 4u];
  let b = baseline[src];
  points[i] = b + a * (x[src] - b);
}
