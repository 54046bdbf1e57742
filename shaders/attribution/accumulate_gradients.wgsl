// acc_i += Σ_s w_s · g_{i·S+s} (⊙ dir_{i·S+s} when DIR): the Riemann sum of a chunk of path
// gradients, fused so no per-step product is materialised. One thread per (image, feature vec).
// With sizes.times (a path's last chunk), the sum is then multiplied by the constant direction
// end − start (IG's x − x'), so no separate subtract and multiply dispatches. Sizes and the chunk's
// weights come as data: one pipeline serves every batch, step count and chunk.
struct Sizes { total: u32, dv: u32, s: u32, times: u32 }
@group(0) @binding(0) var<storage, read> grad: array<${T}>;
@group(0) @binding(1) var<storage, read_write> acc: array<${T}>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<uniform> sizes: Sizes;
#if ${DIR}
@group(0) @binding(4) var<storage, read> dir: array<${T}>;
#endif
@group(0) @binding(${START_AT}) var<storage, read> start: array<${T}>;
@group(0) @binding(${END_AT}) var<storage, read> end: array<${T}>;

${MAIN}
  if (i >= sizes.total) { return; }
  let d = i % sizes.dv;
  let img = i / sizes.dv;
  var sum = acc[i];
  for (var s = 0u; s < sizes.s; s++) {
    let src = (img * sizes.s + s) * sizes.dv + d;
#if ${DIR}
    sum += weights[s] * grad[src] * dir[src];
#else
    sum += weights[s] * grad[src];
#endif
  }
  if (sizes.times != 0u) { sum *= end[i] - start[i]; }
  acc[i] = sum;
}
