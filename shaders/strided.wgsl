// Strided index maps, one invocation per element of an index space of up to 8 axes. Each source
// and the destination have their own strides (0 on a broadcast axis) and base offset, so one
// kernel is transpose, crop, pad, concat, broadcast and binary arithmetic:
//   out[o(c)] = EXPR(x = a[a(c)], y = b[b(c)]).
// REDUCE: out[i] = scale · Σ_r EXPR(x = a[a(c_i) + a_r(r)], y = b[b(c_i) + a_r(r)]), the sum over a
// second index space at each kept coordinate c_i (b, a mask, is stepped like a): sums onto a
// broadcast shape, means over axes, sums over one axis. Fixed order, no atomics.
// The host merges axes that are contiguous for every operand and drops unit ones, and WALK /
// RWALK are the index walks unrolled for that many axes (SwiftShader does not unroll loops; a
// loop over the axes measured 2-5x slower): `o += (r % size_k) * strides_k; r /= size_k`,
// innermost axis first, no modulo on the outermost. An invocation maps RUN consecutive elements
// of the innermost axis (INNER), stepping by its strides. Sizes and strides are uniforms.
struct Layout {
  dims: array<vec4u, 8>,   // per axis, outermost first: size, stride in a, in b, in out
  rdims: array<vec4u, 8>,  // the summed space: size, stride in a
  base: vec4u,             // offsets of a, b and out; invocations (elements / RUN)
  reduced: u32,            // elements of the summed space
  scale: f32,
}
@group(0) @binding(0) var<uniform> L: Layout;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#if ${BINARY}
@group(0) @binding(3) var<storage, read> b: array<f32>;
#endif

// Offsets in a, b and out of flat index f of the space (C order).
fn walk(f: u32) -> vec3u {
  var r = f;
  var o = vec3u(0u);
  ${WALK}
  return o;
}

#if ${REDUCE}
// Offset in a of flat index f of the summed space.
fn rwalk(f: u32) -> u32 {
  var r = f;
  var o = 0u;
  ${RWALK}
  return o;
}
#endif

${MAIN}
  if (i >= L.base.w) { return; }
  let o = walk(i * ${RUN}u) + L.base.xyz;
#if ${REDUCE}
  var s = 0.0;
  for (var r = 0u; r < L.reduced; r++) {
    let q = rwalk(r);
    let x = a[o.x + q];
#if ${BINARY}
    let y = b[o.y + q];
#endif
    s += ${EXPR};
  }
  out[o.z] = s * L.scale;
#else
  for (var j = 0u; j < ${RUN}u; j++) {
    let p = o + j * L.dims[${INNER}].yzw;
    let x = a[p.x];
#if ${BINARY}
    let y = b[p.y];
#endif
    out[p.z] = ${EXPR};
  }
#endif
}
