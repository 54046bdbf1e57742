// IG2's GradPath, P = N·R pairs (image i, reference r), pair p = i·R + r. The batch holds every
// pair twice: rows [0, P) give ∇f(z_p), rows [P, 2P) the representation-distance gradient G_p.
// Per-pair state (stride 8): best distance, stall count, stopped, f(GradCF), commit, move, and a
// flag: a non-finite distance was met. Sizes and settings are uniforms: one pipeline per mode,
// whatever the batch, steps or references. Non-finite values a subject returns are carried to the
// outputs as NaN (explain's finite check sees them), never clipped away; they are found by their
// bits, as WGSL may assume finite floats in arithmetic.
// One workgroup per row (rows.wgsl is included before this); a step is two dispatches of its own
// besides the subject's, SEED and MOVE:
//   START:  the batch [z; z] at z_0 = x: row b holds image ⌊(b mod P)/R⌋.
//   SEED:   per batch row b, the seed at the representation node: 0 for rows < P,
//           −2(rep(z_p) − rep(r))/DR for the rest (= ∇_rep of −‖rep(z) − rep(r)‖²/DR), and
//           distance[b] = ‖seed_b‖² (times DR/4 it is the distance itself).
//   DECIDE: per pair, after the evaluation at z_j: the early stop's bookkeeping.
//   MOVE:   DECIDE, then over the pair's features: commit the pending segments when z_j is a new
//           best, then z_{j+1} = clip(z_j + η·G/‖G‖) (no move when ‖G‖ = 0) and
//           pending += (z_j − z_{j+1}) ⊙ ∇f(z_j).
//   FINISH: per image, per feature: the mean over its R pairs of committed (+ pending
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
@group(0) @binding(4) var<storage, read_write> distance: array<f32>;
#elif ${DECIDE}
@group(0) @binding(1) var<storage, read> f: array<f32>;
@group(0) @binding(2) var<storage, read> distance: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
#if ${MOVE}
@group(0) @binding(4) var<storage, read> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> z: array<f32>;
@group(0) @binding(6) var<storage, read_write> pending: array<f32>;
@group(0) @binding(7) var<storage, read_write> committed: array<f32>;
#endif
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

var<private> score: array<f32, 1>; // rowKthSmallest's input, unused here
var<workgroup> flags: vec2<f32>;

@compute @workgroup_size(ROW_WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = wid.x + wid.y * nwg.x;
  let P = c.pairs;
#if ${START}
  if (row >= 2u * P) { return; }
  for (var j = lid; j < c.d; j += ROW_WG) { batch[row * c.d + j] = x[(row % P) / c.r * c.d + j]; }
#elif ${SEED}
  if (row >= 2u * P) { return; }
  var acc = 0.0;
  for (var j = lid; j < c.dr; j += ROW_WG) {
    let i = row * c.dr + j;
    var v = 0.0;
    if (row >= P) { v = -2.0 / f32(c.dr) * (rep[i] - repRef[((row - P) % c.refs) * c.dr + j]); }
    seed[i] = v;
    acc += v * v;
  }
  let total = rowSum(acc, lid);
  if (lid == 0u) { distance[row] = total; }
#elif ${DECIDE}
  if (row >= P) { return; }
  let d = c.d;
#if ${MOVE}
  // ‖G_p‖² before anything moves
  var acc = 0.0;
  for (var j = lid; j < d; j += ROW_WG) {
    let g = grad[(P + row) * d + j];
    acc += g * g;
  }
  let n = rowSum(acc, lid);
#endif
  if (lid == 0u) { flags = decide(row, f[row], distance[P + row]); }
  let flag = workgroupUniformLoad(&flags);
#if ${MOVE}
  // ‖G‖ = 0 (e.g. the point already has the reference's representation): stay put, not NaN.
  let scale = select(0.0, c.eta / sqrt(n), n > 0.0);
  for (var j = lid; j < d; j += ROW_WG) {
    let i = row * d + j;
    var open = pending[i];
    if (flag.x > 0.0) {
      committed[i] += open;
      open = 0.0;
    }
    if (flag.y > 0.0) {
      let z0 = z[i];
      var z1 = z0 + scale * grad[P * d + i];
      if (c.clip != 0u) { z1 = clamp(z1, c.lo, c.hi); }
      open += (z0 - z1) * grad[i];
      if (!finite(grad[i]) || !finite(grad[P * d + i])) { committed[i] = bitcast<f32>(NAN); }
      z[i] = z1;
      z[P * d + i] = z1;
    }
    pending[i] = open;
  }
#endif
#else
  if (row >= P / c.r) { return; }
  for (var j = lid; j < c.d; j += ROW_WG) {
    var sum = 0.0;
    for (var p = row * c.r; p < (row + 1u) * c.r; p++) {
      sum += committed[p * c.d + j] + select(0.0, pending[p * c.d + j], state[p * 8u + STOPPED] == 0.0);
    }
    attribution[row * c.d + j] = sum / f32(c.r);
  }
  if (lid != 0u) { return; }
  var f = 0.0;
  var bad = false;
  for (var p = row * c.r; p < (row + 1u) * c.r; p++) {
    f += state[p * 8u + F_END];
    bad = bad || state[p * 8u + BAD] > 0.0;
  }
  fStart[row] = select(f / f32(c.r), bitcast<f32>(NAN), bad);
#endif
}

#if ${DECIDE}
// The early stop's bookkeeping for pair p at z_j (seedSq = ‖seed‖², the scaled distance):
// returns (commit, moves).
fn decide(p: u32, fp: f32, seedSq: f32) -> vec2<f32> {
  let s = p * 8u;
  let dist = seedSq * c.distScale;
  var commit = 0.0;
  if (c.j == 0u) {
    state[s + BEST] = dist;
    state[s + STALL] = 0.0;
    state[s + STOPPED] = 0.0;
    state[s + F_END] = fp;
  } else if (state[s + STOPPED] == 0.0) {
    if (c.earlyStop != 0u && dist < state[s + BEST] * c.keep) {
      state[s + BEST] = dist;
      state[s + STALL] = 0.0;
      state[s + F_END] = fp;
      commit = 1.0;
    } else if (c.earlyStop != 0u) {
      state[s + STALL] += 1.0;
      if (state[s + STALL] >= c.patience) { state[s + STOPPED] = 1.0; }
    }
    // Not stopped by the end: the whole path counts and its last point is GradCF.
    if (c.j == c.steps && state[s + STOPPED] == 0.0) { state[s + F_END] = fp; }
  }
  if (!finite(seedSq)) { state[s + BAD] = 1.0; }
  let moves = select(0.0, 1.0, state[s + STOPPED] == 0.0 && c.j < c.steps);
  state[s + COMMIT] = commit;
  state[s + MOVES] = moves;
  return vec2<f32>(commit, moves);
}
#endif
