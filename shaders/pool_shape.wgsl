// The pooling geometry shared by pool.wgsl and pool_backward.wgsl (inserted as POOL_SHAPE). The
// window is compiled in (constant loop bounds: measured faster, see pool2d.ts); the plane sizes are
// the uniform `geom`, so one pipeline per window, lane width and mode serves every layer and batch.
// rowV is the thread count along a row (outputs / V forward, inputs / V backward), planeV = H·W / V.
const KH = ${KH};
const KW = ${KW};
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
struct Geometry { h: i32, w: i32, ho: i32, wo: i32, rowV: i32, planeV: i32 }
@group(0) @binding(0) var<uniform> geom: Geometry;
