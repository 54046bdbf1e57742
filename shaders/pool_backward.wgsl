// Pooling backward in gather form: each thread owns V adjacent input elements of one row
// (T = vecV<f32>, I = vecV<i32>) and sums the dy of every window covering them, in a fixed order.
// Overlapping windows (kernel > stride) therefore need no atomics, and results are deterministic.
//  - MAX: a window passes its dy to the element its saved argmax names.
//  - average: every covered element gets dy / divisor (KH*KW with count_include_pad, else the
//    window's count of real elements). Global average pooling is this with a full-plane window.
${POOL_SHAPE}
@group(0) @binding(1) var<storage, read> dy: array<f32>;
#if ${MAX}
@group(0) @binding(2) var<storage, read> argmax: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<${T}>;
#else
@group(0) @binding(2) var<storage, read_write> dx: array<${T}>;

fn divisor(oh: i32, ow: i32) -> f32 {
#if ${COUNT_INCLUDE_PAD}
  return f32(KH * KW);
#else
  let hs = oh * SH - PH;
  let ws = ow * SW - PW;
  return f32((min(hs + KH, geom.h) - max(hs, 0)) * (min(ws + KW, geom.w) - max(ws, 0)));
#endif
}
#endif

${MAIN}
  if (i >= arrayLength(&dx)) { return; }  // dx is bound to exactly this batch: one pipeline for every N
  let H = geom.h;
  let W = geom.w;
  let HO = geom.ho;
  let WO = geom.wo;
  let plane = i32(i / u32(H * geom.rowV));
  let r = i32(i % u32(H * geom.rowV));
  let h = r / geom.rowV;
  let w0 = (r % geom.rowV) * ${V};
  let w = ${I}(w0) + ${LANES};
  // Windows covering input (h, w): oh*SH - PH <= h < oh*SH - PH + KH; columns take the union over lanes.
  let ohLo = (max(h + PH - KH + 1, 0) + SH - 1) / SH;
  let ohHi = min((h + PH) / SH, HO - 1);
  let owLo = (max(w0 + PW - KW + 1, 0) + SW - 1) / SW;
  let owHi = min((w0 + ${V} - 1 + PW) / SW, WO - 1);
  let outBase = plane * HO * WO;
  var acc = ${T}(0.0);
  for (var oh = ohLo; oh <= ohHi; oh++) {
    for (var ow = owLo; ow <= owHi; ow++) {
      let o = outBase + oh * WO + ow;
#if ${MAX}
      acc += select(${T}(0.0), ${T}(dy[o]), ${I}(i32(argmax[o])) == h * W + w);
#else
      let start = ow * SW - PW;
      let covered = (w >= ${I}(start)) & (w < ${I}(start + KW));
      acc += select(${T}(0.0), ${T}(dy[o] / divisor(oh, ow)), covered);
#endif
    }
  }
  dx[i] = acc;
}
