// Per path point (row b of a chunk, image b / S): the explained value f and the backward seed
// ∂f/∂logits, for f = the target logit or the target's softmax probability. With ARGMAX, instead
// writes each row's top-1 class (the 'auto' target) — both keep targets on the GPU.
// Rows, classes and rows per image are uniforms: one pipeline per variant.
struct Sizes { rows: u32, k: u32, s: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<uniform> sizes: Sizes;
#if ${ARGMAX}
@group(0) @binding(2) var<storage, read_write> targets: array<f32>;
#else
@group(0) @binding(2) var<storage, read> targets: array<f32>;
@group(0) @binding(3) var<storage, read_write> seed: array<f32>;
@group(0) @binding(4) var<storage, read_write> f: array<f32>;
#endif

${MAIN}
  let b = i;
  if (b >= sizes.rows) { return; }
  let K = sizes.k;
  let base = b * K;
#if ${ARGMAX}
  var best = 0u;
  for (var j = 1u; j < K; j++) {
    if (logits[base + j] > logits[base + best]) { best = j; }
  }
  targets[b] = f32(best);
#else
  let t = u32(targets[b / sizes.s]);
#if ${PROB}
  var m = logits[base];
  for (var j = 1u; j < K; j++) { m = max(m, logits[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < K; j++) { total += exp(logits[base + j] - m); }
  let pt = exp(logits[base + t] - m) / total;
  for (var j = 0u; j < K; j++) {
    let pj = exp(logits[base + j] - m) / total;
    seed[base + j] = pt * (select(0.0, 1.0, j == t) - pj);
  }
  f[b] = pt;
#else
  for (var j = 0u; j < K; j++) { seed[base + j] = select(0.0, 1.0, j == t); }
  f[b] = logits[base + t];
#endif
#endif
}
