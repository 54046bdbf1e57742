// Reads of x at the 4 positions of a Tap and the rank-1 updates that consume them; shared by the
// conv2d forward and weight-gradient shaders (inserted as ${X_TAP_READS}). Both bind x as
// `var<storage, read> x: array<f32>` and define `struct Tap { off: vec4u, keep: vec4f }`.

// x of one shared channel at 4 positions, zeroed in the padding.
fn pixels(chan: u32, t: Tap) -> vec4f {
  return vec4f(x[chan + t.off.x], x[chan + t.off.y], x[chan + t.off.z], x[chan + t.off.w]) * t.keep;
}

// x at 4 per-lane channel offsets and one position offset (MIXED).
fn gather(chan: vec4u, o: u32) -> vec4f {
  return vec4f(x[chan.x + o], x[chan.y + o], x[chan.z + o], x[chan.w + o]);
}

// acc += a ⊗ v: column j gets a · v[j] (a = 4 weights in the forward, 4 dY values in the weight gradient).
fn outer(a: vec4f, v: vec4f) -> mat4x4f {
  return mat4x4f(a * v.x, a * v.y, a * v.z, a * v.w);
}

// acc += a ⊙ (x at 4 positions, each at the lanes' own channels) (MIXED).
fn outerMixed(a: vec4f, chan: vec4u, t: Tap) -> mat4x4f {
  return mat4x4f(a * gather(chan, t.off.x) * t.keep.x, a * gather(chan, t.off.y) * t.keep.y,
                 a * gather(chan, t.off.z) * t.keep.z, a * gather(chan, t.off.w) * t.keep.w);
}
