// Batch of images with chosen pixels replaced: image k, pixel p (all channels) comes from `fill`
// where mask[k·HW + p] != 0, else from x (faithfulness correlation's subsets, infidelity's patches).
struct Sizes { total: u32, plane: u32, hw: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> fill: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> images: array<f32>;
@group(0) @binding(4) var<uniform> sizes: Sizes;

${MAIN}
  if (i >= sizes.total) { return; }
  let k = i / sizes.plane;
  let j = i % sizes.plane;   // c·HW + p within one image
  let p = j % sizes.hw;
  images[i] = select(x[j], fill[j], mask[k * sizes.hw + p] != 0.0);
}
