// Pooling backward in gather form: each thread owns V adjacent input elements of one row
// (T = vecV<f32>, I = vecV<i32>) and sums the dy of every window covering them, in a fixed order.
// Overlapping windows (kernel > stride) therefore need no atomics, and results are deterministic.
//  - MAX: a window passes its dy to the element its saved argmax names.
//  - average: every element on a window's taps gets dy / divisor (rowTaps · colTaps). Global average
//    pooling is this with a full-plane window.
${POOL_SHAPE}
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<${T}>;
#if ${MAX}
@group(0) @binding(3) var<storage, read> argmax: array<f32>;
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
  // Windows spanning input (h, w): oh*SH - PH <= h < oh*SH - PH + EKH; columns take the union over lanes.
  let ohLo = (max(h + PH - EKH + 1, 0) + SH - 1) / SH;
  let ohHi = min((h + PH) / SH, HO - 1);
  let owLo = (max(w0 + PW - EKW + 1, 0) + SW - 1) / SW;
  let owHi = min((w0 + ${V} - 1 + PW) / SW, WO - 1);
  let outBase = plane * HO * WO;
  var acc = ${T}(0.0);
  for (var oh = ohLo; oh <= ohHi; oh++) {
#if ${MAX}
    for (var ow = owLo; ow <= owHi; ow++) {
      let o = outBase + oh * WO + ow;
      acc += select(${T}(0.0), ${T}(dy[o]), ${I}(i32(argmax[o])) == h * W + w);
    }
#else
    let hs = oh * SH - PH;
    if ((h - hs) % DH != 0) { continue; }  // row h lies between two of this window's taps
    let rows = rowTaps(hs);
    for (var ow = owLo; ow <= owHi; ow++) {
      let o = outBase + oh * WO + ow;
      let ws = ow * SW - PW;
      let covered = (w >= ${I}(ws)) & (w < ${I}(ws + EKW)) & ((w - ${I}(ws)) % ${I}(DW) == ${I}(0));
      acc += select(${T}(0.0), ${T}(dy[o] / (rows * colTaps(ws))), covered);
    }
#endif
  }
  dx[i] = acc;
}
