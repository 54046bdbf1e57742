// ROAD's noisy linear imputation (Rong et al. 2022): every removed pixel becomes the weighted mean
// of its in-image 8-neighbours (weight 1/6 edge, 1/12 diagonal), removed neighbours included, so
// the removed pixels of one plane solve (D − W_RR)·u = W_RK·x_K, an SPD system (D = the in-image
// weight sum). One workgroup per (image k, channel c) plane runs a fixed number of
// Jacobi-preconditioned conjugate-gradient steps on it, then adds σ·noise to the removed pixels.
// Each lane owns pixels lid, lid + WG, …: its u, r, ap stay its own; only p is read across lanes.
// removed[k·HW + p] is 1 (removed) or 0; work holds r, p, ap per plane (3·planes·HW floats).
struct Sizes { planes: u32, channels: u32, h: u32, w: u32, iterations: u32, sigma: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> removed: array<f32>;
@group(0) @binding(2) var<storage, read> noise: array<f32>;
@group(0) @binding(3) var<storage, read_write> images: array<f32>;
@group(0) @binding(4) var<storage, read_write> work: array<f32>;
@group(0) @binding(5) var<uniform> sizes: Sizes;

var<workgroup> part: array<f32, ${WG}>;

const DR = array<i32, 8>(1, 0, -1, 1, 0, -1, 1, -1);
const DC = array<i32, 8>(1, 1, 1, -1, -1, -1, 0, 0);
const WT = array<f32, 8>(1.0 / 12.0, 1.0 / 6.0, 1.0 / 12.0, 1.0 / 12.0, 1.0 / 6.0, 1.0 / 12.0, 1.0 / 6.0, 1.0 / 6.0);

// Workgroup sum of one value per lane: every lane adds all partials in the same order (the same
// total everywhere), two barriers instead of a tree's log2(WG) + 2 (each costs on SwiftShader).
fn groupSum(lid: u32, v: f32) -> f32 {
  part[lid] = v;
  workgroupBarrier();
  var total = 0.0;
  for (var j = 0u; j < ${WG}u; j++) { total += part[j]; }
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  let inRange = plane < sizes.planes;
  let hw = sizes.h * sizes.w;
  let k = plane / sizes.channels;
  let c = plane % sizes.channels;
  let xBase = c * hw;
  let mBase = k * hw;
  let iBase = plane * hw;
  let rBase = plane * hw;
  let pBase = (sizes.planes + plane) * hw;
  let aBase = (2u * sizes.planes + plane) * hw;
  let count = select(0u, hw, inRange);

  // u = 0, r = b = Σ kept neighbours' weighted values, z = r / D, p = z.
  var rz = 0.0;
  for (var q = lid; q < count; q += ${WG}u) {
    if (removed[mBase + q] == 0.0) { images[iBase + q] = x[xBase + q]; continue; }
    let kept = neighbourSums(q, mBase, xBase, false);
    let d = kept.x;
    let b = kept.y;
    images[iBase + q] = 0.0;
    work[rBase + q] = b;
    work[pBase + q] = b / d;
    rz += b * b / d;
  }
  rz = groupSum(lid, rz);

  for (var it = 0u; it < sizes.iterations; it++) {
    storageBarrier();
    // ap = (D − W_RR)·p, and pᵀ·ap
    var pap = 0.0;
    for (var q = lid; q < count; q += ${WG}u) {
      if (removed[mBase + q] == 0.0) { continue; }
      let sums = neighbourSums(q, mBase, pBase, true);
      let ap = sums.x * work[pBase + q] - sums.y;
      work[aBase + q] = ap;
      pap += work[pBase + q] * ap;
    }
    pap = groupSum(lid, pap);
    // a converged system has r = 0: keep it (no 0/0)
    let alpha = select(0.0, rz / pap, pap > 1e-30);
    var rzNext = 0.0;
    for (var q = lid; q < count; q += ${WG}u) {
      if (removed[mBase + q] == 0.0) { continue; }
      let d = neighbourWeight(q);
      images[iBase + q] += alpha * work[pBase + q];
      let r = work[rBase + q] - alpha * work[aBase + q];
      work[rBase + q] = r;
      rzNext += r * r / d;
    }
    rzNext = groupSum(lid, rzNext);
    let beta = select(0.0, rzNext / rz, rz > 1e-30);
    rz = rzNext;
    storageBarrier();
    for (var q = lid; q < count; q += ${WG}u) {
      if (removed[mBase + q] == 0.0) { continue; }
      work[pBase + q] = work[rBase + q] / neighbourWeight(q) + beta * work[pBase + q];
    }
  }
  for (var q = lid; q < count; q += ${WG}u) {
    if (removed[mBase + q] != 0.0) { images[iBase + q] += sizes.sigma * noise[iBase + q]; }
  }
}

// D of pixel q: the weights of its in-image neighbours.
fn neighbourWeight(q: u32) -> f32 {
  let row = i32(q / sizes.w);
  let col = i32(q % sizes.w);
  var d = 0.0;
  for (var j = 0; j < 8; j++) {
    let rr = row + DR[j];
    let cc = col + DC[j];
    if (rr >= 0 && cc >= 0 && rr < i32(sizes.h) && cc < i32(sizes.w)) { d += WT[j]; }
  }
  return d;
}

// (D, Σ w·v) of pixel q: D over its in-image neighbours, the sum over those that are removed
// (v = work[base + n], the search direction p) or kept (v = x[base + n]), in neighbour order.
fn neighbourSums(q: u32, mBase: u32, base: u32, ofRemoved: bool) -> vec2f {
  let row = i32(q / sizes.w);
  let col = i32(q % sizes.w);
  var d = 0.0;
  var s = 0.0;
  for (var j = 0; j < 8; j++) {
    let rr = row + DR[j];
    let cc = col + DC[j];
    if (rr < 0 || cc < 0 || rr >= i32(sizes.h) || cc >= i32(sizes.w)) { continue; }
    let n = u32(rr * i32(sizes.w) + cc);
    d += WT[j];
    if ((removed[mBase + n] != 0.0) != ofRemoved) { continue; }
    if (ofRemoved) { s += WT[j] * work[base + n]; } else { s += WT[j] * x[base + n]; }
  }
  return vec2f(d, s);
}
