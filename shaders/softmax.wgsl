// Softmax family over one axis, numerically stable (the row max is subtracted
// before exp). Variants: forward (LOG: log-softmax) and BACKWARD (from the forward output).
// Row layout: ROW_PER_LANE gives each invocation a whole row (small C); otherwise a workgroup
// shares a row, lanes take strided columns and combine them with a workgroup tree (large C).
// Row r of the outer × C × inner layout starts at (r / inner)·C·inner + r % inner, stride inner.
// Every reduction runs in a fixed order, so results are deterministic. The sizes are uniforms.
// SUBGROUPS (workgroup rows only): the row max is subgroupMax, then one atomicMax per subgroup on
// an order-preserving u32 key. A max is exact in any order, so this path is bitwise identical to
// the tree, whatever the subgroup size; sums keep the tree (their order sets their rounding).
#if ${SUBGROUPS}
enable subgroups;
#endif
struct Sizes { n: u32, c: u32, inner: u32 }
@group(0) @binding(0) var<uniform> sizes: Sizes;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
#if ${BACKWARD}
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
#else
@group(0) @binding(2) var<storage, read> x: array<f32>;
#endif

const LANES = ${LANES}u;  // invocations sharing one row: 1, or the workgroup size

var<workgroup> red: array<f32, ${WG}>;

// The row's max or sum: a lane's own value when it has the row to itself, else red[0..WG)
// combined in a tree (max or sum) and handed to every invocation.
fn rowReduce(v: f32, lid: u32, isMax: bool) -> f32 {
#if ${ROW_PER_LANE}
  return v;
#else
  red[lid] = v;
  for (var half = ${WG}u / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) {
      let o = red[lid + half];
      red[lid] = select(red[lid] + o, max(red[lid], o), isMax);
    }
  }
  workgroupBarrier();
  let r = red[0];
  workgroupBarrier();  // red is reused by the next reduction
  return r;
#endif
}

#if ${SUBGROUPS}
var<workgroup> rowMaxKey: atomic<u32>;

// u32 keys ordered as their floats: positives get the top bit set, negatives are inverted.
fn maxKey(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b >> 31u) == 1u);
}

fn fromMaxKey(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k >> 31u) == 1u));
}
#endif

// The row's max, handed to every invocation.
fn rowMax(v: f32, lid: u32) -> f32 {
#if ${SUBGROUPS}
  if (lid == 0u) { atomicStore(&rowMaxKey, 0u); }
  workgroupBarrier();
  let m = subgroupMax(v);
  if (subgroupElect()) { atomicMax(&rowMaxKey, maxKey(m)); }
  workgroupBarrier();
  return fromMaxKey(atomicLoad(&rowMaxKey));
#else
  return rowReduce(v, lid, true);
#endif
}

#if ${BACKWARD}
// softmax: dx = y ⊙ (dy − Σ dy⊙y);  log-softmax: dx = dy − exp(y) Σ dy.
fn processRow(row: u32, lane: u32) {
  let base = (row / sizes.inner) * sizes.c * sizes.inner + row % sizes.inner;
  var d = 0.0;
  for (var c = lane; c < sizes.c; c += LANES) {
#if ${LOG}
    d += dy[base + c * sizes.inner];
#else
    d += dy[base + c * sizes.inner] * y[base + c * sizes.inner];
#endif
  }
  d = rowReduce(d, lane, false);
  for (var c = lane; c < sizes.c; c += LANES) {
#if ${LOG}
    out[base + c * sizes.inner] = dy[base + c * sizes.inner] - exp(y[base + c * sizes.inner]) * d;
#else
    out[base + c * sizes.inner] = y[base + c * sizes.inner] * (dy[base + c * sizes.inner] - d);
#endif
  }
}
#else
// Writes softmax (or log-softmax) of one row.
fn processRow(row: u32, lane: u32) {
  let base = (row / sizes.inner) * sizes.c * sizes.inner + row % sizes.inner;
  var m = x[base + lane * sizes.inner];  // lane < C: the workgroup variant is only used when C > WG
  for (var c = lane + LANES; c < sizes.c; c += LANES) { m = max(m, x[base + c * sizes.inner]); }
  m = rowMax(m, lane);
  var s = 0.0;
  for (var c = lane; c < sizes.c; c += LANES) { s += exp(x[base + c * sizes.inner] - m); }
  s = rowReduce(s, lane, false);
  let logS = log(s);
  for (var c = lane; c < sizes.c; c += LANES) {
#if ${LOG}
    out[base + c * sizes.inner] = x[base + c * sizes.inner] - m - logS;
#else
    out[base + c * sizes.inner] = exp(x[base + c * sizes.inner] - m - logS);
#endif
  }
}
#endif

${MAIN}
#if ${ROW_PER_LANE}
  let row = i;
  if (row >= sizes.n) { return; }
  processRow(row, 0u);
#else
  let row = wid.x + wid.y * nwg.x;  // uniform across the workgroup
  if (row >= sizes.n) { return; }
  processRow(row, lid);
#endif
}
