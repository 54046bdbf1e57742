// The copy-bandwidth probe (bench/ceiling.ts): dst[i] = src[i] over vec4s, one per lane, so the
// figure is the adapter's streaming read + write rate for buffers far larger than any cache.
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;

${MAIN}
  if (i < ${N4}u) {
    dst[i] = src[i];
  }
}
