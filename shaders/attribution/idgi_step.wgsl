// IDGI on a chunk of R consecutive path points per image (rows image-major, b = i·R + r):
//   NORMS: n_b = Σ_d g_b[d]²   (one thread per row, compensated, in index order: deterministic)
//   STEP:  attr_i += Σ_{r<R−1} g_b ⊙ g_b · (f_{b+1} − f_b) / n_b, skipping n_b = 0 steps, whose Δf
//          is added to dropped_i instead (the authors' code would produce NaN there).
// Sizes are uniforms: one pipeline per mode and vector width serves every batch and chunk.
struct Sizes { rows: u32, dv: u32, r: u32, total: u32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read> grad: array<${T}>;
#if ${NORMS}
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;

// One thread per row, summing in index order with Kahan compensation (deterministic, and as
// precise as a tree over image-sized rows). A workgroup tree reduction cost ~5 % of a LeNet
// IDGI-64 call on SwiftShader, which runs each barrier as a fiber switch per lane.
${MAIN}
  if (i >= sizes.rows) { return; }
  var s = ${T}(0.0);
  var lost = ${T}(0.0);  // the low-order bits the running sum dropped
  let row = i * sizes.dv;
  for (var d = 0u; d < sizes.dv; d++) {
    let v = grad[row + d];
    let y = v * v - lost;
    let t = s + y;
    lost = (t - s) - y;
    s = t;
  }
  norms[i] = ${SUM};
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
