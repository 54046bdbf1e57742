// conv2d weight/bias gradient, pass 2 of 2: sum the split-K scratch rows of
// conv2d_grad_weight.wgsl in a fixed order (deterministic). Entry e < EW is dW[e], the rest is
// dB. `accumulate` adds to the result of earlier batch chunks instead of overwriting it.
struct Sizes { ew: u32, e: u32, epad: u32, rows: u32, accumulate: u32 }
@group(0) @binding(0) var<storage, read> partial: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> sizes: Sizes;

${MAIN}
  if (i >= sizes.e) { return; }
  var s = 0.0;
  for (var r = 0u; r < sizes.rows; r++) {
    s += partial[r * sizes.epad + i];
  }
  let add = sizes.accumulate != 0u;
  if (i < sizes.ew) {
    dw[i] = select(s, s + dw[i], add);
  } else {
    db[i - sizes.ew] = select(s, s + db[i - sizes.ew], add);
  }
}
