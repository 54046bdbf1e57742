// Building blocks of adaptive paths: one workgroup of ROW_WG lanes per image row. Included (as
// text, before the kernel) by every row kernel; call them from workgroup-uniform control flow.
// rowKthSmallest reads the kernel's `score` array.
// Few lanes and few barriers: a row kernel is barrier-bound, not arithmetic-bound, and on a CPU
// adapter (SwiftShader) a barrier costs a switch per 4-lane group, so 64 lanes beat 256.
const ROW_WG = 64u;

// A private variable, not a constant: WGSL rejects a constant-folded +∞.
var<private> INF_BITS: u32 = 0x7f800000u;
fn infinity() -> f32 { return bitcast<f32>(INF_BITS); }

// x' + a (x − x'), exactly x' at a = 0 and x at a = 1.
fn onLine(b: f32, x: f32, a: f32) -> f32 {
  if (a == 0.0) { return b; }
  if (a == 1.0) { return x; }
  return b + a * (x - b);
}

// A move by γ towards the bound, landing on it exactly when γ ≥ 1.
fn moveToward(z: f32, bound: f32, gamma: f32) -> f32 {
  return select(z + gamma * (bound - z), bound, gamma >= 1.0);
}

var<workgroup> partial: array<f32, ROW_WG>;
var<workgroup> reduced: f32;

// Σ of every lane's v, added in lane order by lane 0 (deterministic, three barriers instead of a
// tree's log2(ROW_WG) + 3); the same value in every lane.
fn rowSum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var j = 0u; j < ROW_WG; j++) { total += partial[j]; }
    reduced = total;
  }
  return workgroupUniformLoad(&reduced);
}

const BINS = 256u; // 8 bits of the key per radix pass
var<workgroup> hist: array<atomic<u32>, BINS>;
var<workgroup> pick: vec2<u32>;

// Floats as order-preserving u32 keys (negatives bit-flipped): −∞ < … < −0 < +0 < … < +∞.
fn sortKey(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn fromKey(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

// The k-th smallest (0-based, ties counted) of score[base .. base + d): a radix select on the
// float bits, 8 bits per pass; exact u32 counts in workgroup atomics, so deterministic.
fn rowKthSmallest(base: u32, d: u32, k: u32, lid: u32) -> f32 {
  storageBarrier(); // the row's scores may have just been written by other lanes
  var prefix = 0u;
  var rank = k;
  for (var digit = 0u; digit < 4u; digit++) {
    let shift = 24u - 8u * digit;
    // bits above the current digit, fixed by earlier passes (none for the first digit)
    let fixedMask = select(0xffffffffu << (shift + 8u), 0u, digit == 0u);
    for (var bin = lid; bin < BINS; bin += ROW_WG) { atomicStore(&hist[bin], 0u); }
    workgroupBarrier();
    for (var i = lid; i < d; i += ROW_WG) {
      let key = sortKey(score[base + i]);
      if ((key & fixedMask) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid == 0u) {
      var r = rank;
      var bin = 0u;
      loop {
        let c = atomicLoad(&hist[bin]);
        if (r < c || bin == BINS - 1u) { break; }
        r -= c;
        bin++;
      }
      pick = vec2<u32>(prefix | (bin << shift), r);
    }
    let p = workgroupUniformLoad(&pick);
    prefix = p.x;
    rank = p.y;
  }
  return fromKey(prefix);
}
