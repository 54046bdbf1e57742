// Per path point (row b of a chunk, image b / S): the explained value f and the backward seed
// ∂f/∂logits, for f = the target logit or the target's softmax probability. With WEIGHT, the seed
// goes on through the model's last layer, a linear one (logits = x·Wᵀ + b, W [K, F]): one thread per
// (row b, feature j) writes dx[b, j] = Σ_c seed[b, c] W[c, j] instead of the seed (one kernel for
// two). With ARGMAX, instead writes each row's top-1 class (the 'auto' target) — all keep targets
// on the GPU. Rows, classes, rows per image and features are uniforms: one pipeline per variant.
struct Sizes { rows: u32, k: u32, s: u32, features: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<uniform> sizes: Sizes;
#if ${ARGMAX}
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;
#else
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(4) var<storage, read_write> f: array<f32>;
#if ${WEIGHT}
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
#else
@group(0) @binding(3) var<storage, read_write> seed: array<f32>;
#endif
#endif

${MAIN}
#if ${WEIGHT}
  let F = sizes.features;
  if (i >= sizes.rows * F) { return; }
  let b = i / F;
  let j = i % F;
#else
  let b = i;
  let j = 0u;
  if (b >= sizes.rows) { return; }
#endif
  let K = sizes.k;
  let base = b * K;
#if ${ARGMAX}
  var best = 0u;
  for (var c = 1u; c < K; c++) {
    if (logits[base + c] > logits[base + best]) { best = c; }
  }
  targets[b] = f32(best);
#else
  let t = u32(targets[b / sizes.s]);
#if ${PROB}
  var m = logits[base];
  for (var c = 1u; c < K; c++) { m = max(m, logits[base + c]); }
  var total = 0.0;
  for (var c = 0u; c < K; c++) { total += exp(logits[base + c] - m); }
  let pt = exp(logits[base + t] - m) / total;
#if ${WEIGHT}
  // seed[c] = pt (δ_ct − p_c): dx = pt (W[t, j] − Σ_c p_c W[c, j])
  var mean = 0.0;
  for (var c = 0u; c < K; c++) { mean += exp(logits[base + c] - m) / total * weight[c * F + j]; }
  dx[i] = pt * (weight[t * F + j] - mean);
#else
  for (var c = 0u; c < K; c++) {
    let pc = exp(logits[base + c] - m) / total;
    seed[base + c] = pt * (select(0.0, 1.0, c == t) - pc);
  }
#endif
  if (j == 0u) { f[b] = pt; }
#else
#if ${WEIGHT}
  dx[i] = weight[t * F + j];  // a one-hot seed picks W's target row
#else
  for (var c = 0u; c < K; c++) { seed[base + c] = select(0.0, 1.0, c == t); }
#endif
  if (j == 0u) { f[b] = logits[base + t]; }
#endif
#endif
}
