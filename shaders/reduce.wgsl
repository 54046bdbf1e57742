// Sum over the middle axis of x viewed as [OUTER, R, INNER] -> [OUTER, INNER], in a fixed order
// (deterministic, no atomics). SEQUENTIAL: one invocation per output walks R; otherwise one
// workgroup per output: lanes take strided slices of R, then a shared-memory tree.
// MASK (backward through a relu): x counts only where mask > 0. The sizes are uniforms.
struct Sizes { outer: u32, r: u32, inner: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> sizes: Sizes;
#if ${MASK}
@group(0) @binding(3) var<storage, read> mask: array<f32>;
#endif

fn term(idx: u32) -> f32 {
#if ${MASK}
  return select(0.0, x[idx], mask[idx] > 0.0);
#else
  return x[idx];
#endif
}

#if ${SEQUENTIAL}
${MAIN}
  let o = i;
  if (o >= sizes.outer * sizes.inner) { return; }
  let base = (o / sizes.inner) * sizes.r * sizes.inner + o % sizes.inner;
  var s = 0.0;
  for (var q = 0u; q < sizes.r; q++) { s += term(base + q * sizes.inner); }
  out[o] = s;
}
#else
var<workgroup> partial: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let o = wid.x + wid.y * nwg.x;  // uniform across the workgroup, so the early return is too
  if (o >= sizes.outer * sizes.inner) { return; }
  let base = (o / sizes.inner) * sizes.r * sizes.inner + o % sizes.inner;
  var s = 0.0;
  for (var q = lid; q < sizes.r; q += ${WG}u) { s += term(base + q * sizes.inner); }
  partial[lid] = s;
  for (var half = ${WG}u / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) { partial[lid] += partial[lid + half]; }
  }
  if (lid == 0u) { out[o] = partial[0]; }
}
#endif
