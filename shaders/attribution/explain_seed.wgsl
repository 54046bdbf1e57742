// Per path point (row b of a chunk, image b / S): the explained value f and the backward seed
// ∂f/∂logits, for f = the target logit or the target's softmax probability; one thread per seed
// value. With WEIGHT, the seed goes on through the model's last layer, a linear one (logits =
// x·Wᵀ + b, W [K, F]): thread (b, j) writes out[b, j] = Σ_c seed[b, c] W[c, j] instead (one kernel
// for two). Rows, classes, rows per image and F (K without WEIGHT) are uniforms.
struct Sizes { rows: u32, k: u32, s: u32, features: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<uniform> sizes: Sizes;
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> f: array<f32>;
#if ${WEIGHT}
@group(0) @binding(5) var<storage, read> weight: array<f32>;
#endif

// A row's target t and, for the probability, its max logit m and Σ_c exp(logit_c − m).
struct Row { base: u32, t: u32, m: f32, total: f32 }

// ∂f/∂logit_c: one-hot, or p_t (δ_ct − p_c) for the probability
fn seedOf(r: Row, c: u32) -> f32 {
  let onehot = select(0.0, 1.0, c == r.t);
#if ${PROB}
  return exp(logits[r.base + r.t] - r.m) / r.total * (onehot - exp(logits[r.base + c] - r.m) / r.total);
#else
  return onehot;
#endif
}

${MAIN}
  let F = sizes.features;
  if (i >= sizes.rows * F) { return; }
  let b = i / F;
  let j = i % F;
  let K = sizes.k;
  var r = Row(b * K, u32(targets[b / sizes.s]), logits[b * K], 0.0);
#if ${PROB}
  for (var c = 1u; c < K; c++) { r.m = max(r.m, logits[r.base + c]); }
  for (var c = 0u; c < K; c++) { r.total += exp(logits[r.base + c] - r.m); }
  if (j == 0u) { f[b] = exp(logits[r.base + r.t] - r.m) / r.total; }
#else
  if (j == 0u) { f[b] = logits[r.base + r.t]; }
#endif
#if ${WEIGHT}
  var acc = 0.0;
  for (var c = 0u; c < K; c++) { acc += seedOf(r, c) * weight[c * F + j]; }
  out[i] = acc;
#else
  out[i] = seedOf(r, j);
#endif
}
