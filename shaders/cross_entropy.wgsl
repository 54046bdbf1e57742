// Gradient of the batch-mean cross-entropy w.r.t. the logits: (p − onehot(label)) / N.
// A label that is not an integer in [0, C) gives NaN for its row (see softmax.wgsl).
@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<f32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${N}u * ${C}u) { return; }
  let label = labels[i / ${C}u];
  let ok = label >= 0.0 && label < f32(${C}u) && floor(label) == label;
  let hit = select(0.0, 1.0, f32(i % ${C}u) == label);
  let g = (probs[i] - hit) * ${INV_N};
  dlogits[i] = select(bitcast<f32>(0x7fc00000u | (lid & 0u)), g, ok);
}
