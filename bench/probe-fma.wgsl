// The ceiling probe (bench/ceiling.ts): the adapter's mul-add throughput with no memory traffic in
// the loop. Each thread runs 4, 8 or 16 independent vec4 chains x ← fma(x, m, c), written out (SwiftShader
// neither unrolls loops nor keeps indexed arrays in registers), so every iteration issues that many
// vec4 FMAs with no dependency between them. m and c come from a buffer so the compiler cannot fold
// the loop; |m| < 1 keeps every chain bounded (it converges to c / (1 − m)). One store per thread at
// the end: out[t] = Σ chains (in the order written), which the test checks against a float64 recurrence.
@group(0) @binding(0) var<storage, read> coef: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4f>;

const ITERS = ${ITERS}u;
const WG_SIZE = ${WG_SIZE}u;

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let t = (wid.x + wid.y * nwg.x) * WG_SIZE + lid;
  let m = coef[0];
  let c = coef[1];
  let s = vec4f(f32(t % 16u), 1.0, 2.0, 3.0) * 0.0625;
  var x0 = s;
  var x1 = s + 0.5;
  var x2 = s + 1.0;
  var x3 = s + 1.5;
#if ${EIGHT}
  var x4 = s - 0.5;
  var x5 = s - 1.0;
  var x6 = s - 1.5;
  var x7 = s - 2.0;
#endif
#if ${SIXTEEN}
  var x8 = s + 2.0;
  var x9 = s + 2.5;
  var x10 = s + 3.0;
  var x11 = s + 3.5;
  var x12 = s - 2.5;
  var x13 = s - 3.0;
  var x14 = s - 3.5;
  var x15 = s - 4.0;
#endif
  for (var k = 0u; k < ITERS; k++) {
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x2 = fma(x2, m, c);
    x3 = fma(x3, m, c);
#if ${EIGHT}
    x4 = fma(x4, m, c);
    x5 = fma(x5, m, c);
    x6 = fma(x6, m, c);
    x7 = fma(x7, m, c);
#endif
#if ${SIXTEEN}
    x8 = fma(x8, m, c);
    x9 = fma(x9, m, c);
    x10 = fma(x10, m, c);
    x11 = fma(x11, m, c);
    x12 = fma(x12, m, c);
    x13 = fma(x13, m, c);
    x14 = fma(x14, m, c);
    x15 = fma(x15, m, c);
#endif
  }
  var sum = (x0 + x1) + (x2 + x3);
#if ${EIGHT}
  sum += (x4 + x5) + (x6 + x7);
#endif
#if ${SIXTEEN}
  sum += ((x8 + x9) + (x10 + x11)) + ((x12 + x13) + (x14 + x15));
#endif
  out[t] = sum;
}
