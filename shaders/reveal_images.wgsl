// Batch of partially revealed images: image k, pixel p (all channels) comes from `finish` when
// key[p] <= bound[k], else from `start`. key/bound are float32 holding small integers (a pixel's
// rank or first reveal level), so the comparison is exact.
@group(0) @binding(0) var<storage, read> start: array<f32>;
@group(0) @binding(1) var<storage, read> finish: array<f32>;
@group(0) @binding(2) var<storage, read> key: array<f32>;
@group(0) @binding(3) var<storage, read> bound: array<f32>;
@group(0) @binding(4) var<storage, read_write> images: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${TOTAL}u) { return; }
  let k = i / ${PLANE}u;
  let j = i % ${PLANE}u;   // c·HW + p within one image
  let p = j % ${HW}u;
  images[i] = select(start[j], finish[j], key[p] <= bound[k]);
}
