// Repack an NCHW tensor as [N, ceil(C/4), H·W] vec4 over 4 consecutive channels, so a GEMM kernel
// reads one vec4 where it would gather 4 scalars from 4 planes. Lanes past C are zero.
struct Sizes { total: u32, c: u32, npix: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4f>;
@group(0) @binding(2) var<uniform> sizes: Sizes;

fn fetch(i: u32, valid: bool) -> f32 {
  return select(0.0, src[select(0u, i, valid)], valid);
}

${MAIN}
  if (i >= sizes.total) { return; }
  let c = sizes.c;
  let npix = sizes.npix;
  let p = i % npix;
  let block = i / npix;                           // n · blocks + channel block
  let blocks = (c + 3u) / 4u;
  let c0 = (block % blocks) * 4u;
  let base = ((block / blocks) * c + c0) * npix + p;
  packed[i] = vec4f(fetch(base, true), fetch(base + npix, c0 + 1u < c),
                    fetch(base + 2u * npix, c0 + 2u < c), fetch(base + 3u * npix, c0 + 3u < c));
}
