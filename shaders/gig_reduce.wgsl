// Guided IG, per-image decisions: one workgroup per image, a fixed-order tree reduction over its
// D features (deterministic), then lane 0 updates the image's state (layout in guided-ig-step.ts).
//   TOTAL:    L = Σ|x − x'| (once, before the first step).
//   CURRENT:  L_cur = Σ|z − x| after the laggard push; done when L_cur ≈ L_target.
//   SELECTED: L_S = Σ_{i∈S} |z_i − z_hi_i| over the selected features S = {v ≤ threshold, v ≠ +∞};
//             γ = (L_cur − L_target) / L_S (+∞ if S is empty). γ ≤ 1 is the round's last move; a
//             non-positive γ (float32 noise around the target) ends the step without moving. Done
//             images get γ = 0 so the MOVE kernel skips them.
const L_TOTAL = 0u;
const L_TARGET = 1u;
const L_CURRENT = 2u;
const DONE = 3u;
const GAMMA = 4u;

// A private variable, not a constant: WGSL rejects a constant-folded +∞.
var<private> INF_BITS: u32 = 0x7f800000u;
fn infinity() -> f32 { return bitcast<f32>(INF_BITS); }

#if ${TOTAL}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> baseline: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
#elif ${CURRENT}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
#else
@group(0) @binding(0) var<storage, read> z: array<f32>;
@group(0) @binding(1) var<storage, read> zHi: array<f32>;
@group(0) @binding(2) var<storage, read> score: array<f32>;
@group(0) @binding(3) var<storage, read> threshold: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
#endif

var<workgroup> partial: array<f32, ${WG}>;
var<workgroup> skip: u32;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let img = wid.x + wid.y * nwg.x;
  let s = img * ${STATE}u;
  let base = img * ${D}u;
  if (lid == 0u) {
    var done = img >= ${N}u;
#if ${CURRENT}
    if (!done && state[s + DONE] != 0.0) { done = true; }
#elif ${SELECTED}
    if (!done && state[s + DONE] != 0.0) {
      done = true;
      state[s + GAMMA] = 0.0;
    }
#endif
    skip = select(0u, 1u, done);
  }
  if (workgroupUniformLoad(&skip) != 0u) { return; }
  var acc = 0.0;
#if ${TOTAL}
  for (var d = lid; d < ${D}u; d += ${WG}u) { acc += abs(x[base + d] - baseline[base + d]); }
#elif ${CURRENT}
  for (var d = lid; d < ${D}u; d += ${WG}u) { acc += abs(z[base + d] - x[base + d]); }
#else
  let t = threshold[img];
  for (var d = lid; d < ${D}u; d += ${WG}u) {
    let v = score[base + d];
    if (v <= t && v != infinity()) { acc += abs(z[base + d] - zHi[base + d]); }
  }
#endif
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = ${WG}u / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  if (lid != 0u) { return; }
  let sum = partial[0];
#if ${TOTAL}
  state[s + L_TOTAL] = sum;
  for (var k = 1u; k < ${STATE}u; k++) { state[s + k] = 0.0; }
#elif ${CURRENT}
  state[s + L_CURRENT] = sum;
  // Python's isClose(L_target, L_cur) with a float32-sized tolerance relative to the whole path.
  if (abs(sum - state[s + L_TARGET]) <= ${CLOSE_TOL} * state[s + L_TOTAL]) { state[s + DONE] = 1.0; }
#else
  var gamma = infinity();
  if (sum > 0.0) { gamma = (state[s + L_CURRENT] - state[s + L_TARGET]) / sum; }
  if (!(gamma > 0.0)) {
    gamma = 0.0;
    state[s + DONE] = 1.0;
  } else if (gamma <= 1.0) {
    state[s + DONE] = 1.0;
  }
  state[s + GAMMA] = gamma;
#endif
}
