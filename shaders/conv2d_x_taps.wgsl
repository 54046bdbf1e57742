// Reads of the GEMM's gathered operand SRC at the 4 positions of a Tap, and the rank-1 updates
// that consume them; shared by the conv2d shaders (rendered with SRC = x for the forward and weight
// gradient, dy for the input gradient, and inserted as their X_TAP_READS). Each binds SRC as
// `var<storage, read> SRC: array<f32>`.

// The SRC offsets of 4 positions, and 1/0 for inside/padding.
struct Tap { off: vec4u, keep: vec4f }

// SRC of one shared channel at 4 positions, zeroed in the padding.
fn pixels(chan: u32, t: Tap) -> vec4f {
  return vec4f(${SRC}[chan + t.off.x], ${SRC}[chan + t.off.y], ${SRC}[chan + t.off.z], ${SRC}[chan + t.off.w]) * t.keep;
}

// SRC at 4 per-lane channel offsets and one position offset (MIXED).
fn gather(chan: vec4u, o: u32) -> vec4f {
  return vec4f(${SRC}[chan.x + o], ${SRC}[chan.y + o], ${SRC}[chan.z + o], ${SRC}[chan.w + o]);
}

// acc += a ⊗ v: column j gets a · v[j] (a = 4 weights in the forward and input gradient, 4 dY
// values in the weight gradient).
fn outer(a: vec4f, v: vec4f) -> mat4x4f {
  return mat4x4f(a * v.x, a * v.y, a * v.z, a * v.w);
}

// acc += a ⊙ (SRC at 4 positions, each at the lanes' own channels) (MIXED).
fn outerMixed(a: vec4f, chan: vec4u, t: Tap) -> mat4x4f {
  return mat4x4f(a * gather(chan, t.off.x) * t.keep.x, a * gather(chan, t.off.y) * t.keep.y,
                 a * gather(chan, t.off.z) * t.keep.z, a * gather(chan, t.off.w) * t.keep.w);
}
