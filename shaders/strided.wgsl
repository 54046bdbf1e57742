// Strided index maps over an index space of up to 8 axes (shapes padded with leading 1s), one
// invocation per element of the space. Each source and the destination have their own strides
// (0 on a broadcast axis) and base offset, so one kernel is transpose, slice, pad, concat,
// broadcast and binary arithmetic:  out[o(c)] = EXPR(x = a[a(c)], y = b[b(c)]).
// REDUCE: out[i] = scale · Σ_r a[a(c_i) + b(r)], the sum over the index space `rshape` (strides
// `b`) at each kept coordinate c_i: sums to a broadcast shape, means over axes. Fixed order, no
// atomics. Every size is a uniform.
struct Layout {
  shape: array<vec4u, 2>,
  rshape: array<vec4u, 2>,
  a: array<vec4u, 2>,
  b: array<vec4u, 2>,
  o: array<vec4u, 2>,
  base: vec4u,  // offsets of a, b and out; elements of the space
  scale: f32,
  reduced: u32,  // elements of rshape
}
@group(0) @binding(0) var<uniform> L: Layout;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#if ${BINARY}
@group(0) @binding(3) var<storage, read> b: array<f32>;
#endif

// Offsets of the flat index f of index space sh under two sets of strides (C order).
fn walk(f: u32, sh: array<vec4u, 2>, s: array<vec4u, 2>, t: array<vec4u, 2>) -> vec2u {
  var r = f;
  var off = vec2u(0u);
  for (var k = 7; k >= 0; k--) {
    let d = sh[k / 4][k % 4];
    off += (r % d) * vec2u(s[k / 4][k % 4], t[k / 4][k % 4]);
    r /= d;
  }
  return off;
}

${MAIN}
  if (i >= L.base.w) { return; }
#if ${REDUCE}
  let src = L.base.x + walk(i, L.shape, L.a, L.a).x;
  var s = 0.0;
  for (var r = 0u; r < L.reduced; r++) { s += a[src + walk(r, L.rshape, L.b, L.b).x]; }
  out[i] = s * L.scale;
#else
  let ab = walk(i, L.shape, L.a, L.b);
  let x = a[L.base.x + ab.x];
#if ${BINARY}
  let y = b[L.base.y + ab.y];
#endif
  out[L.base.z + walk(i, L.shape, L.o, L.o).x] = ${EXPR};
#endif
}
