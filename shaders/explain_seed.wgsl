// Per path point (row b of a chunk, image b / S): the explained value f and the backward seed
// ∂f/∂logits, for f = the target logit or the target's softmax probability. With ARGMAX, instead
// writes each row's top-1 class (the 'auto' target) — both keep targets on the GPU.
@group(0) @binding(0) var<storage, read> logits: array<f32>;
#if ${ARGMAX}
@group(0) @binding(1) var<storage, read_write> targets: array<f32>;
#else
@group(0) @binding(1) var<storage, read> targets: array<f32>;
@group(0) @binding(2) var<storage, read_write> seed: array<f32>;
@group(0) @binding(3) var<storage, read_write> f: array<f32>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let b = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (b >= ${ROWS}u) { return; }
  let base = b * ${K}u;
#if ${ARGMAX}
  var best = 0u;
  for (var j = 1u; j < ${K}u; j++) {
    if (logits[base + j] > logits[base + best]) { best = j; }
  }
  targets[b] = f32(best);
#else
  let t = u32(targets[b / ${S}u]);
#if ${PROB}
  var m = logits[base];
  for (var j = 1u; j < ${K}u; j++) { m = max(m, logits[base + j]); }
  var total = 0.0;
  for (var j = 0u; j < ${K}u; j++) { total += exp(logits[base + j] - m); }
  let pt = exp(logits[base + t] - m) / total;
  for (var j = 0u; j < ${K}u; j++) {
    let pj = exp(logits[base + j] - m) / total;
    seed[base + j] = pt * (select(0.0, 1.0, j == t) - pj);
  }
  f[b] = pt;
#else
  for (var j = 0u; j < ${K}u; j++) { seed[base + j] = select(0.0, 1.0, j == t); }
  f[b] = logits[base + t];
#endif
#endif
}
