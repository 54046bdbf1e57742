// Straight-line path points for a chunk of steps: points[i·S + s] = x'_i + α_s (x_i − x'_i).
// Rows are image-major; the S alphas of the chunk come as host data. Sizes are uniforms, so one
// pipeline serves every batch, step count and chunk.
struct Sizes { total: u32, dv: u32, s: u32 }
@group(0) @binding(0) var<storage, read> x: array<${T}>;
@group(0) @binding(1) var<storage, read> baseline: array<${T}>;
@group(0) @binding(2) var<storage, read_write> points: array<${T}>;
@group(0) @binding(3) var<storage, read> alphas: array<f32>;
@group(0) @binding(4) var<uniform> sizes: Sizes;

${MAIN}
  if (i >= sizes.total) { return; }
  let d = i % sizes.dv;
  let row = i / sizes.dv;
  let src = (row / sizes.s) * sizes.dv + d;
  let a = alphas[row % sizes.s];
  let b = baseline[src];
  points[i] = b + a * (x[src] - b);
}
