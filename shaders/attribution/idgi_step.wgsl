// IDGI on a chunk of R consecutive path points per image (rows image-major, b = i·R + r):
//   NORMS: n_b = Σ_d g_b[d]²   (one workgroup per row, fixed-order tree reduction: deterministic)
//   STEP:  attr_i += Σ_{r<R−1} g_b ⊙ g_b · (f_{b+1} − f_b) / n_b, skipping n_b = 0 steps, whose Δf
//          is added to dropped_i instead (the authors' code would produce NaN there).
// Sizes are uniforms: one pipeline per mode and vector width serves every batch and chunk.
struct Sizes { rows: u32, dv: u32, r: u32, total: u32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read> grad: array<${T}>;
#if ${NORMS}
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;
var<workgroup> partial: array<f32, ${WG}>;

${MAIN}
  let b = wid.x + wid.y * nwg.x;  // one workgroup per row (the prologue's flat i is unused)
  var s = 0.0;
  if (b < sizes.rows) {
    for (var d = lid; d < sizes.dv; d += ${WG}u) {
      let v = grad[b * sizes.dv + d];
      s += ${SUMSQ};
    }
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var stride = ${WG}u / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid == 0u && b < sizes.rows) { norms[b] = partial[0]; }
}
#else
@group(0) @binding(2) var<storage, read> norms: array<f32>;
@group(0) @binding(3) var<storage, read> f: array<f32>;
@group(0) @binding(4) var<storage, read_write> attr: array<${T}>;
@group(0) @binding(5) var<storage, read_write> dropped: array<f32>;

${MAIN}
  if (i >= sizes.total) { return; }
  let d = i % sizes.dv;
  let img = i / sizes.dv;
  var sum = attr[i];
  var lost = 0.0;
  for (var r = 0u; r + 1u < sizes.r; r++) {
    let b = img * sizes.r + r;
    let n = norms[b];
    let df = f[b + 1u] - f[b];
    if (n > 0.0) {
      let g = grad[b * sizes.dv + d];
      sum += g * g * (df / n);
    } else {
      lost += df;
    }
  }
  attr[i] = sum;
  if (d == 0u) { dropped[img] += lost; }
}
#endif
