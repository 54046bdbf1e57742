// The epilogue conv2d.wgsl and conv2d_grad_input.wgsl share (rendered by src/ops/conv2d.ts, its
// flags baked): + a residual (the forward's skip connection, or for an input gradient the
// gradient summed so far), then MASK keeps the values where `mask`, the input's relu output, is
// > 0 (that input's relu backward). `o`: the 4 output indices.
#if ${HAS_RESIDUAL}
@group(0) @binding(${RESIDUAL_BINDING}) var<storage, read> residual: array<f32>;
#endif
#if ${HAS_MASK}
@group(0) @binding(${MASK_BINDING}) var<storage, read> mask: array<f32>;
#endif

fn residualAndMask(acc: vec4f, o: vec4u) -> vec4f {
  var v = acc;
#if ${HAS_RESIDUAL}
  v += vec4f(residual[o.x], residual[o.y], residual[o.z], residual[o.w]);
#endif
#if ${HAS_MASK}
  v = select(vec4f(0.0), v, vec4f(mask[o.x], mask[o.y], mask[o.z], mask[o.w]) > vec4f(0.0));
#endif
  return v;
}
