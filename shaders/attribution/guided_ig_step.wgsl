// One Guided IG outer step for every image (Kapishnikov et al. 2021; METHODS.md), one workgroup
// per image running all inner rounds of the step (rows.wgsl is included before this), each round:
//   push laggards (α(z)_i < α_lo) to z_lo; L_cur = Σ|z − x|; stop when L_cur ≈ L_target;
//   score = SCORE (a WGSL expression of x, b = x', g and z after the push), or +∞ at the upper bound z_hi;
//   threshold = the k-th smallest score;
//   γ = (L_cur − L_target) / Σ_selected |z − z_hi|; move the selected features by γ toward z_hi;
//   stop once γ ≤ 1. Every move is credited with g: attr += (z_new − z_old) ⊙ g.
// The step's state lives in registers; only L = Σ|x − x'| per image persists (`total`). On the
// last step (`snap`) z := x, credited with g, so the path ends exactly at x.
struct Step { alpha: f32, lo: f32, hi: f32, d: u32, k: u32, rounds: u32, snap: u32, images: u32 }
@group(0) @binding(0) var<uniform> step: Step;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read> baseline: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read> total: array<f32>;
@group(0) @binding(5) var<storage, read_write> point: array<f32>;
@group(0) @binding(6) var<storage, read_write> attr: array<f32>;
@group(0) @binding(7) var<storage, read_write> score: array<f32>;

// |L_cur − L_target| ≤ CLOSE · L counts as at the goal (float32 sums; the reference uses 1e-9).
const CLOSE = 1e-6;

@compute @workgroup_size(ROW_WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let img = wid.x + wid.y * nwg.x;
  if (img >= step.images) { return; }
  let d = step.d;
  let base = img * d;
  let l1 = total[img];
  let goal = l1 * (1.0 - step.alpha);
  // The push and the scores, once: later rounds move only selected features, which land on
  // z_hi (score +∞, set by the move) or end the step, so no other feature lags or rescores.
  var acc = 0.0;
  for (var j = lid; j < d; j += ROW_WG) {
    let i = base + j;
    let b = baseline[i];
    let x = input[i];
    let g = grad[i];
    var z = point[i];
    // features with x = x' count as α_hi: never laggards
    if (select(step.hi, (z - b) / (x - b), x != b) < step.lo) {
      let lo = onLine(b, x, step.lo);
      attr[i] += (lo - z) * g;
      z = lo;
      point[i] = lo;
    }
    score[i] = select(${SCORE}, infinity(), z == onLine(b, x, step.hi));
    acc += abs(z - x);
  }
  var current = rowSum(acc, lid);
  for (var round = 0u; round < step.rounds && l1 > 0.0; round++) {
    if (abs(current - goal) <= CLOSE * l1) { break; }
    let threshold = rowKthSmallest(base, d, step.k, lid);
    acc = 0.0;
    for (var j = lid; j < d; j += ROW_WG) {
      let v = score[base + j];
      if (v <= threshold && v != infinity()) {
        acc += abs(point[base + j] - onLine(baseline[base + j], input[base + j], step.hi));
      }
    }
    let selected = rowSum(acc, lid);
    // L_S = 0: nothing selectable moves (γ = +∞); the next round goes on
    if (selected == 0.0) { continue; }
    let gamma = (current - goal) / selected;
    // a non-positive γ is float32 noise around the goal: the step ends without moving
    if (!(gamma > 0.0)) { break; }
    // the move, and the next round's Σ|z − x| (the same lanes and order as the first pass)
    acc = 0.0;
    for (var j = lid; j < d; j += ROW_WG) {
      let i = base + j;
      var z = point[i];
      let v = score[i];
      if (v <= threshold && v != infinity()) {
        let moved = moveToward(z, onLine(baseline[i], input[i], step.hi), gamma);
        attr[i] += (moved - z) * grad[i];
        z = moved;
        point[i] = moved;
        if (gamma >= 1.0) { score[i] = infinity(); } // landed on z_hi
      }
      acc += abs(z - input[i]);
    }
    if (gamma <= 1.0) { break; }
    current = rowSum(acc, lid);
  }
  if (step.snap == 0u) { return; }
  for (var j = lid; j < d; j += ROW_WG) {
    let i = base + j;
    attr[i] += (input[i] - point[i]) * grad[i];
    point[i] = input[i];
  }
}
