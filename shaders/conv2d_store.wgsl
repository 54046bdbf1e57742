// The forward's bindings and store, shared by conv2d.wgsl and conv2d_winograd.wgsl (rendered by
// src/ops/conv2d.ts with its flags baked, inserted as their STORE_CODE): one bind group layout for
// both kernels, the epilogue (conv2d_epilogue.wgsl) and `store`.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> shape: ConvShape;
#if ${HAS_BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
${EPILOGUE}

// What the epilogue reads of `shape`, loaded once per thread rather than at each of its stores.
struct Out { cout: u32, npix: u32, wo: u32, relu: bool }

// Epilogue for 4 channels from co0 at column `col` of the output row starting at pixel pixRow:
// bias, residual (and mask: conv2d_epilogue.wgsl), relu, store.
fn store(acc: vec4f, co0: u32, col: u32, pixRow: u32, n: u32, e: Out) {
  if (col >= e.wo || co0 >= e.cout) { return; }
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(e.cout - 1u));
#if ${HAS_BIAS}
  var v = acc + vec4f(bias[co.x], bias[co.y], bias[co.z], bias[co.w]);
#else
  var v = acc;
#endif
  let o = (n * e.cout + co) * e.npix + vec4u(pixRow + col);
  v = residualAndMask(v, o);  // a mask only in input gradients, which have no relu
  // + (v − v): a NaN or ±inf stays NaN (max alone would swallow it), so an overflow reaches f (checkFinite)
  v = select(v, max(v, vec4f(0.0)) + (v - v), e.relu);
  y[o.x] = v.x;
  if (co0 + 1u < e.cout) { y[o.y] = v.y; }
  if (co0 + 2u < e.cout) { y[o.z] = v.z; }
  if (co0 + 3u < e.cout) { y[o.w] = v.w; }
}
