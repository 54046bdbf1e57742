// The pooling geometry shared by pool.wgsl and pool_backward.wgsl (inserted as POOL_SHAPE). The
// window is compiled in (constant loop bounds: measured faster, see pool2d.ts); the plane sizes are
// the uniform `geom`, so one pipeline per window, lane width and mode serves every layer and batch.
// rowV is the thread count along a row (outputs / V forward, inputs / V backward), planeV = H·W / V;
// countH, countW = where an average's divisor stops counting rows and columns: H, W, or with
// count_include_pad (COUNT_PADS = 1) H, W plus the bottom and right pads. PH, PW are the top and
// left pads; D* dilations.
// WINDOW declares them (pool2d.ts): const KH, KW, SH, SW, PH, PW, DH, DW and COUNT_PADS.
${WINDOW}
const EKH = (KH - 1) * DH + 1;
const EKW = (KW - 1) * DW + 1;
struct Geometry { h: i32, w: i32, ho: i32, wo: i32, rowV: i32, planeV: i32, countH: i32, countW: i32 }
@group(0) @binding(0) var<uniform> geom: Geometry;

// Taps j < k of a window starting at `start` (step d) that fall in [lo, hi) (windowTaps in pool-geometry.ts).
fn taps(start: i32, k: i32, d: i32, lo: i32, hi: i32) -> i32 {
  return max(min(k, (max(hi - start, 0) + d - 1) / d) - (max(lo - start, 0) + d - 1) / d, 0);
}

// An average's divisor is rowTaps · colTaps of its window start: the taps inside the input, or with
// count_include_pad inside the input and its declared pads (a ceil-mode window's overhang is not counted).
fn rowTaps(hs: i32) -> f32 {
  return f32(taps(hs, KH, DH, -PH * COUNT_PADS, geom.countH));
}
fn colTaps(ws: i32) -> f32 {
  return f32(taps(ws, KW, DW, -PW * COUNT_PADS, geom.countW));
}
