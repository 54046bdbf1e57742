// conv2d weight/bias gradient, pass 2 of 2: sum the split-K scratch rows of
// conv2d_grad_weight.wgsl in a fixed order (deterministic). Entry e < EW is dW[e], the rest is
// dB. ACCUMULATE adds to the result of earlier batch chunks instead of overwriting it.
@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

const EW = ${EW}u;
const E = ${E}u;
const EPAD = ${EPAD}u;
const ROWS = ${ROWS}u;
const WG = ${WG}u;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let e = (wid.x + wid.y * nwg.x) * WG + lid;  // 2-D grid folded to 1-D
  if (e >= E) { return; }
  var s = 0.0;
  for (var r = 0u; r < ROWS; r++) {
    s += partial[r * EPAD + e];
  }
  if (e < EW) {
#if ${ACCUMULATE}
    s += dw[e];
#endif
    dw[e] = s;
  } else {
#if ${ACCUMULATE}
    s += db[e - EW];
#endif
    db[e - EW] = s;
  }
}
