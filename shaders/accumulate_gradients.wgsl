// acc_i += Σ_s w_s · g_{i·S+s} (⊙ dir_{i·S+s} when DIR): the Riemann sum of a chunk of path
// gradients, fused so no per-step product is materialised. One thread per (image, feature vec).
@group(0) @binding(0) var<storage, read> grad: array<${T}>;
@group(0) @binding(1) var<storage, read_write> acc: array<${T}>;
@group(0) @binding(2) var<uniform> weights: array<vec4<f32>, ${W_VEC4S}>;
#if ${DIR}
@group(0) @binding(3) var<storage, read> dir: array<${T}>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${TOTAL}u) { return; }
  let d = i % ${DV}u;
  let img = i / ${DV}u;
  var sum = acc[i];
  for (var s = 0u; s < ${S}u; s++) {
    let src = (img * ${S}u + s) * ${DV}u + d;
#if ${DIR}
    sum += weights[s / 4u][s % 4u] * grad[src] * dir[src];
#else
    sum += weights[s / 4u][s % 4u] * grad[src];
#endif
  }
  acc[i] = sum;
}
