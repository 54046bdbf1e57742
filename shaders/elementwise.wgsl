// Elementwise map over one or two same-shape inputs, vec4-wide when the length allows.
// EXPR sees `x` (from a) and, when BINARY, `y` (from b); ZERO is the zero of type T. The length
// comes from the bound range, so one pipeline serves every tensor size.
@group(0) @binding(0) var<storage, read> a: array<${T}>;
@group(0) @binding(1) var<storage, read_write> out: array<${T}>;
#if ${BINARY}
@group(0) @binding(2) var<storage, read> b: array<${T}>;
#endif

${MAIN}
  if (i >= arrayLength(&out)) { return; }  // bound to exactly the elements of this dispatch
  let x = a[i];
#if ${BINARY}
  let y = b[i];
#endif
  out[i] = ${EXPR};
}
