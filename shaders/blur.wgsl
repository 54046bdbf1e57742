// One axis of a separable Gaussian blur (zero padding), for a batch of planes that each have their
// own σ. Run once along H, then once along W. Each thread computes 4 consecutive outputs p..p+3 of
// each of LINES adjacent lines along the axis: per source position j it loads the lines' src[j]
// and the 4 taps they meet as one vec4, k(j−p), k(j−p−1), k(j−p−2), k(j−p−3) — 5 loads per 16
// multiply-adds per kernel, where a thread per output loaded a tap and a source value for each.
//
// The table (vec4, built on the CPU in float64) starts with ${HEADER} vec4s per σ set:
//   [offB, offA, offD, r], [scale, -, -, -]  (integers stored as exact f32)
// then windowed kernels of 2r + 4 vec4s each at those offsets: entry d + r holds
// (k(d), k(d−1), k(d−2), k(d−3)) for d = −r .. r + 3, k zero beyond its own radius. B = G_σ,
// A = G_{σ+h}, D = A − B (computed in float64, so the difference loses nothing); r: A's radius
// (≥ B's), clipped to the longest axis − 1, since farther taps never land inside the image.
// Output plane q reads source plane q / batch.srcDiv and σ set q % batch.sets. The sizes (and the
// axis: its length and stride) come in a uniform, so one pipeline serves every image shape and chunk.
//
// With a derivative, also the forward difference scale·(blur_{σ+h} − blur_σ), without cancellation:
//   W_A H_A x − W_B H_B x = W_A (H_D x) + W_D (H_B x)
// DERIV_H (the H pass) writes H_B x → dst0 and H_D x → dst1; DERIV_W (the W pass) reads them as
// src0, src1 and writes the blur → dst0 and the scaled difference → dst1.
struct Batch {
  threads: u32,
  sets: u32,        // σ sets
  srcDiv: u32,      // output images per source image
  channels: u32,
  plane: u32,       // H·W of one channel
  len: u32,         // length of the blurred axis
  stride: u32,      // its stride (W along H, 1 along W)
  lines: u32,       // lines along the axis per plane (W along H, H along W), LINES per thread
  lineStride: u32,  // their stride (1 along H, W along W)
  quads: u32,       // ⌈len / 4⌉
}
@group(0) @binding(0) var<storage, read> table: array<vec4f>;
@group(0) @binding(1) var<uniform> batch: Batch;
@group(0) @binding(2) var<storage, read> src0: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst0: array<f32>;
#if ${DERIV_H}
@group(0) @binding(4) var<storage, read_write> dst1: array<f32>;
#elif ${DERIV_W}
@group(0) @binding(4) var<storage, read> src1: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst1: array<f32>;
#endif

// LINES lines per thread: each tap vec4 loaded once feeds all of them.
const LINES = 4u;

${MAIN}
  if (i >= batch.threads) { return; }
  // i = (plane · quads + quad) · lineGroups + lineGroup: adjacent lanes take adjacent lines (H: columns)
  let lineGroups = (batch.lines + LINES - 1u) / LINES;
  let line0 = (i % lineGroups) * LINES;
  let quad = (i / lineGroups) % batch.quads;
  let plane = i / (lineGroups * batch.quads);
  let image = plane / batch.channels;
  let c = plane % batch.channels;
  let srcPlane = ((image / batch.srcDiv) * batch.channels + c) * batch.plane;
  let dstBase = plane * batch.plane;
  // the lines' offsets, past-the-end lines clamped onto the last (computed, not stored)
  let lineAt = min(vec4u(line0) + vec4u(0u, 1u, 2u, 3u), vec4u(batch.lines - 1u)) * batch.lineStride;
  let h = (image % batch.sets) * ${HEADER}u;
  let head = table[h];
  let offB = u32(head.x);
  let r = i32(head.w);
  let p = i32(quad * 4u);
  let len = i32(batch.len);
  // accumulators: column l of the matrix = line l, row m = position p + m
  var b = mat4x4f();
#if ${DIFF}
  let offA = u32(head.y);
  let offD = u32(head.z);
  var d = mat4x4f();
#endif
  let first = max(0, p - r);
  let last = min(len - 1, p + 3 + r);
  for (var j = first; j <= last; j++) {
    let t = u32(j - p + r);  // window entry of d = j − p
    let at = vec4u(srcPlane + u32(j) * batch.stride) + lineAt;
    let s0 = vec4f(src0[at.x], src0[at.y], src0[at.z], src0[at.w]);
    let kB = table[offB + t];
    b += mat4x4f(kB * s0.x, kB * s0.y, kB * s0.z, kB * s0.w);
#if ${DERIV_H}
    let kD = table[offD + t];
    d += mat4x4f(kD * s0.x, kD * s0.y, kD * s0.z, kD * s0.w);
#elif ${DERIV_W}
    let kA = table[offA + t];
    let kD = table[offD + t];
    let s1 = vec4f(src1[at.x], src1[at.y], src1[at.z], src1[at.w]);
    d += mat4x4f(kA * s1.x + kD * s0.x, kA * s1.y + kD * s0.y, kA * s1.z + kD * s0.z, kA * s1.w + kD * s0.w);
#endif
  }
#if ${DERIV_W}
  d *= table[h + 1u].x;
#endif
  for (var l = 0u; l < LINES && line0 + l < batch.lines; l++) {
    for (var m = 0; m < 4 && p + m < len; m++) {
      let o = dstBase + (line0 + l) * batch.lineStride + u32(p + m) * batch.stride;
      dst0[o] = b[l][m];
#if ${DIFF}
      dst1[o] = d[l][m];
#endif
    }
  }
}
