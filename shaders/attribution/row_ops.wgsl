// Launchers of the row pieces (rows.wgsl, included before this), one workgroup per row of d values:
//   KTH:    out[row] = the k-th smallest of the row of `score` (rows with skip[row] ≠ 0 keep out[row])
//   REDUCE: out[row] = Σ_j TERM, TERM an expression of `u` = a[j] (and `v` = b[j] when BINARY)
struct Sizes { rows: u32, d: u32, k: u32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
#if ${KTH}
@group(0) @binding(2) var<storage, read> score: array<f32>;
#if ${SKIP}
@group(0) @binding(3) var<storage, read> skip: array<f32>;
#endif
#else
var<private> score: array<f32, 1>; // rowKthSmallest's input, unused here
@group(0) @binding(2) var<storage, read> a: array<f32>;
#if ${BINARY}
@group(0) @binding(3) var<storage, read> b: array<f32>;
#endif
#endif

@compute @workgroup_size(ROW_WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= sizes.rows) { return; }
  let base = row * sizes.d;
#if ${KTH}
#if ${SKIP}
  if (skip[row] != 0.0) { return; }
#endif
  let t = rowKthSmallest(base, sizes.d, sizes.k, lid);
  if (lid == 0u) { out[row] = t; }
#else
  var acc = 0.0;
  for (var j = lid; j < sizes.d; j += ROW_WG) {
    let u = a[base + j];
#if ${BINARY}
    let v = b[base + j];
#endif
    acc += ${TERM};
  }
  let total = rowSum(acc, lid);
  if (lid == 0u) { out[row] = total; }
#endif
}
