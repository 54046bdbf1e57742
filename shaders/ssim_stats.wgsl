// Mean SSIM terms of one scale: a workgroup per (image, channel) plane. Each lane walks the
// 'valid' window positions with a stride, filters x, y, x², y², xy with the separable Gaussian
// (outer product of taps) and accumulates cs and the full SSIM; a tree reduction then writes
// stats[OFFSET + 2·plane] = mean cs, stats[OFFSET + 2·plane + 1] = mean SSIM.
// taps[0..WIN) = window, taps[WIN] = C1, taps[WIN + 1] = C2. b holds one image when B_SHARED.
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> taps: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

var<workgroup> csPart: array<f32, ${WG}>;
var<workgroup> ssimPart: array<f32, ${WG}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let plane = wid.x + wid.y * nwg.x;
  let inRange = plane < ${PLANES}u;
  let aBase = plane * ${H}u * ${W}u;
#if ${B_SHARED}
  let bBase = (plane % ${C}u) * ${H}u * ${W}u;
#else
  let bBase = aBase;
#endif
  let c1 = taps[${WIN}u];
  let c2 = taps[${WIN}u + 1u];
  var csSum = 0.0;
  var ssimSum = 0.0;
  if (inRange) {
    for (var o = lid; o < ${OH}u * ${OW}u; o += ${WG}u) {
      let r0 = o / ${OW}u;
      let q0 = o % ${OW}u;
      var mx = 0.0; var my = 0.0; var mxx = 0.0; var myy = 0.0; var mxy = 0.0;
      for (var i = 0u; i < ${WIN}u; i++) {
        for (var j = 0u; j < ${WIN}u; j++) {
          let t = taps[i] * taps[j];
          let off = (r0 + i) * ${W}u + q0 + j;
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
    let count = f32(${OH}u * ${OW}u);
    stats[${OFFSET}u + 2u * plane] = csPart[0] / count;
    stats[${OFFSET}u + 2u * plane + 1u] = ssimPart[0] / count;
  }
}
