// Batch of partially revealed images: image k, pixel p (all channels) comes from `finish` when
// key[p] <= bound[k], else from `start`. key/bound are float32 holding small integers (a pixel's
// rank or first reveal level), so the comparison is exact.
struct Sizes { total: u32, plane: u32, hw: u32 }
@group(0) @binding(0) var<storage, read> start: array<f32>;
@group(0) @binding(1) var<storage, read> finish: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> bound: array<f32>;
@group(0) @binding(4) var<storage, read_write> images: array<f32>;
@group(0) @binding(5) var<uniform> sizes: Sizes;

${MAIN}
  if (i >= sizes.total) { return; }
  let k = i / sizes.plane;
  let j = i % sizes.plane;   // c·HW + p within one image
  let p = j % sizes.hw;
  images[i] = select(start[j], finish[j], key[p] <= bound[k]);
}
