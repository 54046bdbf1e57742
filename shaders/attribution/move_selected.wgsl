// Masked move toward a bound (rows.wgsl included before this), one thread per feature of a
// [rows, d] tensor: features whose score ≤ threshold[row] (and finite) move by gamma[row] toward
// the bound, landing on it when γ ≥ 1; γ = 0 leaves the row (a done image). With CREDIT, the move
// is credited: attribution += (z_new − z_old) ⊙ grad.
struct Sizes { total: u32, d: u32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read> bound: array<f32>;
@group(0) @binding(3) var<storage, read> score: array<f32>;
@group(0) @binding(4) var<storage, read> threshold: array<f32>;
@group(0) @binding(5) var<storage, read> gamma: array<f32>;
#if ${CREDIT}
@group(0) @binding(6) var<storage, read> grad: array<f32>;
@group(0) @binding(7) var<storage, read_write> attribution: array<f32>;
#endif

${MAIN}
  if (i >= sizes.total) { return; }
  let row = i / sizes.d;
  let v = score[i];
  let g = gamma[row];
  if (g == 0.0 || v > threshold[row] || v == infinity()) { return; }
  let moved = moveToward(z[i], bound[i], g);
#if ${CREDIT}
  attribution[i] += (moved - z[i]) * grad[i];
#endif
  z[i] = moved;
}
