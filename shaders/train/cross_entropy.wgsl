// Batch-mean cross-entropy of logits [N, C] against class labels (float32 holding integers).
// LOSS: one workgroup walks the batch (a fixed-order mean): per row, with k = argmax p,
//   −log softmax(x)[label] = logsumexp(x) − x[label] = x[k] − log p[k] − x[label]
//   (p[k] ≥ 1/C, so its log loses nothing even when p[label] underflows).
// else: the gradient w.r.t. the logits, (p − onehot(label)) / N.
// A label that is not an integer in [0, C) gives NaN (labelsTensor validates them on the CPU).
struct Sizes { n: u32, c: u32 }
@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<f32>;
@group(0) @binding(2) var<uniform> sizes: Sizes;
#if ${LOSS}
@group(0) @binding(3) var<storage, read> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
#else
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
#endif

fn validLabel(label: f32) -> bool {
  return label >= 0.0 && label < f32(sizes.c) && floor(label) == label;
}

// A NaN the compiler cannot fold away (a constant NaN is an error in WGSL).
fn nan(lid: u32) -> f32 {
  return bitcast<f32>(0x7fc00000u | (lid & 0u));
}

#if ${LOSS}
var<workgroup> part: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var total = 0.0;
  for (var row = lid; row < sizes.n; row += ${WG}u) {
    let base = row * sizes.c;
    var k = 0u;
    for (var j = 1u; j < sizes.c; j++) { if (probs[base + j] > probs[base + k]) { k = j; } }
    let label = labels[row];
    let ok = validLabel(label);
    let xl = logits[base + select(0u, u32(label), ok)];
    total += select(nan(lid), logits[base + k] - log(probs[base + k]) - xl, ok);
  }
  part[lid] = total;
  workgroupBarrier();
  for (var s = ${WG}u / 2u; s > 0u; s /= 2u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { loss[0] = part[0] / f32(sizes.n); }
}
#else
${MAIN}
  if (i >= sizes.n * sizes.c) { return; }
  let label = labels[i / sizes.c];
  let hit = select(0.0, 1.0, f32(i % sizes.c) == label);
  dlogits[i] = select(nan(lid), (probs[i] - hit) / f32(sizes.n), validLabel(label));
}
#endif
