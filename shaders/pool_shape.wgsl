// The pooling geometry shared by pool.wgsl and pool_backward.wgsl (inserted as POOL_SHAPE). The
// window is compiled in (constant loop bounds: measured faster, see pool2d.ts); the plane sizes are
// the uniform `geom`, so one pipeline per window, lane width and mode serves every layer and batch.
// rowV is the thread count along a row (outputs / V forward, inputs / V backward), planeV = H·W / V;
// hEnd, wEnd = H, W plus the bottom and right pads. PH, PW are the top and left pads; D* dilations.
const KH = ${KH};
const KW = ${KW};
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
const DH = ${DH};
const DW = ${DW};
const EKH = (KH - 1) * DH + 1;
const EKW = (KW - 1) * DW + 1;
struct Geometry { h: i32, w: i32, ho: i32, wo: i32, rowV: i32, planeV: i32, hEnd: i32, wEnd: i32 }
@group(0) @binding(0) var<uniform> geom: Geometry;

// Taps j < k of windows starting at `start` (step d) that fall in [lo, hi) (windowTaps in pool-geometry.ts).
fn taps(start: ${I}, k: i32, d: i32, lo: i32, hi: i32) -> ${I} {
  let first = (max(${I}(lo) - start, ${I}(0)) + ${I}(d - 1)) / ${I}(d);
  let end = min(${I}(k), (max(${I}(hi) - start, ${I}(0)) + ${I}(d - 1)) / ${I}(d));
  return max(end - first, ${I}(0));
}

// The average's divisor for windows starting at (hs, ws): its taps inside the input, or with
// count_include_pad inside the input and its declared pads (a ceil-mode window's overhang is not counted).
fn divisor(hs: i32, ws: ${I}) -> ${T} {
#if ${COUNT_INCLUDE_PAD}
  return ${T}(taps(${I}(hs), KH, DH, -PH, geom.hEnd) * taps(ws, KW, DW, -PW, geom.wEnd));
#else
  return ${T}(taps(${I}(hs), KH, DH, 0, geom.h) * taps(ws, KW, DW, 0, geom.w));
#endif
}
