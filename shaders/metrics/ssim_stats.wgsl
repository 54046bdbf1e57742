// Mean SSIM terms of one scale: a workgroup per (image, channel) plane. Each lane walks the
// 'valid' window positions with a stride, filters x, y, x², y², xy with the separable Gaussian
// (outer product of taps) and accumulates cs and the full SSIM; a tree reduction then writes
// stats[offset + 2·plane] = mean cs, stats[offset + 2·plane + 1] = mean SSIM.
// taps[0..win) = window, taps[win] = C1, taps[win + 1] = C2. Plane p of b is p % bPlanes (b holds
// one image when it is compared with every image of a).
struct Sizes { planes: u32, bPlanes: u32, h: u32, w: u32, win: u32, oh: u32, ow: u32, offset: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<uniform> sizes: Sizes;

var<workgroup> csPart: array<f32, ${WG}>;
var<workgroup> ssimPart: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  let inRange = plane < sizes.planes;
  let hw = sizes.h * sizes.w;
  let aBase = plane * hw;
  let bBase = (plane % sizes.bPlanes) * hw;
  let win = sizes.win;
  let c1 = taps[win];
  let c2 = taps[win + 1u];
  var csSum = 0.0;
  var ssimSum = 0.0;
  if (inRange) {
    for (var o = lid; o < sizes.oh * sizes.ow; o += ${WG}u) {
      let r0 = o / sizes.ow;
      let q0 = o % sizes.ow;
      var mx = 0.0; var my = 0.0; var mxx = 0.0; var myy = 0.0; var mxy = 0.0;
      for (var i = 0u; i < win; i++) {
        for (var j = 0u; j < win; j++) {
          let t = taps[i] * taps[j];
          let off = (r0 + i) * sizes.w + q0 + j;
          let xv = a[aBase + off];
          let yv = b[bBase + off];
          mx += t * xv; my += t * yv;
          mxx += t * xv * xv; myy += t * yv * yv; mxy += t * xv * yv;
        }
      }
      let vx = mxx - mx * mx;
      let vy = myy - my * my;
      let cov = mxy - mx * my;
      let cs = (2.0 * cov + c2) / (vx + vy + c2);
      csSum += cs;
      ssimSum += ((2.0 * mx * my + c1) / (mx * mx + my * my + c1)) * cs;
    }
  }
  csPart[lid] = csSum;
  ssimPart[lid] = ssimSum;
  workgroupBarrier();
  for (var s = ${WG}u / 2u; s > 0u; s /= 2u) {
    if (lid < s) {
      csPart[lid] += csPart[lid + s];
      ssimPart[lid] += ssimPart[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u && inRange) {
    let count = f32(sizes.oh * sizes.ow);
    stats[sizes.offset + 2u * plane] = csPart[0] / count;
    stats[sizes.offset + 2u * plane + 1u] = ssimPart[0] / count;
  }
}
