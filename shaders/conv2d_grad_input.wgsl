// conv2d input gradient as an implicit GEMM over dY with the (implicitly flipped) weights:
//   dX[ci, ih, iw] = Σ_{co, kh, kw} W[co, ci, kh, kw] · dY[co, (ih+PH−kh·DH)/SH, (iw+PW−kw·DW)/SW]
// over the taps where those divisions are exact. Input pixels are split into SH×SW stride phases
// ((ih+PH) mod SH, (iw+PW) mod SW): inside a phase every pixel has the same set of valid taps, so
// the tap test is an integer test uniform across the workgroup and no lane multiplies by zeros
// the stride skipped. Each thread owns 4 consecutive input channels (one vec4) × TP pixels of one
// phase. Grid: x = pixel blocks of a phase, y = channel blocks, z = image · SH·SW + phase.
// MIXED: the 4 channels may lie in different groups (Cin/groups not a multiple of 4).
// RELU_MASK: dY is multiplied by [forward output > 0] as it is read (fused relu backward).
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
#if ${RELU_MASK}
@group(0) @binding(3) var<storage, read> yRelu: array<f32>;
#endif

const CIN = ${CIN}u;
const CIN_G = ${CIN_G}u;
const COUT = ${COUT}u;
const COUT_G = ${COUT_G}u;
const H = ${H}u;
const W = ${W}u;
const HO = ${HO}u;
const WO = ${WO}u;
const KH = ${KH}u;
const KW = ${KW}u;
const SH = ${SH};
const SW = ${SW};
const PH = ${PH};
const PW = ${PW};
const DH = ${DH};
const DW = ${DW};
const TP = ${TP}u;
const WGX = ${WGX}u;
const WGY = ${WGY}u;
const HW = H * W;
const NPIX = HO * WO;
const KK = KH * KW;

fn readDy(i: u32) -> f32 {
#if ${RELU_MASK}
  return select(0.0, dy[i], yRelu[i] > 0.0);
#else
  return dy[i];
#endif
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.z / u32(SH * SW);
  let phase = wid.z % u32(SH * SW);
  // First row/column of the phase, and its size.
  let ihStart = ((i32(phase / u32(SW)) - PH) % SH + SH) % SH;
  let iwStart = ((i32(phase % u32(SW)) - PW) % SW + SW) % SW;
  let hp = (i32(H) - ihStart + SH - 1) / SH;
  let wp = (i32(W) - iwStart + SW - 1) / SW;
  let phasePix = u32(max(hp, 0) * max(wp, 0));

  let ci0 = (wid.y * WGY + lid.y) * 4u;
  let pBase = wid.x * WGX * TP + lid.x;
  if (ci0 >= CIN || pBase >= phasePix) { return; }
  let ci = min(vec4u(ci0) + vec4u(0u, 1u, 2u, 3u), vec4u(CIN - 1u));
  let g = ci / CIN_G;
  let wRow = (g * COUT_G * CIN_G + ci % CIN_G) * KK;  // W[g·COUT_G, ci_local, 0, 0] per lane
  let dyChan = (n * COUT + g * COUT_G) * NPIX;

  // Pixels j of this thread, as (row, column) inside the phase.
  var pi: array<i32, TP>;
  var pj: array<i32, TP>;
  for (var j = 0u; j < TP; j++) {
    let q = i32(min(pBase + j * WGX, phasePix - 1u));
    pi[j] = q / wp;
    pj[j] = q % wp;
  }

  var acc: array<vec4f, TP>;
  for (var kh = 0u; kh < KH; kh++) {
    let th = ihStart + PH - i32(kh) * DH;
    if (th % SH != 0) { continue; }  // tap skipped by the stride in this phase
    for (var kw = 0u; kw < KW; kw++) {
      let tw = iwStart + PW - i32(kw) * DW;
      if (tw % SW != 0) { continue; }
      var off: array<u32, TP>;
      var keep: array<f32, TP>;
      for (var j = 0u; j < TP; j++) {
        let oh = pi[j] + th / SH;
        let ow = pj[j] + tw / SW;
        let inside = u32(oh) < HO && u32(ow) < WO;
        off[j] = select(0u, u32(oh) * WO + u32(ow), inside);
        keep[j] = select(0.0, 1.0, inside);
      }
      let tap = kh * KW + kw;
      for (var co = 0u; co < COUT_G; co++) {
        let k = wRow + vec4u(co * CIN_G * KK + tap);
        let wv = vec4f(w[k.x], w[k.y], w[k.z], w[k.w]);
        let dc = dyChan + vec4u(co * NPIX);
        for (var j = 0u; j < TP; j++) {
#if ${MIXED}
          let o = dc + vec4u(off[j]);
          let dv = vec4f(readDy(o.x), readDy(o.y), readDy(o.z), readDy(o.w)) * keep[j];
#else
          let dv = readDy(dc.x + off[j]) * keep[j];
#endif
          acc[j] += wv * dv;
        }
      }
    }
  }

  let dxChan = (n * CIN + ci) * HW;
  for (var j = 0u; j < TP; j++) {
    if (pBase + j * WGX >= phasePix) { break; }
    let o = dxChan + vec4u(u32(ihStart + pi[j] * SH) * W + u32(iwStart + pj[j] * SW));
    let v = acc[j];
    dx[o.x] = v.x;
    if (ci0 + 1u < CIN) { dx[o.y] = v.y; }
    if (ci0 + 2u < CIN) { dx[o.z] = v.z; }
    if (ci0 + 3u < CIN) { dx[o.w] = v.w; }
  }
}
