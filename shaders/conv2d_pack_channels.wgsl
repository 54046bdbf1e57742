// Repack an NCHW tensor as [N, ceil(C/4), H·W] vec4 over 4 consecutive channels, so a GEMM kernel
// reads one vec4 where it would gather 4 scalars from 4 planes. Lanes past C are zero.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4f>;

const C = ${C}u;
const NPIX = ${NPIX}u;
const BLOCKS = (C + 3u) / 4u;
const WG = ${WG}u;

fn fetch(i: u32, valid: bool) -> f32 {
  return select(0.0, src[select(0u, i, valid)], valid);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * WG + lid;  // 2-D grid folded to 1-D
  if (i >= arrayLength(&packed)) { return; }     // the binding holds exactly this chunk
  let p = i % NPIX;
  let block = i / NPIX;                           // n · BLOCKS + channel block
  let c0 = (block % BLOCKS) * 4u;
  let base = ((block / BLOCKS) * C + c0) * NPIX + p;
  packed[i] = vec4f(fetch(base, true), fetch(base + NPIX, c0 + 1u < C),
                    fetch(base + 2u * NPIX, c0 + 2u < C), fetch(base + 3u * NPIX, c0 + 3u < C));
}
