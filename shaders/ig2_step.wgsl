// IG2's GradPath, P = N·R pairs (image i, reference r), pair p = i·R + r. The batch holds every
// pair twice: rows [0, P) give ∇f(z_p), rows [P, 2P) the representation-distance gradient G_p.
// Per-pair state (stride 8): best distance, stall count, stopped, f(GradCF), commit, move.
//   SEED:   seed at the representation node: 0 for rows < P, −2(rep(z_p) − rep(r))/DR for the rest
//           (= ∇_rep of −‖rep(z) − rep(r)‖²/DR, so ‖seed‖² · DR/4 is the distance itself).
//   DECIDE: one thread per pair, after the forward at z_j: the early stop's bookkeeping.
//   MOVE:   one thread per (pair, feature): commit the pending segments when z_j is a new best,
//           then z_{j+1} = clip(z_j + η·G/‖G‖) (no move when ‖G‖ = 0) and
//           pending += (z_j − z_{j+1}) ⊙ ∇f(z_j).
//   FINISH: committed += pending unless stopped (a stopped path is cut back to its best point);
//           fEnd_p = f(GradCF_p).
const P = ${P}u;
const D = ${D}u;

#if ${SEED}
@group(0) @binding(0) var<storage, read> rep: array<f32>;
@group(0) @binding(1) var<storage, read> repRef: array<f32>;
@group(0) @binding(2) var<storage, read_write> seed: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= 2u * P * ${DR}u) { return; }
  let b = i / ${DR}u;
  let k = i % ${DR}u;
  if (b < P) { seed[i] = 0.0; return; }
  let r = (b - P) % ${R}u;
  seed[i] = ${SEED_SCALE} * (rep[i] - repRef[r * ${DR}u + k]);
}
#elif ${DECIDE}
struct Step { j: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read> f: array<f32>;
@group(0) @binding(1) var<storage, read> seedSq: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<uniform> step: Step;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let p = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (p >= P) { return; }
  let j = step.j;
  let s = p * 8u;
  let dist = seedSq[P + p] * ${DIST_SCALE};
  let fj = f[p];
  var best = state[s];
  var stall = state[s + 1u];
  var stopped = state[s + 2u];
  var fEnd = state[s + 3u];
  var commit = 0.0;
  if (j == 0u) {
    best = dist;
    stall = 0.0;
    stopped = 0.0;
    fEnd = fj;
  } else if (stopped == 0.0) {
#if ${EARLY_STOP}
    if (dist < best * ${KEEP}) {
      best = dist;
      stall = 0.0;
      fEnd = fj;
      commit = 1.0;
    } else {
      stall += 1.0;
      if (stall >= ${PATIENCE}) { stopped = 1.0; }
    }
#endif
    // Not stopped by the end: the whole path counts and its last point is GradCF.
    if (j == ${STEPS}u && stopped == 0.0) { fEnd = fj; }
  }
  state[s] = best;
  state[s + 1u] = stall;
  state[s + 2u] = stopped;
  state[s + 3u] = fEnd;
  state[s + 4u] = commit;
  state[s + 5u] = select(0.0, 1.0, stopped == 0.0 && j < ${STEPS}u);
}
#elif ${MOVE}
@group(0) @binding(0) var<storage, read> state: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> gradSq: array<f32>;
@group(0) @binding(3) var<storage, read_write> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> pending: array<f32>;
@group(0) @binding(5) var<storage, read_write> committed: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= P * D) { return; }
  let p = i / D;
  var open = pending[i];
  if (state[p * 8u + 4u] > 0.0) {
    committed[i] += open;
    open = 0.0;
  }
  if (state[p * 8u + 5u] > 0.0) {
    let n = gradSq[P + p];
    // ‖G‖ = 0 (e.g. the point already has the reference's representation): stay put, not NaN.
    let scale = select(0.0, ${ETA} / sqrt(n), n > 0.0);
    let z0 = z[i];
    var z1 = z0 + scale * grad[P * D + i];
#if ${CLIP}
    z1 = clamp(z1, ${LO}, ${HI});
#endif
    open += (z0 - z1) * grad[i];
    z[i] = z1;
    z[P * D + i] = z1;
  }
  pending[i] = open;
}
#else
@group(0) @binding(0) var<storage, read> state: array<f32>;
@group(0) @binding(1) var<storage, read> pending: array<f32>;
@group(0) @binding(2) var<storage, read_write> committed: array<f32>;
@group(0) @binding(3) var<storage, read_write> fEnd: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= P * D) { return; }
  let p = i / D;
  if (state[p * 8u + 2u] == 0.0) { committed[i] += pending[i]; }
  if (i % D == 0u) { fEnd[p] = state[p * 8u + 3u]; }
}
#endif
