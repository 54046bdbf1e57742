// One axis of a separable Gaussian blur (zero padding), for a batch of rows that each have their
// own σ. Run once along H, then once along W. One thread per output value.
//
// The tap table (f32, built on the CPU in float64) starts with ${HEADER} values per σ set:
//   [offB, rB, offA, rA, offD, scale, -, -]  (integers stored as exact f32)
// then half kernels (taps t = 0..r; the kernel is symmetric) at those offsets:
//   B = G_σ, A = G_{σ+h}, D = A − B (computed in float64, so the difference loses nothing).
// Output row r reads source row r / batch.srcDiv and σ set r % batch.sets. The sizes (and the axis:
// its length and stride) come in a uniform, so one pipeline serves every image shape and chunk.
//
// With a derivative, also the forward difference scale·(blur_{σ+h} − blur_σ), without cancellation:
//   W_A H_A x − W_B H_B x = W_A (H_D x) + W_D (H_B x)
// DERIV_H (the H pass) writes H_B x → dst0 and H_D x → dst1; DERIV_W (the W pass) reads them as
// src0, src1 and writes the blur → dst0 and the scaled difference → dst1.
struct Batch {
  total: u32,  // output values
  sets: u32,   // σ sets
  srcDiv: u32, // output rows per source row
  plane: u32,  // C·H·W of one image
  len: u32,    // length of the blurred axis
  stride: u32, // its stride (W along H, 1 along W)
}
@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<uniform> batch: Batch;
@group(0) @binding(2) var<storage, read> src0: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst0: array<f32>;
#if ${DERIV_H}
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;
#elif ${DERIV_W}
@group(0) @binding(4) var<storage, read> src1: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst1: array<f32>;
#endif

// Σ_t taps[|t|] · src[base + (pos + t)·STRIDE] over the taps that land inside the axis.
fn correlate0(base: u32, pos: i32, off: u32, r: i32) -> f32 {
  var acc = 0.0;
  let hi = min(r, i32(batch.len) - 1 - pos);
  for (var t = max(-r, -pos); t <= hi; t++) {
    acc += table[off + u32(abs(t))] * src0[base + u32(pos + t) * batch.stride];
  }
  return acc;
}

#if ${DERIV_W}
fn correlate1(base: u32, pos: i32, off: u32, r: i32) -> f32 {
  var acc = 0.0;
  let hi = min(r, i32(batch.len) - 1 - pos);
  for (var t = max(-r, -pos); t <= hi; t++) {
    acc += table[off + u32(abs(t))] * src1[base + u32(pos + t) * batch.stride];
  }
  return acc;
}
#endif

${MAIN}
  if (i >= batch.total) { return; }
  let row = i / batch.plane;
  let within = i % batch.plane;
  let pos = i32((within / batch.stride) % batch.len);
  let base = (row / batch.srcDiv) * batch.plane + within - u32(pos) * batch.stride;
  let h = (row % batch.sets) * ${HEADER}u;
  let offB = u32(table[h]);
  let rB = i32(table[h + 1u]);
  dst0[i] = correlate0(base, pos, offB, rB);
#if ${DERIV_H}
  dst1[i] = correlate0(base, pos, u32(table[h + 4u]), i32(table[h + 3u]));
#elif ${DERIV_W}
  let rA = i32(table[h + 3u]);
  let difference = correlate1(base, pos, u32(table[h + 2u]), rA) + correlate0(base, pos, u32(table[h + 4u]), rA);
  dst1[i] = table[h + 5u] * difference;
#endif
}
