// conv2d input gradient as an implicit GEMM over dY with the (implicitly flipped) weights:
//   dX[ci, ih, iw] = Σ_{co, kh, kw} W[co, ci, kh, kw] · dY[co, (ih+PH−kh·DH)/SH, (iw+PW−kw·DW)/SW]
// over the taps where those divisions are exact. Input pixels are split into SH×SW stride phases
// ((ih+PH) mod SH, (iw+PW) mod SW): inside a phase every pixel has the same set of valid taps, so
// the tap test is an integer test uniform across the workgroup and no lane multiplies by zeros
// the stride skipped. Each thread owns 4 consecutive input channels (one vec4) × 4 or 8 (PX8)
// pixels of one phase. Weights come packed as one vec4 per (input-channel block, (co, kh, kw))
// (conv2d_pack_weight.wgsl). Grid: x = pixel blocks of a phase, y = channel blocks,
// z = image · SH·SW + phase.
// MIXED: the 4 channels may lie in different groups (Cin/groups not a multiple of 4).
// RELU_MASK: dY is multiplied by [forward output > 0] as it is read (fused relu backward).
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
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
const TP = ${TP}u;  // pixels per thread: 4 or 8
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

// The dY offsets of 4 pixels at one tap, and 1/0 for inside/outside dY.
struct Tap { off: vec4u, keep: vec4f }

fn tapOf(i: vec4i, j: vec4i, dh: i32, dw: i32) -> Tap {
  let oh = i + dh;
  let ow = j + dw;
  let inside = (vec4u(oh) < vec4u(HO)) & (vec4u(ow) < vec4u(WO));
  return Tap(select(vec4u(0u), vec4u(oh) * WO + vec4u(ow), inside), select(vec4f(0.0), vec4f(1.0), inside));
}

// dY at 4 per-lane channel offsets and one pixel offset.
fn gather(chan: vec4u, o: u32) -> vec4f {
  return vec4f(readDy(chan.x + o), readDy(chan.y + o), readDy(chan.z + o), readDy(chan.w + o));
}

// acc += w ⊗ (4 pixels of dY at tap t): column j gets w · dY[pixel j] per channel lane.
fn accumulate(acc: ptr<function, mat4x4f>, wv: vec4f, dc: vec4u, t: Tap) {
#if ${MIXED}
  *acc += mat4x4f(wv * gather(dc, t.off.x) * t.keep.x, wv * gather(dc, t.off.y) * t.keep.y,
                  wv * gather(dc, t.off.z) * t.keep.z, wv * gather(dc, t.off.w) * t.keep.w);
#else
  let v = vec4f(readDy(dc.x + t.off.x), readDy(dc.x + t.off.y), readDy(dc.x + t.off.z), readDy(dc.x + t.off.w)) * t.keep;
  *acc += mat4x4f(wv * v.x, wv * v.y, wv * v.z, wv * v.w);
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
  let dyChan = (n * COUT + (ci / CIN_G) * COUT_G) * NPIX;  // per-lane first dY channel of its group
  let wBlock = (ci0 / 4u) * COUT_G * KK;

  // Pixels of this thread as (row, column) inside the phase, in groups of 4 (A, and B when PX8).
  let qA = vec4i(min(vec4u(pBase) + vec4u(0u, 1u, 2u, 3u) * WGX, vec4u(phasePix - 1u)));
  let iA = qA / wp;
  let jA = qA % wp;
  var accA = mat4x4f();
#if ${PX8}
  let qB = vec4i(min(vec4u(pBase) + vec4u(4u, 5u, 6u, 7u) * WGX, vec4u(phasePix - 1u)));
  let iB = qB / wp;
  let jB = qB % wp;
  var accB = mat4x4f();
#endif

  for (var kh = 0u; kh < KH; kh++) {
    let th = ihStart + PH - i32(kh) * DH;
    if (th % SH != 0) { continue; }  // tap skipped by the stride in this phase
    for (var kw = 0u; kw < KW; kw++) {
      let tw = iwStart + PW - i32(kw) * DW;
      if (tw % SW != 0) { continue; }
      let tA = tapOf(iA, jA, th / SH, tw / SW);
#if ${PX8}
      let tB = tapOf(iB, jB, th / SH, tw / SW);
#endif
      let tap = kh * KW + kw;
      for (var co = 0u; co < COUT_G; co++) {
        let wv = wPacked[wBlock + co * KK + tap];
        let dc = dyChan + vec4u(co * NPIX);
        accumulate(&accA, wv, dc, tA);
#if ${PX8}
        accumulate(&accB, wv, dc, tB);
#endif
      }
    }
  }

  let dxChan = (n * CIN + ci) * HW;
  for (var j = 0u; j < TP; j++) {
    if (pBase + j * WGX >= phasePix) { break; }
    let q = i32(pBase + j * WGX);
    let o = dxChan + vec4u(u32(ihStart + (q / wp) * SH) * W + u32(iwStart + (q % wp) * SW));
#if ${PX8}
    let v = select(accB[j % 4u], accA[j % 4u], j < 4u);
#else
    let v = accA[j];
#endif
    dx[o.x] = v.x;
    if (ci0 + 1u < CIN) { dx[o.y] = v.y; }
    if (ci0 + 2u < CIN) { dx[o.z] = v.z; }
    if (ci0 + 3u < CIN) { dx[o.w] = v.w; }
  }
}
