// The k-th smallest value (0-based) of every row: a radix select on the float bits, 8 bits per
// pass, most significant first. One workgroup per row; each pass builds a 256-bin histogram of the
// candidates that still match the selected prefix (u32 atomics in workgroup memory: the counts are
// exact, so the result is deterministic), then one lane walks the bins to the one holding rank k.
// Floats map to order-preserving u32 keys (negatives bit-flipped), so −∞ < … < −0 < +0 < … < +∞.
@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read_write> result: array<f32>;
#if ${SKIP}
// Rows whose flag (flags[row·STRIDE + OFFSET]) is non-zero are left untouched.
@group(0) @binding(2) var<storage, read> flags: array<f32>;
#endif

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> prefix: u32;
var<workgroup> rank: u32;
var<workgroup> skip: u32;

fn sortKey(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

fn fromKey(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (lid == 0u) {
    prefix = 0u;
    rank = ${K}u;
    var s = select(0u, 1u, row >= ${ROWS}u);
#if ${SKIP}
    if (s == 0u && flags[row * ${STRIDE}u + ${OFFSET}u] != 0.0) { s = 1u; }
#endif
    skip = s;
  }
  if (workgroupUniformLoad(&skip) != 0u) { return; }
  let base = row * ${D}u;
  for (var digit = 0u; digit < 4u; digit++) {
    let shift = 24u - 8u * digit;
    // Bits above the current digit, already fixed by earlier passes (none for the first digit).
    let fixedMask = select(0xffffffffu << (shift + 8u), 0u, digit == 0u);
    atomicStore(&hist[lid], 0u);
    let want = workgroupUniformLoad(&prefix);
    for (var i = lid; i < ${D}u; i += 256u) {
      let k = sortKey(values[base + i]);
      if ((k & fixedMask) == want) { atomicAdd(&hist[(k >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid == 0u) {
      var r = rank;
      var bin = 0u;
      loop {
        let c = atomicLoad(&hist[bin]);
        if (r < c || bin == 255u) { break; }
        r -= c;
        bin++;
      }
      prefix = want | (bin << shift);
      rank = r;
    }
    workgroupBarrier();
  }
  if (lid == 0u) { result[row] = fromKey(prefix); }
}
