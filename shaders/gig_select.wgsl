// Guided IG, per-feature kernels (one thread per image × feature, rows image-major, D features):
//   BEGIN: start of an outer step: z_hi = x' + α_hi (x − x'); per image, reset `done` (an image
//          with L = Σ|x − x'| = 0 stays done) and set L_target = L (1 − α).
//   PUSH:  a round's first move: laggards (α(z)_i < α_lo) jump to z_lo, credited with g; then the
//          selection score v = |g|, or +∞ for features at their upper bound (excluded).
//   MOVE:  features with v ≤ threshold (and v ≠ +∞) move by γ towards z_hi (all the way, assigning
//          z_hi exactly, when γ ≥ 1), credited with g. γ = 0 (done image) makes it a no-op.
//   SNAP:  after the last step, z := x, crediting the last gradient (the path ends exactly at x).
// Band ends at α = 0 / 1 are x' / x themselves. State per image (STATE floats): see guided-ig-step.ts.
const L_TOTAL = 0u;
const L_TARGET = 1u;
const DONE = 3u;
const GAMMA = 4u;

fn onLine(b: f32, x: f32, a: f32) -> f32 {
  if (a == 0.0) { return b; }
  if (a == 1.0) { return x; }
  return b + a * (x - b);
}

// A private variable, not a constant: WGSL rejects a constant-folded +∞.
var<private> INF_BITS: u32 = 0x7f800000u;
fn infinity() -> f32 { return bitcast<f32>(INF_BITS); }

#if ${BEGIN}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> baseline: array<f32>;
@group(0) @binding(2) var<storage, read_write> zHi: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
@group(0) @binding(4) var<uniform> band: vec4<f32>; // α, α_lo, α_hi, unused
#elif ${PUSH}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> baseline: array<f32>;
@group(0) @binding(2) var<storage, read_write> z: array<f32>;
@group(0) @binding(3) var<storage, read> zHi: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> attr: array<f32>;
@group(0) @binding(6) var<storage, read_write> score: array<f32>;
@group(0) @binding(7) var<storage, read> state: array<f32>;
@group(0) @binding(8) var<uniform> band: vec4<f32>;
#elif ${MOVE}
@group(0) @binding(0) var<storage, read_write> z: array<f32>;
@group(0) @binding(1) var<storage, read> zHi: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> attr: array<f32>;
@group(0) @binding(4) var<storage, read> score: array<f32>;
@group(0) @binding(5) var<storage, read> threshold: array<f32>;
@group(0) @binding(6) var<storage, read> state: array<f32>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> attr: array<f32>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${TOTAL}u) { return; }
  let img = i / ${D}u;
#if ${BEGIN}
  zHi[i] = onLine(baseline[i], x[i], band.z);
  if (i % ${D}u == 0u) {
    let s = img * ${STATE}u;
    state[s + DONE] = select(0.0, 1.0, state[s + L_TOTAL] == 0.0);
    state[s + L_TARGET] = state[s + L_TOTAL] * (1.0 - band.x);
  }
#elif ${PUSH}
  if (state[img * ${STATE}u + DONE] != 0.0) { return; }
  let b = baseline[i];
  let d = x[i] - b;
  var zi = z[i];
  // Features with x = x' count as α_hi: never laggards.
  let a = select(band.z, (zi - b) / d, d != 0.0);
  if (a < band.y) {
    let lo = onLine(b, x[i], band.y);
    attr[i] += (lo - zi) * g[i];
    zi = lo;
    z[i] = lo;
  }
  score[i] = select(abs(g[i]), infinity(), zi == zHi[i]);
#elif ${MOVE}
  let gamma = state[img * ${STATE}u + GAMMA];
  let v = score[i];
  if (gamma == 0.0 || v > threshold[img] || v == infinity()) { return; }
  let zi = z[i];
  let moved = select(zi + gamma * (zHi[i] - zi), zHi[i], gamma >= 1.0);
  attr[i] += (moved - zi) * g[i];
  z[i] = moved;
#else
  attr[i] += (x[i] - z[i]) * g[i];
  z[i] = x[i];
#endif
}
