// Pooling forward over NCHW planes. Two shapes of work, one file:
//  - window pooling (MAX, else average): each thread makes V adjacent outputs of one output row
//    (V = 4 or 2 when Wo allows, T = vecV<f32>, I = vecV<i32>; lanes gather their own taps) by
//    looping over the constant KH x KW window (taps DH, DW apart). Padding never contributes: for
//    max it is -inf (a tap only wins if valid), for average it adds 0 and rowTaps · colTaps say
//    whether it is counted. The geometry is the uniform `geom` (POOL_SHAPE).
//    MAX also writes the argmax (the winning tap's index h*W + w within its plane, as f32) for backward;
//    with RELU_MASK (x is a relu's output) it is -1 where the max is not > 0, so backward routes no
//    gradient there: the relu's mask, applied with no pass of its own.
//  - GLOBAL average: each thread averages one whole H*W plane, reading vecV when H*W allows.
${POOL_SHAPE}

#if ${GLOBAL}
@group(0) @binding(1) var<storage, read> x: array<${T}>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#else
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<${T}>;
#if ${MAX}
@group(0) @binding(3) var<storage, read_write> argmax: array<${T}>;
#endif

// each lane reads its own tap (GATHER: T(x[row + iw.x], ...), from pool2d.ts)
fn gather(row: i32, iw: ${I}) -> ${T} {
  return ${GATHER};
}

// each lane's column factor of the average's divisor (COL_TAPS: T(colTaps(ws.x), ...))
fn lanesColTaps(ws: ${I}) -> ${T} {
  return ${COL_TAPS};
}
#endif

${MAIN}
  if (i >= arrayLength(&y)) { return; }  // y is bound to exactly this batch: one pipeline for every N
#if ${GLOBAL}
  let base = i * u32(geom.planeV);
  var acc = ${T}(0.0);
  for (var j = 0u; j < u32(geom.planeV); j++) { acc += x[base + j]; }
  y[i] = (${HSUM}) / f32(geom.h * geom.w);
#else
  let H = geom.h;
  let W = geom.w;
  let HO = geom.ho;
  let WO = geom.wo;
  let plane = i32(i / u32(HO * geom.rowV));
  let r = i32(i % u32(HO * geom.rowV));
  let oh = r / geom.rowV;
  let ow = ${I}((r % geom.rowV) * ${V}) + ${LANES};
  let base = plane * H * W;
#if ${MAX}
  var best = ${T}(0.0);
  var arg = ${I}(-1);  // -1: no valid tap seen yet
#else
  var acc = ${T}(0.0);
#endif
  for (var kh = 0; kh < KH; kh++) {
    let ih = oh * SH - PH + kh * DH;
    if (ih < 0 || ih >= H) { continue; }
    for (var kw = 0; kw < KW; kw++) {
      let iw = ow * SW - PW + kw * DW;
      let valid = (iw >= ${I}(0)) & (iw < ${I}(W));
      let v = gather(base + ih * W, clamp(iw, ${I}(0), ${I}(W - 1)));
#if ${MAX}
      let take = valid & ((v > best) | (arg < ${I}(0)) | (v != v)); // a NaN wins: overflows reach f
      best = select(best, v, take);
      arg = select(arg, ih * W + iw, take);
#else
      acc += select(${T}(0.0), v, valid);
#endif
    }
  }
#if ${MAX}
  y[i] = best;
  argmax[i] = ${T}(select(arg, select(${I}(-1), arg, best > ${T}(0.0)), ${RELU_MASK}));
#else
  y[i] = acc / (rowTaps(oh * SH - PH) * lanesColTaps(ow * SW - PW));
#endif
#endif
}
