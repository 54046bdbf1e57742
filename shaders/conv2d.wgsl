// conv2d forward as an implicit GEMM: for each image, Y[co, p] = Σ_k W[co, k] · im2col(X)[k, p]
// with k = (ci, kh, kw) running over the channels of co's group. Each thread owns a register
// block of 4 consecutive output channels (one vec4) × 4 or 8 output pixels (PX8); the im2col
// matrix is never materialised: each tap's pixel offsets and padding masks are computed once,
// then reused for every input channel. Weights come packed as one vec4 per (channel block, k)
// (conv2d_pack_weight.wgsl). Grid: x = pixel blocks, y = channel blocks over all groups, z = image.
// MIXED: the 4 channels of a block may lie in different groups (Cout/groups not a multiple of 4,
// e.g. depthwise), so each lane reads its own input channel.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wPacked: array<vec4f>;
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
const TP = ${TP}u;  // pixels per thread: 4 or 8
const WGX = ${WGX}u;
const WGY = ${WGY}u;
const HW = H * W;
const NPIX = HO * WO;
const KK = KH * KW;

// The input offsets of 4 pixels at one tap, and 1/0 for inside/padding.
struct Tap { off: vec4u, keep: vec4f }

fn tapOf(ih0: vec4i, iw0: vec4i, kh: u32, kw: u32) -> Tap {
  let ih = ih0 + i32(kh) * DH;
  let iw = iw0 + i32(kw) * DW;
  let inside = (vec4u(ih) < vec4u(H)) & (vec4u(iw) < vec4u(W));
  return Tap(select(vec4u(0u), vec4u(ih) * W + vec4u(iw), inside), select(vec4f(0.0), vec4f(1.0), inside));
}

// x at 4 per-lane channel offsets and one pixel offset.
fn gather(chan: vec4u, o: u32) -> vec4f {
  return vec4f(x[chan.x + o], x[chan.y + o], x[chan.z + o], x[chan.w + o]);
}

// acc += w ⊗ (4 pixels of x at tap t): column j gets w · x[pixel j] per channel lane (one shared
// x value unless MIXED).
fn accumulate(acc: ptr<function, mat4x4f>, wv: vec4f, xc: vec4u, t: Tap) {
#if ${MIXED}
  *acc += mat4x4f(wv * gather(xc, t.off.x) * t.keep.x, wv * gather(xc, t.off.y) * t.keep.y,
                  wv * gather(xc, t.off.z) * t.keep.z, wv * gather(xc, t.off.w) * t.keep.w);
#else
  let v = vec4f(x[xc.x + t.off.x], x[xc.x + t.off.y], x[xc.x + t.off.z], x[xc.x + t.off.w]) * t.keep;
  *acc += mat4x4f(wv * v.x, wv * v.y, wv * v.z, wv * v.w);
#endif
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wid.z;
  let co0 = (wid.y * WGY + lid.y) * 4u;
  if (co0 >= COUT) { return; }
  // Lanes past COUT compute channel COUT-1 again and are not stored.
  let co = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(COUT - 1u));
  let xChan = (n * CIN + (co / COUT_G) * CIN_G) * HW;  // per-lane first input channel of its group
  let wBlock = (co0 / 4u) * CIN_G * KK;

  // Pixels of this thread: p = pBase + j·WGX (adjacent threads take adjacent pixels), in groups
  // of 4 (A, and B when PX8); column j of an accumulator is pixel j's 4 channels.
  let pBase = wid.x * WGX * TP + lid.x;
  let pA = min(vec4u(pBase) + vec4u(0u, 1u, 2u, 3u) * WGX, vec4u(NPIX - 1u));
  let ihA = vec4i((pA / WO) * SH) - PH;
  let iwA = vec4i((pA % WO) * SW) - PW;
  var accA = mat4x4f();
#if ${PX8}
  let pB = min(vec4u(pBase) + vec4u(4u, 5u, 6u, 7u) * WGX, vec4u(NPIX - 1u));
  let ihB = vec4i((pB / WO) * SH) - PH;
  let iwB = vec4i((pB % WO) * SW) - PW;
  var accB = mat4x4f();
#endif

  for (var kh = 0u; kh < KH; kh++) {
    for (var kw = 0u; kw < KW; kw++) {
      // Offsets and zero-padding masks of this tap, shared by all input channels.
      let tA = tapOf(ihA, iwA, kh, kw);
#if ${PX8}
      let tB = tapOf(ihB, iwB, kh, kw);
#endif
      let tap = kh * KW + kw;
      for (var ci = 0u; ci < CIN_G; ci++) {
        let wv = wPacked[wBlock + ci * KK + tap];
        let xc = xChan + vec4u(ci * HW);
        accumulate(&accA, wv, xc, tA);
#if ${PX8}
        accumulate(&accB, wv, xc, tB);
#endif
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
    let pj = pBase + j * WGX;
    if (pj >= NPIX) { break; }
#if ${PX8}
    var v = select(accB[j % 4u], accA[j % 4u], j < 4u) + b;
#else
    var v = accA[j] + b;
#endif
    let o = yChan + vec4u(pj);
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
