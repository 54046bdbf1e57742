// IG2's GradPath, P = N·R pairs (image i, reference r), pair p = i·R + r. The batch holds every
// pair twice: rows [0, P) give ∇f(z_p), rows [P, 2P) the representation-distance gradient G_p.
// Per-pair state (stride 8): best distance, stall count, stopped, f(GradCF), commit, move, and a
// flag: a non-finite distance was met. Sizes and settings are uniforms: one pipeline per mode,
// whatever the batch, steps or references. Non-finite values a subject returns are carried to the
// outputs as NaN (explain's finite check sees them), never clipped away; they are found by their
// bits, as WGSL may assume finite floats in arithmetic.
//   START:  the batch [z; z] at z_0 = x: row b holds image ⌊(b mod P)/R⌋.
//   SEED:   seed at the representation node: 0 for rows < P, −2(rep(z_p) − rep(r))/DR for the rest
//           (= ∇_rep of −‖rep(z) − rep(r)‖²/DR, so ‖seed‖² · DR/4 is the distance itself).
//   DECIDE: one thread per pair, after the forward at z_j: the early stop's bookkeeping.
//   MOVE:   one thread per (pair, feature): commit the pending segments when z_j is a new best,
//           then z_{j+1} = clip(z_j + η·G/‖G‖) (no move when ‖G‖ = 0) and
//           pending += (z_j − z_{j+1}) ⊙ ∇f(z_j).
//   FINISH: one thread per (image, feature): the mean over its R pairs of committed (+ pending
//           unless stopped: a stopped path is cut back to its best point), and fStart_i = the
//           mean of f(GradCF) over them.
struct Ig2 { pairs: u32, d: u32, refs: u32, dr: u32, steps: u32, j: u32, earlyStop: u32, clip: u32,
             patience: f32, keep: f32, lo: f32, hi: f32, eta: f32, distScale: f32, r: u32, pad: u32 }
@group(0) @binding(0) var<uniform> c: Ig2;
const BEST = 0u;
const STALL = 1u;
const STOPPED = 2u;
const F_END = 3u;
const COMMIT = 4u;
const MOVES = 5u;
const BAD = 6u;
#if ${START}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> batch: array<f32>;
#elif ${SEED}
@group(0) @binding(1) var<storage, read> rep: array<f32>;
@group(0) @binding(2) var<storage, read> repRef: array<f32>;
@group(0) @binding(3) var<storage, read_write> seed: array<f32>;
#elif ${DECIDE}
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> seedSq: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
#elif ${MOVE}
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> gradSq: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;
@group(0) @binding(5) var<storage, read_write> pending: array<f32>;
@group(0) @binding(6) var<storage, read_write> committed: array<f32>;
#else
@group(0) @binding(1) var<storage, read> state: array<f32>;
@group(0) @binding(2) var<storage, read> pending: array<f32>;
@group(0) @binding(3) var<storage, read> committed: array<f32>;
@group(0) @binding(4) var<storage, read_write> attribution: array<f32>;
@group(0) @binding(5) var<storage, read_write> fStart: array<f32>;
#endif

// a NaN constant is a shader-creation error: a private variable's bits make one at run time
var<private> NAN: u32 = 0x7fc00000u;
fn finite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

${MAIN}
  let P = c.pairs;
#if ${START}
  if (i >= 2u * P * c.d) { return; }
  batch[i] = x[((i / c.d) % P) / c.r * c.d + i % c.d];
#elif ${SEED}
  if (i >= 2u * P * c.dr) { return; }
  let b = i / c.dr;
  if (b < P) { seed[i] = 0.0; return; }
  seed[i] = -2.0 / f32(c.dr) * (rep[i] - repRef[((b - P) % c.refs) * c.dr + i % c.dr]);
#elif ${DECIDE}
  if (i >= P) { return; }
  let s = i * 8u;
  let dist = seedSq[P + i] * c.distScale;
  var commit = 0.0;
  if (c.j == 0u) {
    state[s + BEST] = dist;
    state[s + STALL] = 0.0;
    state[s + STOPPED] = 0.0;
    state[s + F_END] = f[i];
  } else if (state[s + STOPPED] == 0.0) {
    if (c.earlyStop != 0u && dist < state[s + BEST] * c.keep) {
      state[s + BEST] = dist;
      state[s + STALL] = 0.0;
      state[s + F_END] = f[i];
      commit = 1.0;
    } else if (c.earlyStop != 0u) {
      state[s + STALL] += 1.0;
      if (state[s + STALL] >= c.patience) { state[s + STOPPED] = 1.0; }
    }
    // Not stopped by the end: the whole path counts and its last point is GradCF.
    if (c.j == c.steps && state[s + STOPPED] == 0.0) { state[s + F_END] = f[i]; }
  }
  if (!finite(seedSq[P + i])) { state[s + BAD] = 1.0; }
  state[s + COMMIT] = commit;
  state[s + MOVES] = select(0.0, 1.0, state[s + STOPPED] == 0.0 && c.j < c.steps);
#elif ${MOVE}
  if (i >= P * c.d) { return; }
  let p = i / c.d;
  var open = pending[i];
  if (state[p * 8u + COMMIT] > 0.0) {
    committed[i] += open;
    open = 0.0;
  }
  if (state[p * 8u + MOVES] > 0.0) {
    let n = gradSq[P + p];
    // ‖G‖ = 0 (e.g. the point already has the reference's representation): stay put, not NaN.
    let scale = select(0.0, c.eta / sqrt(n), n > 0.0);
    let z0 = z[i];
    var z1 = z0 + scale * grad[P * c.d + i];
    if (c.clip != 0u) { z1 = clamp(z1, c.lo, c.hi); }
    open += (z0 - z1) * grad[i];
    if (!finite(grad[i]) || !finite(grad[P * c.d + i])) { committed[i] = bitcast<f32>(NAN); }
    z[i] = z1;
    z[P * c.d + i] = z1;
  }
  pending[i] = open;
#else
  if (i >= P / c.r * c.d) { return; }
  let img = i / c.d;
  var sum = 0.0;
  var f = 0.0;
  var bad = false;
  for (var q = 0u; q < c.r; q++) {
    let p = img * c.r + q;
    let at = p * c.d + i % c.d;
    sum += committed[at] + select(0.0, pending[at], state[p * 8u + STOPPED] == 0.0);
    f += state[p * 8u + F_END];
    bad = bad || state[p * 8u + BAD] > 0.0;
  }
  attribution[i] = sum / f32(c.r);
  if (i % c.d == 0u) { fStart[img] = select(f / f32(c.r), bitcast<f32>(NAN), bad); }
#endif
}
