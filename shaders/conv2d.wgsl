// conv2d forward as an implicit GEMM: for each image, Y[co, p] = Σ_k W[co, k] · im2col(X)[k, p]
// with k = (ci, kh, kw) running over the channels of co's group. Each thread owns a register
// block of 4 consecutive output channels (one vec4) × TP output pixels; the im2col matrix is never
// materialised: each tap's pixel offsets and padding masks are computed once, then reused for
// every input channel. Grid: x = pixel blocks, y = channel blocks over all groups, z = image.
// MIXED: the 4 channels of a block may lie in different groups (Cout/groups not a multiple of 4,
// e.g. depthwise), so each lane reads its own input channel.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#if ${HAS_BIAS}
@group(0) @binding(${BIAS_BINDING}) var<storage, read> bias: array<f32>;
#endif
#if ${HAS_RESIDUAL}
@group(0) @binding(${RESIDUAL_BINDING}) var<storage, read> residual: array<f32>;
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
const SH = ${SH}u;
const SW = ${SW}u;
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

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.z;
  let co0 = (wid.y * WGY + lid.y) * 4u;
  if (co0 >= COUT) { return; }
  // Lanes past COUT read channel COUT-1 (harmless) and are not stored.
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
  let g = co / COUT_G;
  let wRow = co * (CIN_G * KK);
  let xChan = (n * CIN + g * CIN_G) * HW;  // per-lane first input channel of its group

  // Pixels j of this thread: p = pBase + j·WGX (adjacent threads take adjacent pixels).
  let pBase = wid.x * WGX * TP + lid.x;
  var ih0: array<i32, TP>;
  var iw0: array<i32, TP>;
  for (var j = 0u; j < TP; j++) {
    let p = min(pBase + j * WGX, NPIX - 1u);
    ih0[j] = i32((p / WO) * SH) - PH;
    iw0[j] = i32((p % WO) * SW) - PW;
  }

  var acc: array<vec4f, TP>;
  for (var kh = 0u; kh < KH; kh++) {
    for (var kw = 0u; kw < KW; kw++) {
      // Offsets and zero-padding masks of this tap, shared by all input channels.
      var off: array<u32, TP>;
      var keep: array<f32, TP>;
      for (var j = 0u; j < TP; j++) {
        let ih = ih0[j] + i32(kh) * DH;
        let iw = iw0[j] + i32(kw) * DW;
        let inside = u32(ih) < H && u32(iw) < W;
        off[j] = select(0u, u32(ih) * W + u32(iw), inside);
        keep[j] = select(0.0, 1.0, inside);
      }
      let tap = kh * KW + kw;
      for (var ci = 0u; ci < CIN_G; ci++) {
        let k = wRow + vec4u(ci * KK + tap);
        let wv = vec4f(w[k.x], w[k.y], w[k.z], w[k.w]);
        let xc = xChan + vec4u(ci * HW);
        for (var j = 0u; j < TP; j++) {
#if ${MIXED}
          let o = xc + vec4u(off[j]);
          let xv = vec4f(x[o.x], x[o.y], x[o.z], x[o.w]) * keep[j];
#else
          let xv = x[xc.x + off[j]] * keep[j];
#endif
          acc[j] += wv * xv;
        }
      }
    }
  }

  // Epilogue: bias, residual, relu, store.
#if ${HAS_BIAS}
  let b = vec4f(bias[co.x], bias[co.y], bias[co.z], bias[co.w]);
#else
  let b = vec4f(0.0);
#endif
  let yChan = (n * COUT + co) * NPIX;
  for (var j = 0u; j < TP; j++) {
    let p = pBase + j * WGX;
    if (p >= NPIX) { break; }
    var v = acc[j] + b;
    let o = yChan + vec4u(p);
#if ${HAS_RESIDUAL}
    v += vec4f(residual[o.x], residual[o.y], residual[o.z], residual[o.w]);
#endif
#if ${RELU}
    v = max(v, vec4f(0.0));
#endif
    y[o.x] = v.x;
    if (co0 + 1u < COUT) { y[o.y] = v.y; }
    if (co0 + 2u < COUT) { y[o.z] = v.z; }
    if (co0 + 3u < COUT) { y[o.w] = v.w; }
  }
}
